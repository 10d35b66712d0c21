"""Neutral messages about pilots: status, checklist, list, and the replies to changes
(public in the steering channel, naming who did what) and to settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from bot import commands as c
from bot.actions import Draft
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
from bot.pilots.models import (
    ChecklistItem,
    ItemStatus,
    Kpi,
    Person,
    Pilot,
    Role,
    Stage,
    kpi_progress,
)

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
                Button(label=_("Checklist"), action=c.ChecklistShow(key=pilot.key)),
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


DONE_FORM = "checklist-done"


def done_form(pilot: Pilot, item: ChecklistItem) -> Form:
    return Form(
        name=DONE_FORM,
        title=_("Mark item {n} done").format(n=item.number),
        action=Draft.of(c.ChecklistDone, key=pilot.key, number=item.number),
        intro=spans(item.title),
        inputs=[
            TextInput(
                name="evidence",
                label=_("Evidence (a link or a note)"),
                required=item.needs_evidence,
            )
        ],
        submit_label=_("Mark done"),
    )


def done_button(pilot: Pilot, item: ChecklistItem) -> Button:
    return Button(
        label=_("Done {n}").format(n=item.number), form=done_form(pilot, item), style="primary"
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


# --- replies to changes -------------------------------------------------------------------


def _items(items: list[ChecklistItem]) -> str:
    return "; ".join(f"{i.number}. {i.title}" for i in items)


def _progress(pilot: Pilot) -> Progress:
    done, total = pilot.checklist_progress()
    return Progress(label=_("Checklist"), done=done, total=total)


def created(pilot: Pilot, people: People) -> Message:
    owner = people.get(pilot.owner_id)
    dues = sorted({i.due for i in pilot.items if i.due is not None})
    due_text = (
        _("due {first} to {last}").format(first=format_date(dues[0]), last=format_date(dues[-1]))
        if len(dues) > 1
        else _("due {date}").format(date=format_date(dues[0]))
        if dues
        else ""
    )
    return reply(
        _("Pilot "),
        bold(pilot.name),
        f" ({pilot.key}) " + _("created in {stage}. Business owner: ").format(stage=pilot.stage),
        mention(owner),
        ". "
        + _("Steering channel: {channel}.").format(channel=channel_label(pilot))
        + " "
        + _("Readiness checklist: {n} items, {due}.").format(n=len(pilot.items), due=due_text),
        extra=[_progress(pilot)],
    )


def stage_moved(pilot: Pilot, old: Stage, by: Person) -> Message:
    return reply(
        mention(by),
        " " + _("moved {key} from {old} to {new}.").format(key=pilot.key, old=old, new=pilot.stage),
    )


def member_added(
    pilot: Pilot, person: Person, role: Role, voting: bool, moved: list[ChecklistItem]
) -> Message:
    vote = _("voting") if voting else _("observer, no vote")
    parts: list[str | Span] = [
        mention(person),
        " "
        + _("joined the {key} committee as {role} ({vote}).").format(
            key=pilot.key, role=role, vote=vote
        ),
    ]
    if moved:
        parts += [" " + _("Reassigned from the business owner to "), mention(person)]
        parts.append(": " + _items(moved) + ".")
    return reply(*parts)


def member_removed(
    pilot: Pilot, person: Person, returned: list[ChecklistItem], owner: Person | None
) -> Message:
    parts: list[str | Span] = [
        mention(person),
        " " + _("left the {key} committee.").format(key=pilot.key),
    ]
    if returned:
        parts += [" " + _("Returned to "), mention(owner), ": " + _items(returned) + "."]
    return reply(*parts)


def item_added(pilot: Pilot, item: ChecklistItem, people: People) -> Message:
    flags = [_("blocking")] if item.blocking else []
    if item.needs_evidence:
        flags.append(_("needs evidence"))
    due = _("due {date}").format(date=format_date(item.due)) if item.due else _("no due date")
    return reply(
        _("Item {n} added to {key}: ").format(n=item.number, key=pilot.key),
        bold(item.title),
        " — ",
        mention(people.get(item.owner_id)),
        ", " + due + (f" ({', '.join(flags)})" if flags else "") + ".",
    )


def item_done(pilot: Pilot, item: ChecklistItem, by: Person) -> Message:
    parts: list[str | Span] = [
        mention(by),
        " " + _("marked item {n} of {key} done: ").format(n=item.number, key=pilot.key),
        bold(item.title),
        ".",
    ]
    if item.evidence:
        parts.append(" " + _("Evidence: ") + item.evidence)
    return reply(*parts, extra=[_progress(pilot)])


def item_waived(pilot: Pilot, item: ChecklistItem, by: Person) -> Message:
    return reply(
        mention(by),
        " " + _("waived item {n} of {key}: ").format(n=item.number, key=pilot.key),
        bold(item.title),
        ". " + _("Reason: {reason}").format(reason=item.waive_reason or ""),
        extra=[_progress(pilot)],
    )


def item_assigned(pilot: Pilot, item: ChecklistItem, old: Person | None, new: Person) -> Message:
    return reply(
        _("Item {n} of {key} (").format(n=item.number, key=pilot.key),
        Text(text=item.title),
        ") " + _("reassigned from "),
        mention(old),
        " " + _("to "),
        mention(new),
        ".",
    )


def item_rescheduled(pilot: Pilot, item: ChecklistItem, old: date | None) -> Message:
    new = format_date(item.due) if item.due else _("no due date")
    was = format_date(old) if old else _("no due date")
    return reply(
        _("Item {n} of {key} (").format(n=item.number, key=pilot.key),
        Text(text=item.title),
        ") " + _("is now due {new} (was {old}); the slip is recorded.").format(new=new, old=was),
    )


def kpi_added(pilot: Pilot, kpi: Kpi) -> Message:
    direction = _("lower is better") if kpi.lower_is_better else _("higher is better")
    return reply(
        _("KPI "),
        bold(kpi.name),
        " "
        + _("added to {key} ({kind}): baseline {baseline} → target {target}, {dir}.").format(
            key=pilot.key,
            kind=kpi.kind,
            baseline=with_unit(kpi.baseline, kpi.unit),
            target=with_unit(kpi.target, kpi.unit),
            dir=direction,
        ),
    )


def kpi_recorded(pilot: Pilot, kpi: Kpi, value: float, day: date, by: Person) -> Message:
    return reply(
        mention(by),
        " "
        + _("recorded {name} for {key}: {value} on {date} — {pct} of the way to target.").format(
            name=kpi.name,
            key=pilot.key,
            value=with_unit(value, kpi.unit),
            date=format_date(day),
            pct=percent(kpi_progress(kpi, value)),
        ),
    )


# --- settings -----------------------------------------------------------------------------


def settings_shown(person: Person, workspace_timezone: str, workspace_weekend: str) -> Message:
    hours = f"{person.work_start:%H:%M}-{person.work_end:%H:%M}"
    tz = person.timezone or _("{zone} (workspace default)").format(zone=workspace_timezone)
    weekend = person.weekend or _("{days} (workspace default)").format(days=workspace_weekend)
    language = person.locale or "en"
    return Message(
        text=_("Your settings: {tz}, {hours}, weekend {weekend}, language {lang}").format(
            tz=tz, hours=hours, weekend=weekend, lang=language
        ),
        blocks=[
            Fields(
                fields=[
                    Field_(label=_("Time zone"), value=spans(tz)),
                    Field_(label=_("Working hours"), value=spans(hours)),
                    Field_(label=_("Weekend"), value=spans(weekend)),
                    Field_(label=_("Language"), value=spans(language)),
                ]
            )
        ],
        private=True,
    )
