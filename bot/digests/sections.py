"""One pilot's section of the digest, and the small formatters the digest shares."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.digests.report import DigestReport, KpiLine, PilotReport
from bot.digests.rules import PACE_WINDOW_DAYS, Health
from bot.i18n import _, format_date
from bot.messages import (
    Block,
    Field_,
    Fields,
    Mention,
    Paragraph,
    Progress,
    Span,
    Table,
    Text,
    bold,
    spans,
)
from bot.pilots.models import Person


def days(n: int) -> str:
    return (_("{n} day") if abs(n) == 1 else _("{n} days")).format(n=n)


def number(value: float) -> str:
    """A KPI value: at most two decimals, no trailing zeros."""
    text = f"{round(value, 2):,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value)


def health_label(health: Health) -> str:
    labels = {
        Health.ON_TRACK: _("on track"),
        Health.AT_RISK: _("at risk"),
        Health.STALLED: _("stalled"),
        Health.STOPPED: _("stopped"),
    }
    return labels[health]


def mention(person: Person | None) -> Span:
    if person is None:
        return Text(text=_("(unknown)"))
    return Mention(user_id=person.external_id, name=person.name)


def _status_line(report: PilotReport) -> list[Span]:
    pilot = report.pilot
    label = health_label(report.health)
    reasons: list[str] = []
    if report.health == Health.STALLED and report.idle_days is not None:
        reasons.append(_("no activity for {days}").format(days=days(report.idle_days)))
    elif report.health == Health.AT_RISK:
        if report.overdue:
            reasons.append(_("{n} overdue").format(n=len(report.overdue)))
        if report.forecast.late:
            reasons.append(_("checklist forecast after go-live"))
        if report.target_missed:
            reasons.append(_("go-live target passed"))
    suffix = label + (": " + ", ".join(reasons) if reasons else "")
    return [bold(pilot.name), Text(text=f" ({pilot.key}): {suffix}")]


def _golive(report: PilotReport, locale: str | None = None) -> str:
    target = report.pilot.golive_target
    if target is None or report.days_to_target is None:
        return _("not set")
    when = format_date(target, locale)
    if report.days_to_target >= 0:
        return _("{date}, in {days}").format(date=when, days=days(report.days_to_target))
    return _("{date}, {days} ago").format(date=when, days=days(-report.days_to_target))


def _forecast(report: PilotReport) -> str:
    outlook = report.forecast
    if outlook.open_items == 0:
        return _("checklist complete")
    if outlook.completion is None:
        return _("no items closed in the last {n} days").format(n=PACE_WINDOW_DAYS)
    text = _("complete by {date}").format(date=format_date(outlook.completion))
    return text + (_(", after the go-live target") if outlook.late else "")


def _stage(report: PilotReport) -> str:
    if report.days_in_stage is None:
        return report.pilot.stage.value
    return _("{stage} for {days}").format(
        stage=report.pilot.stage.value, days=days(report.days_in_stage)
    )


def _kpi_row(line: KpiLine) -> list[str]:
    kpi = line.kpi
    dash = "–"
    current = number(line.current) if line.current is not None else dash
    return [
        f"{kpi.name} ({kpi.unit})",
        f"{number(kpi.baseline)} → {current} → {number(kpi.target)}",
        f"{line.percent:.0f}%" if line.percent is not None else dash,
        signed(line.change) if line.change is not None else dash,
        line.status.value if line.status is not None else _("no data"),
    ]


def line_paragraph(lines: list[list[Span]]) -> list[Block]:
    """Lines as one paragraph (none for no lines): fewer blocks, as Slack allows only 50
    in a message."""
    if not lines:
        return []
    joined: list[Span] = []
    for index, line in enumerate(lines):
        joined.extend([Text(text="\n")] if index else [])
        joined.extend(line)
    return [Paragraph(spans=joined)]


def pilot_blocks(report: PilotReport, digest: DigestReport, zone: ZoneInfo) -> list[Block]:
    blocks: list[Block] = [
        Paragraph(spans=_status_line(report)),
        Fields(
            fields=[
                Field_(label=_("Stage"), value=spans(_stage(report))),
                Field_(label=_("Go-live"), value=spans(_golive(report))),
                Field_(label=_("Forecast"), value=spans(_forecast(report))),
            ]
        ),
        Progress(label=_("Checklist"), done=report.closed, total=report.total),
    ]
    notes: list[list[Span]] = []
    for item in report.overdue:
        lead = _("Overdue: #{n} {title}, ").format(n=item.number, title=item.title)
        tail = _(", {days} late").format(days=days(item.days_late))
        notes.append([Text(text=lead), mention(item.owner), Text(text=tail)])
    for slip in report.slips:
        text = _("Slipped: #{n} {title}, {old} → {new}").format(
            n=slip.number, title=slip.title, old=slip.old or "–", new=slip.new or "–"
        )
        notes.append(spans(text))
    blocks.extend(line_paragraph(notes))
    if report.kpis:
        columns = [
            _("KPI"),
            _("Baseline → current → target"),
            _("Of the way"),
            _("Since last digest"),
            _("Status"),
        ]
        blocks.append(Table(columns=columns, rows=[_kpi_row(line) for line in report.kpis]))
    votes: list[list[Span]] = []
    for poll in report.open_polls:
        closes = poll.closes_at.astimezone(zone)
        lead = _("Open poll “{question}”, closes {date} {time}").format(
            question=poll.question, date=format_date(closes.date()), time=f"{closes:%H:%M}"
        )
        waiting = [digest.people.get(v.person_id) for v in poll.non_voters()]
        parts: list[Span] = [Text(text=lead)]
        if waiting:
            parts.append(Text(text=_("; waiting for ")))
            for index, person in enumerate(waiting):
                parts.extend([Text(text=", ")] if index else [])
                parts.append(mention(person))
        else:
            parts.append(Text(text=_("; everyone has voted")))
        votes.append(parts)
    for decision in report.decisions:
        text = _("Decision on {date}: {outcome}").format(
            date=format_date(decision.decided_at.astimezone(zone).date()),
            outcome=decision.outcome,
        )
        votes.append(spans(text))
    blocks.extend(line_paragraph(votes))
    return blocks
