"""A channel's digest as data: what each pilot's section and the "what changed" section
say, computed from a :class:`Portfolio` with no I/O. Messaging turns it into text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.digests import rules
from bot.digests.models import Portfolio
from bot.digests.rules import Forecast, Health, Rag
from bot.pilots.models import ChecklistItem, Kpi, Person, Pilot, Stage
from bot.polls.models import Decision, Poll

SLIP = "slipped"  # the ItemEvent kind the checklist records when a due date moves


@dataclass(frozen=True)
class OverdueItem:
    number: int
    title: str
    owner: Person | None
    days_late: int


@dataclass(frozen=True)
class Slip:
    number: int
    title: str
    old: str | None  # ISO dates as the checklist recorded them
    new: str | None


@dataclass(frozen=True)
class KpiLine:
    kpi: Kpi
    current: float | None
    percent: float | None
    change: float | None  # since the previous digest; None when it showed no value
    status: Rag | None


@dataclass
class PilotReport:
    pilot: Pilot
    health: Health
    days_in_stage: int | None
    days_to_target: int | None  # negative: past the target
    target_missed: bool
    closed: int
    total: int
    overdue: list[OverdueItem]
    slips: list[Slip]
    kpis: list[KpiLine]
    forecast: Forecast
    idle_days: int | None
    open_polls: list[Poll]
    decisions: list[Decision]


@dataclass(frozen=True)
class StageMove:
    pilot: Pilot
    old: Stage | None
    new: Stage


@dataclass(frozen=True)
class ItemClosed:
    pilot: Pilot
    item: ChecklistItem


@dataclass(frozen=True)
class NewDecision:
    pilot: Pilot
    decision: Decision


@dataclass(frozen=True)
class KpiMove:
    pilot: Pilot
    kpi: Kpi
    old: float
    new: float


Change = StageMove | ItemClosed | NewDecision | KpiMove


@dataclass
class DigestReport:
    channel_id: str
    channel_name: str | None
    week: str
    today: date
    since: datetime
    pilots: list[PilotReport]
    changes: list[Change]
    people: dict[int, Person] = field(default_factory=dict)

    def kpi_values(self) -> dict[int, float]:
        """The KPI values this digest shows, kept so the next one can show the change."""
        return {
            line.kpi.id: line.current
            for report in self.pilots
            for line in report.kpis
            if line.kpi.id is not None and line.current is not None
        }

    def count(self, health: Health) -> int:
        return sum(1 for report in self.pilots if report.health == health)


def assess(
    portfolio: Portfolio,
    *,
    now: datetime,
    timezone: str,
    week: str,
    since: datetime,
    previous_values: dict[int, float],
) -> DigestReport:
    """Judge every pilot of the channel and collect what changed since ``since``."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    reports = [
        _pilot_report(pilot, portfolio, now=now, zone=zone, since=since, prev=previous_values)
        for pilot in portfolio.pilots
    ]
    return DigestReport(
        channel_id=portfolio.channel_id,
        channel_name=portfolio.channel_name,
        week=week,
        today=today,
        since=since,
        pilots=reports,
        changes=_changes(portfolio, reports, since=since, prev=previous_values),
        people=portfolio.people,
    )


def _local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


def _pilot_report(
    pilot: Pilot,
    portfolio: Portfolio,
    *,
    now: datetime,
    zone: ZoneInfo,
    since: datetime,
    prev: dict[int, float],
) -> PilotReport:
    today = now.astimezone(zone).date()
    changes = [c for c in portfolio.stage_changes if c.pilot_id == pilot.id]
    polls = [p for p in portfolio.week_polls if p.pilot_id == pilot.id]
    overdue = _overdue(pilot, portfolio.people, now=now, fallback=zone)
    started = _local_date(pilot.created_at, zone) or today
    outlook = rules.forecast(
        pilot.items, today=today, zone=zone, started=started, target=pilot.golive_target
    )
    activity = rules.last_activity(pilot, changes, polls)
    stalled = rules.is_stalled(pilot, activity, now)
    missed = rules.target_missed(pilot, today)
    stage_start = _local_date(pilot.stage_since or pilot.created_at, zone)
    return PilotReport(
        pilot=pilot,
        health=rules.health(
            pilot, stalled=stalled, overdue=len(overdue), outlook=outlook, missed=missed
        ),
        days_in_stage=(today - stage_start).days if stage_start else None,
        days_to_target=(pilot.golive_target - today).days if pilot.golive_target else None,
        target_missed=missed,
        closed=sum(1 for item in pilot.items if not item.is_open),
        total=len(pilot.items),
        overdue=overdue,
        slips=[
            Slip(item.number, item.title, event.old_value, event.new_value)
            for item in pilot.items
            for event in item.events
            if event.kind == SLIP and event.at >= since
        ],
        kpis=[_kpi_line(kpi, prev) for kpi in pilot.kpis],
        forecast=outlook,
        idle_days=(now - activity).days if activity is not None else None,
        open_polls=[p for p in polls if p.is_open],
        decisions=[
            d for d in portfolio.decisions if d.pilot_id == pilot.id and d.decided_at >= since
        ],
    )


def _overdue(
    pilot: Pilot, people: dict[int, Person], *, now: datetime, fallback: ZoneInfo
) -> list[OverdueItem]:
    out = []
    for item in pilot.items:
        owner = people.get(item.owner_id)
        zone = ZoneInfo(owner.timezone) if owner and owner.timezone else fallback
        late = rules.days_late(item, now.astimezone(zone).date())
        if late:
            out.append(OverdueItem(item.number, item.title, owner, late))
    return sorted(out, key=lambda o: (-o.days_late, o.number))


def _kpi_line(kpi: Kpi, prev: dict[int, float]) -> KpiLine:
    measurement = rules.latest(kpi)
    if measurement is None:
        return KpiLine(kpi, None, None, None, None)
    percent = rules.percent_of_way(kpi, measurement.value)
    before = prev.get(kpi.id) if kpi.id is not None else None
    change = measurement.value - before if before is not None else None
    return KpiLine(kpi, measurement.value, percent, change, rules.rag(percent))


def _changes(
    portfolio: Portfolio, reports: list[PilotReport], *, since: datetime, prev: dict[int, float]
) -> list[Change]:
    by_id = {pilot.id: pilot for pilot in portfolio.pilots}
    out: list[Change] = []
    for change in sorted(portfolio.stage_changes, key=lambda c: c.at):
        if change.at >= since and change.pilot_id in by_id:
            out.append(StageMove(by_id[change.pilot_id], change.from_stage, change.to_stage))
    closed = [
        (item.closed_at, pilot, item)
        for pilot in portfolio.pilots
        for item in pilot.items
        if not item.is_open and item.closed_at is not None and item.closed_at >= since
    ]
    for _at, pilot, item in sorted(closed, key=lambda c: (c[0], c[2].number)):
        out.append(ItemClosed(pilot, item))
    for report in reports:
        out.extend(NewDecision(report.pilot, decision) for decision in report.decisions)
    for report in reports:
        for line in report.kpis:
            before = prev.get(line.kpi.id) if line.kpi.id is not None else None
            if before is not None and line.current is not None and line.current != before:
                out.append(KpiMove(report.pilot, line.kpi, before, line.current))
    return out
