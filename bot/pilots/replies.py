"""Replies to changes: public in the steering channel, naming who did what."""

from __future__ import annotations

from datetime import date

from bot.i18n import _, format_date
from bot.messages import Field_, Fields, Message, Progress, Span, Text, bold, spans
from bot.pilots.messaging import (
    People,
    channel_label,
    mention,
    percent,
    reply,
    with_unit,
)
from bot.pilots.models import (
    ChecklistItem,
    CommitteeMember,
    Kpi,
    Person,
    Pilot,
    Stage,
    kpi_progress,
)


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
    pilot: Pilot, person: Person, member: CommitteeMember, moved: list[ChecklistItem]
) -> Message:
    vote = _("voting") if member.voting else _("observer, no vote")
    parts: list[str | Span] = [
        mention(person),
        " "
        + _("joined the {key} committee as {role} ({vote}).").format(
            key=pilot.key, role=member.role, vote=vote
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
    assert item.due is not None
    was = format_date(old) if old else _("no due date")
    return reply(
        _("Item {n} of {key} (").format(n=item.number, key=pilot.key),
        Text(text=item.title),
        ") "
        + _("is now due {new} (was {old}); the slip is recorded.").format(
            new=format_date(item.due), old=was
        ),
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


def settings_shown(person: Person, workspace_timezone: str, workspace_weekend: str) -> Message:
    def value(text: str) -> list[Span]:
        return spans(text)

    hours = f"{person.work_start:%H:%M}-{person.work_end:%H:%M}"
    tz = person.timezone or _("{zone} (workspace default)").format(zone=workspace_timezone)
    weekend = person.weekend or _("{days} (workspace default)").format(days=workspace_weekend)
    return Message(
        text=_("Your settings: {tz}, {hours}, weekend {weekend}, language {lang}").format(
            tz=tz, hours=hours, weekend=weekend, lang=person.locale or "en"
        ),
        blocks=[
            Fields(
                fields=[
                    Field_(label=_("Time zone"), value=value(tz)),
                    Field_(label=_("Working hours"), value=value(hours)),
                    Field_(label=_("Weekend"), value=value(weekend)),
                    Field_(label=_("Language"), value=value(person.locale or "en")),
                ]
            )
        ],
        private=True,
    )
