"""The App Home tab: a person's overdue items, polls waiting for their vote, pilots they own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import _, format_date
from bot.messages import (
    Actions,
    Block,
    Button,
    Context,
    Divider,
    Header,
    Paragraph,
    Span,
    Text,
    bold,
    spans,
)
from bot.pilots.models import ChecklistItem, Pilot
from bot.service import Golive


@dataclass
class HomeFacts:
    overdue: list[tuple[Pilot, ChecklistItem]] = field(default_factory=list)
    polls: list[tuple[str, str]] = field(default_factory=list)  # (pilot key, question)
    owned: list[Pilot] = field(default_factory=list)
    known: bool = False  # has golive ever seen this person?


async def home_facts(*, golive: Golive, team_id: str, user_id: str) -> HomeFacts:
    """What the Home tab shows, read in one transaction from the person's workspace."""
    facts = HomeFacts()
    async with golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", team_id)
        if workspace is None or workspace.id is None:
            return facts
        person = await uow.people.get_by_external(workspace.id, user_id)
        if person is None or person.id is None:
            return facts
        facts.known = True
        zone = ZoneInfo(person.timezone or workspace.timezone or "UTC")
        today = golive.clock.now().astimezone(zone).date()
        for listed in await uow.pilots.list(workspace.id):
            pilot = await uow.pilots.get_by_key(workspace.id, listed.key) or listed
            if pilot.owner_id == person.id:
                facts.owned.append(pilot)
            facts.overdue.extend(
                (pilot, item) for item in pilot.items if _overdue(item, today, person.id)
            )
            if pilot.id is None:
                continue
            poll = await uow.polls.get_open(pilot.id)
            if poll is not None and poll.voter(person.id) and not poll.vote_of(person.id):
                facts.polls.append((pilot.key, poll.question))
    return facts


def _overdue(item: ChecklistItem, today: date, person_id: int) -> bool:
    return item.is_open and item.owner_id == person_id and item.due is not None and item.due < today


def home_blocks(facts: HomeFacts) -> list[Block]:
    """The Home tab as neutral blocks (rendered like any message)."""
    blocks: list[Block] = [Header(text=_("golive"))]
    if not facts.known:
        blocks.append(
            Paragraph(
                spans=spans(
                    _("Nothing here yet. Type "), bold("/golive help"), _(" to get started.")
                )
            )
        )
        return blocks
    blocks.append(Paragraph(spans=[bold(_("Your overdue items"))]))
    if facts.overdue:
        for pilot, item in facts.overdue:
            line: list[Span] = [
                bold(pilot.key),
                Text(text=f" #{item.number} {item.title} "),
                Text(
                    text=_("(due {date})").format(date=format_date(item.due) if item.due else ""),
                    italic=True,
                ),
            ]
            blocks.append(Paragraph(spans=line))
        blocks.append(
            Actions(
                buttons=[
                    Button(
                        label=_("Checklist {key}").format(key=pilot.key),
                        command=f"checklist {pilot.key}",
                    )
                    for pilot in _unique(p for p, _item in facts.overdue)
                ][:5]
            )
        )
    else:
        blocks.append(Context(spans=spans(_("Nothing overdue. Well done."))))
    blocks.append(Divider())
    blocks.append(Paragraph(spans=[bold(_("Polls waiting for your vote"))]))
    if facts.polls:
        for key, question in facts.polls:
            blocks.append(Paragraph(spans=[bold(key), Text(text=f" {question}")]))
        blocks.append(
            Actions(
                buttons=[
                    Button(label=_("Status {key}").format(key=key), command=f"status {key}")
                    for key, _question in facts.polls[:5]
                ]
            )
        )
    else:
        blocks.append(Context(spans=spans(_("No poll is waiting for you."))))
    blocks.append(Divider())
    blocks.append(Paragraph(spans=[bold(_("Pilots you own"))]))
    if facts.owned:
        for pilot in facts.owned:
            blocks.append(
                Paragraph(spans=[bold(pilot.key), Text(text=f" {pilot.name} · {pilot.stage}")])
            )
        blocks.append(
            Actions(
                buttons=[
                    Button(
                        label=_("Status {key}").format(key=pilot.key), command=f"status {pilot.key}"
                    )
                    for pilot in facts.owned[:5]
                ]
            )
        )
    else:
        blocks.append(Context(spans=spans(_("You own no pilot."))))
    return blocks


def _unique(pilots: Any) -> list[Pilot]:
    seen: dict[str, Pilot] = {}
    for pilot in pilots:
        seen.setdefault(pilot.key, pilot)
    return list(seen.values())
