"""The reminder direct messages: overdue items, heads-ups and escalations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from bot import commands as c
from bot.actions import Draft
from bot.i18n import _, format_date
from bot.messages import (
    Actions,
    Block,
    Button,
    Context,
    DateInput,
    Form,
    Header,
    Mention,
    Message,
    Paragraph,
    Span,
    TextInput,
    bold,
    spans,
)
from bot.pilots.models import Person
from bot.reminders.models import DueItem
from bot.reminders.planning import Planned

MAX_LISTED = 15  # Slack allows 50 blocks a message; each item takes three


DONE_FORM = "reminder-done"
SNOOZE_FORM = "reminder-snooze"


def done_form(key: str, number: int, title: str) -> Form:
    return Form(
        name=DONE_FORM,
        title=_("Mark done"),
        action=Draft.of(c.ChecklistDone, key=key, number=number),
        intro=spans(_("Evidence for "), bold(title)),
        inputs=[TextInput(name="evidence", label=_("Evidence (a link or a note)"), multiline=True)],
        submit_label=_("Mark done"),
    )


def done_button(item: DueItem) -> Button:
    """Mark done: at once, or through a form asking for evidence when the item needs it."""
    if not item.needs_evidence:
        done = c.ChecklistDone(key=item.pilot_key, number=item.number)
        return Button(label=_("Mark done"), action=done, style="primary")
    form = done_form(item.pilot_key, item.number, item.title)
    return Button(label=_("Mark done"), form=form, style="primary")


def snooze_form(key: str, number: int, title: str, today: date) -> Form:
    return Form(
        name=SNOOZE_FORM,
        title=_("Snooze"),
        action=Draft.of(c.ChecklistDue, key=key, number=number),
        intro=spans(_("New due date for "), bold(title)),
        inputs=[
            DateInput(
                name="due", label=_("New due date"), initial=(today + timedelta(days=1)).isoformat()
            )
        ],
        submit_label=_("Snooze"),
    )


def snooze_button(item: DueItem, today: date) -> Button:
    """Snooze: a form asking for the new due date (the slip is recorded by the command)."""
    form = snooze_form(item.pilot_key, item.number, item.title, today)
    return Button(label=_("Snooze"), form=form)


def _item_line(item: DueItem) -> list[Span]:
    return spans(bold(item.pilot_name), f" #{item.number} ", item.title)


def _more(planned: Planned) -> list[Block]:
    hidden = len(planned.items) - MAX_LISTED
    if hidden <= 0:
        return []
    return [Context(spans=spans(_("…and {n} more.").format(n=hidden)))]


def overdue_line(item: DueItem, days: int, locale: str | None) -> str:
    due = format_date(item.due, locale)
    if days == 1:
        return _("Was due {date} · 1 working day overdue").format(date=due)
    return _("Was due {date} · {days} working days overdue").format(date=due, days=days)


def overdue_reminder(planned: Planned) -> Message:
    """The owner's one reminder of the day, listing every overdue item."""
    locale = planned.person.locale
    count = len(planned.items)
    intro = (
        _("You have 1 overdue checklist item.")
        if count == 1
        else _("You have {n} overdue checklist items.").format(n=count)
    )
    blocks: list[Block] = [Header(text=_("Overdue checklist items")), Paragraph(spans=spans(intro))]
    for item in planned.items[:MAX_LISTED]:
        days = planned.days_overdue.get(item.item_id, 0)
        when = overdue_line(item, days, locale)
        blocks += [
            Paragraph(spans=_item_line(item)),
            Context(spans=spans(when)),
            Actions(buttons=[done_button(item), snooze_button(item, planned.today)]),
        ]
    return Message(text=intro, blocks=blocks + _more(planned))


def heads_up(planned: Planned) -> Message:
    """Items due within the next two working days."""
    locale = planned.person.locale
    intro = (
        _("1 checklist item is due soon.")
        if len(planned.items) == 1
        else _("{n} checklist items are due soon.").format(n=len(planned.items))
    )
    blocks: list[Block] = [Header(text=_("Due soon")), Paragraph(spans=spans(intro))]
    for item in planned.items[:MAX_LISTED]:
        when = _("Due {date}").format(date=format_date(item.due, locale))
        blocks += [
            Paragraph(spans=_item_line(item)),
            Context(spans=spans(when)),
            Actions(buttons=[done_button(item), snooze_button(item, planned.today)]),
        ]
    return Message(text=intro, blocks=blocks + _more(planned))


def escalation(planned: Planned, owners: Mapping[int, Person]) -> Message:
    """The business owner's list of items overdue for three working days or more."""
    locale = planned.person.locale
    intro = (
        _("1 checklist item on your pilots is 3 or more working days overdue.")
        if len(planned.items) == 1
        else _("{n} checklist items on your pilots are 3 or more working days overdue.").format(
            n=len(planned.items)
        )
    )
    blocks: list[Block] = [
        Header(text=_("Escalated checklist items")),
        Paragraph(spans=spans(intro)),
    ]
    for item in planned.items[:MAX_LISTED]:
        owner = owners.get(item.owner_id)
        who: list[Span] = (
            [Mention(user_id=owner.external_id, name=owner.name)] if owner else spans(_("unknown"))
        )
        when = overdue_line(item, planned.days_overdue.get(item.item_id, 0), locale)
        blocks += [
            Paragraph(spans=[*_item_line(item), *spans(_(" · owner ")), *who]),
            Context(spans=spans(when)),
        ]
    return Message(text=intro, blocks=blocks + _more(planned))
