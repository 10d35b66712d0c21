"""Neutral messages about pilots: status, checklist, list and the replies to changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from bot.i18n import _, format_date
from bot.messages import (
    Actions,
    Block,
    Button,
    Context,
    Field_,
    Fields,
    Form,
    Header,
    Link,
    Mention,
    Message,
    Paragraph,
    Progress,
    Span,
    Table,
    Text,
    TextInput,
    bold,
    plain_text,
    spans,
)
from bot.pilots.models import ChecklistItem, ItemStatus, Person, Pilot

People = Mapping[int, Person]

MAX_ITEM_BUTTONS = 10  # keeps cards within Slack's and Teams' action limits


def mention(person: Person | None) -> Span:
    if person is None:
        return Text(text=_("someone"))
    return Mention(user_id=person.external_id, name=person.name)


def number(value: float) -> str:
    """A value without a trailing ``.0``; up to two decimals otherwise."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def with_unit(value: float, unit: str) -> str:
    """``12 min``, ``86%``: a percent sign hugs its number, other units follow a space."""
    if not unit:
        return number(value)
    return f"{number(value)}{unit}" if unit == "%" else f"{number(value)} {unit}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value)}%"


def channel_label(pilot: Pilot) -> str:
    return conversation_label(pilot.channel_id, pilot.channel_name)


def conversation_label(channel_id: str, channel_name: str | None) -> str:
    """``#name``; a conversation the platform gave no name (a Teams chat) is not shown by
    its opaque id."""
    return f"#{channel_name}" if channel_name else _("an unnamed chat")


def _message(blocks: list[Block], *, private: bool = False) -> Message:
    text = next(
        (plain_text(b.spans) for b in blocks if isinstance(b, Paragraph)),
        next((b.text for b in blocks if isinstance(b, Header)), ""),
    )
    return Message(text=text, blocks=blocks, private=private)


def reply(*parts: str | Span, private: bool = False, extra: list[Block] | None = None) -> Message:
    """A one-paragraph reply, public unless said otherwise."""
    blocks: list[Block] = [Paragraph(spans=spans(*parts))]
    return _message(blocks + (extra or []), private=private)


# --- status -------------------------------------------------------------------------------


def _days(n: int) -> str:
    return _("1 day") if n == 1 else _("{n} days").format(n=n)


def _golive(pilot: Pilot, today: date) -> list[Span]:
    if pilot.golive_target is None:
        return spans(_("not set"))
    left = (pilot.golive_target - today).days
    if left >= 0:
        when = _("in {days}").format(days=_days(left))
    else:
        when = _("{days} ago").format(days=_days(-left))
    return spans(f"{format_date(pilot.golive_target)} ({when})")


def committee_spans(pilot: Pilot, people: People) -> list[Span]:
    out: list[Span] = []
    for i, member in enumerate(pilot.committee):
        if i:
            out.append(Text(text=", "))
        out.append(mention(people.get(member.person_id)))
        role = member.role if member.voting else _("{role}, observer").format(role=member.role)
        out.append(Text(text=f" ({role})"))
    return out


def item_line(item: ChecklistItem, people: People, today: date) -> list[Span]:
    """``2. [ ] Title — @sara, due Fri 2026-12-11 · overdue``."""
    mark = {ItemStatus.OPEN: "[ ]", ItemStatus.DONE: "[x]", ItemStatus.WAIVED: "[~]"}[item.status]
    out: list[Span] = [Text(text=f"{item.number}. {mark} "), Text(text=item.title)]
    flags = [_("blocking")] if item.blocking else []
    if item.needs_evidence and item.is_open:
        flags.append(_("needs evidence"))
    if flags:
        out.append(Text(text=f" ({', '.join(flags)})", italic=True))
    out += [Text(text=" — "), mention(people.get(item.owner_id))]
    if item.due is not None and item.is_open:
        out.append(Text(text=", " + _("due {date}").format(date=format_date(item.due))))
        if item.is_overdue(today):
            out.append(
                bold(" · " + _("OVERDUE {days}").format(days=_days((today - item.due).days)))
            )
    if item.status == ItemStatus.DONE and item.evidence:
        out.append(Text(text=" · " + _("evidence: ")))
        ev = item.evidence
        out.append(
            Link(url=ev, label=ev) if ev.startswith(("http://", "https://")) else Text(text=ev)
        )
    if item.status == ItemStatus.WAIVED and item.waive_reason:
        out.append(Text(text=" · " + _("waived: {reason}").format(reason=item.waive_reason)))
    return out


def kpi_table(pilot: Pilot) -> Table:
    rows = []
    for kpi in pilot.kpis:
        latest = kpi.latest()
        name = f"{kpi.name} ({kpi.unit})" if kpi.unit else kpi.name
        rows.append(
            [
                name,
                number(kpi.baseline),
                number(latest.value) if latest else "—",
                number(kpi.target) + (" ↓" if kpi.lower_is_better else ""),
                percent(kpi.progress()),
            ]
        )
    return Table(
        columns=[_("KPI"), _("Baseline"), _("Current"), _("Target"), _("Of the way")], rows=rows
    )


def status_message(pilot: Pilot, people: People, *, today: date, now: datetime) -> Message:
    """Stage, owner, go-live target, committee, checklist progress, blocking items, KPIs."""
    since = pilot.stage_since or pilot.created_at or now
    done, total = pilot.checklist_progress()
    stage = f"{pilot.stage} ({_('for {days}').format(days=_days((now - since).days))})"
    blocks: list[Block] = [
        Header(text=f"{pilot.name} ({pilot.key})"),
        Fields(
            fields=[
                Field_(label=_("Stage"), value=spans(stage)),
                Field_(label=_("Business owner"), value=[mention(people.get(pilot.owner_id))]),
                Field_(label=_("Go-live target"), value=_golive(pilot, today)),
                Field_(label=_("Steering channel"), value=spans(channel_label(pilot))),
            ]
        ),
        Paragraph(spans=[bold(_("Committee: ")), *committee_spans(pilot, people)]),
        Progress(label=_("Checklist"), done=done, total=total),
    ]
    blocking = pilot.open_blocking()
    if blocking:
        blocks.append(
            Paragraph(spans=[bold(_("Open blocking items ({n}):").format(n=len(blocking)))])
        )
        blocks += [Paragraph(spans=item_line(i, people, today)) for i in blocking]
    if pilot.kpis:
        blocks.append(kpi_table(pilot))
    else:
        blocks.append(
            Context(
                spans=spans(
                    _("No KPIs yet: `kpi {key} add ...` defines one.").format(key=pilot.key)
                )
            )
        )
    blocks.append(
        Actions(
            buttons=[
                Button(label=_("Checklist"), command=f"checklist {pilot.key}"),
            ]
        )
    )
    return Message(
        text=_("{name} ({key}): {stage}, checklist {done}/{total}").format(
            name=pilot.name, key=pilot.key, stage=pilot.stage, done=done, total=total
        ),
        blocks=blocks,
        private=True,
    )


# --- checklist ----------------------------------------------------------------------------


def done_button(pilot: Pilot, item: ChecklistItem) -> Button:
    command = f"checklist {pilot.key} done {item.number}"
    return Button(
        label=_("Done {n}").format(n=item.number),
        command=command,
        form=Form(
            title=_("Mark item {n} done").format(n=item.number),
            command=command,
            intro=spans(item.title),
            inputs=[
                TextInput(
                    name="evidence",
                    label=_("Evidence (a link or a note)"),
                    required=item.needs_evidence,
                )
            ],
            submit_label=_("Mark done"),
        ),
        style="primary",
    )


def checklist_message(pilot: Pilot, people: People, *, today: date) -> Message:
    """The numbered checklist with status, owner, due date, overdue marker and evidence."""
    done, total = pilot.checklist_progress()
    items = sorted(pilot.items, key=lambda i: i.number)
    blocks: list[Block] = [
        Header(text=_("Checklist: {name} ({key})").format(name=pilot.name, key=pilot.key)),
        Progress(label=_("Closed"), done=done, total=total),
    ]
    blocks += [Paragraph(spans=item_line(i, people, today)) for i in items]
    open_items = [i for i in items if i.is_open][:MAX_ITEM_BUTTONS]
    if open_items:
        blocks.append(Actions(buttons=[done_button(pilot, i) for i in open_items]))
    return Message(
        text=_("Checklist of {key}: {done}/{total} closed").format(
            key=pilot.key, done=done, total=total
        ),
        blocks=blocks,
        private=True,
    )


# --- list ---------------------------------------------------------------------------------


def list_message(pilots: list[Pilot], people: People) -> Message:
    if not pilots:
        return reply(_('No pilots here yet. Start one with `new <key> "<name>"`.'), private=True)
    rows = []
    for pilot in pilots:
        done, total = pilot.checklist_progress()
        owner = people.get(pilot.owner_id)
        rows.append(
            [
                pilot.key,
                pilot.name,
                str(pilot.stage),
                f"@{owner.name}" if owner else "?",
                f"{done}/{total}",
                format_date(pilot.golive_target) if pilot.golive_target else "—",
            ]
        )
    table = Table(
        columns=[_("Key"), _("Name"), _("Stage"), _("Owner"), _("Checklist"), _("Go-live")],
        rows=rows,
    )
    return Message(
        text=_("{n} pilots").format(n=len(pilots)),
        blocks=[Header(text=_("Pilots")), table],
        private=True,
    )
