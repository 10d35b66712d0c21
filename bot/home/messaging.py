"""Every message of the home view: what needs a person, across the pilots of their
workspace. The Slack App Home publishes the same blocks."""

from __future__ import annotations

from bot import commands as c
from bot.i18n import _, format_date
from bot.messages import (
    Actions,
    Block,
    Button,
    Context,
    Divider,
    Header,
    Message,
    Paragraph,
    Span,
    Text,
    bold,
    spans,
)
from bot.pilots.models import ChecklistItem, Pilot
from bot.polls.models import Poll

MAX_BUTTONS = 5  # per section: a button row, not a second listing


def home(
    *,
    overdue: list[tuple[Pilot, ChecklistItem]],
    waiting: list[tuple[Pilot, Poll]],
    owned: list[Pilot],
) -> Message:
    """The person's overdue items, the polls waiting for their vote and the pilots they
    own, each section with buttons to its pilots; private."""
    blocks: list[Block] = [Header(text=_("golive"))]
    blocks += _overdue_section(overdue)
    blocks.append(Divider())
    blocks += _waiting_section(waiting)
    blocks.append(Divider())
    blocks += _owned_section(owned)
    text = _(
        "Your overdue items: {overdue}. Polls waiting for your vote: {polls}. "
        "Pilots you own: {owned}."
    ).format(overdue=len(overdue), polls=len(waiting), owned=len(owned))
    return Message(text=text, blocks=blocks, private=True)


def _overdue_section(overdue: list[tuple[Pilot, ChecklistItem]]) -> list[Block]:
    blocks: list[Block] = [Paragraph(spans=[bold(_("Your overdue items"))])]
    if not overdue:
        return [*blocks, Context(spans=spans(_("Nothing overdue. Well done.")))]
    for pilot, item in overdue:
        line: list[Span] = [
            bold(pilot.key),
            Text(text=f" #{item.number} {item.title} "),
            Text(
                text=_("(due {date})").format(date=format_date(item.due) if item.due else ""),
                italic=True,
            ),
        ]
        blocks.append(Paragraph(spans=line))
    keys = list(dict.fromkeys(pilot.key for pilot, _item in overdue))
    buttons = [
        Button(label=_("Checklist {key}").format(key=key), action=c.ChecklistShow(key=key))
        for key in keys[:MAX_BUTTONS]
    ]
    return [*blocks, Actions(buttons=buttons)]


def _waiting_section(waiting: list[tuple[Pilot, Poll]]) -> list[Block]:
    blocks: list[Block] = [Paragraph(spans=[bold(_("Polls waiting for your vote"))])]
    if not waiting:
        return [*blocks, Context(spans=spans(_("No poll is waiting for you.")))]
    for pilot, poll in waiting:
        blocks.append(Paragraph(spans=[bold(pilot.key), Text(text=f" {poll.question}")]))
    buttons = [_status_button(pilot) for pilot, _poll in waiting[:MAX_BUTTONS]]
    return [*blocks, Actions(buttons=buttons)]


def _owned_section(owned: list[Pilot]) -> list[Block]:
    blocks: list[Block] = [Paragraph(spans=[bold(_("Pilots you own"))])]
    if not owned:
        return [*blocks, Context(spans=spans(_("You own no pilot.")))]
    for pilot in owned:
        blocks.append(
            Paragraph(spans=[bold(pilot.key), Text(text=f" {pilot.name} · {pilot.stage}")])
        )
    buttons = [_status_button(pilot) for pilot in owned[:MAX_BUTTONS]]
    return [*blocks, Actions(buttons=buttons)]


def _status_button(pilot: Pilot) -> Button:
    return Button(label=_("Status {key}").format(key=pilot.key), action=c.Status(key=pilot.key))
