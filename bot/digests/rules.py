"""The digest's judgements, as pure functions: readiness forecast, KPI status (red, amber,
green), overdue items, activity and the stalled flag, a pilot's health."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.pilots.models import ChecklistItem, Kpi, Measurement, Pilot, Stage, StageChange
from bot.polls.models import Poll

STALLED_AFTER = timedelta(days=14)
PACE_WINDOW_DAYS = 28  # the forecast follows the recent pace, not the whole history
GREEN_FROM = 90.0  # percent of the way from baseline to target
AMBER_FROM = 50.0

# Pilots past these stages are live: quiet weeks are normal there, not a stall.
LIVE_STAGES = frozenset({Stage.PRODUCTION, Stage.SCALING})


class Rag(enum.StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Health(enum.StrEnum):
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"
    STALLED = "stalled"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Forecast:
    """When the checklist would be complete at the recent closing pace.

    ``completion`` is None when nothing was closed in the window (no pace to go on);
    ``late`` is True when the completion falls after the go-live target, or when there is
    a target, open items and no pace at all.
    """

    open_items: int
    closed_in_window: int
    window_days: int
    completion: date | None
    late: bool


def forecast(
    items: Sequence[ChecklistItem],
    *,
    today: date,
    zone: ZoneInfo,
    started: date,
    target: date | None,
) -> Forecast:
    """Project the checklist's completion date from the pace of the last four weeks."""
    window_start = max(started, today - timedelta(days=PACE_WINDOW_DAYS))
    window_days = max(1, (today - window_start).days)
    open_items = sum(1 for item in items if item.is_open)
    closed = sum(
        1
        for item in items
        if not item.is_open
        and item.closed_at is not None
        and item.closed_at.astimezone(zone).date() >= window_start
    )
    if open_items == 0:
        return Forecast(0, closed, window_days, today, late=False)
    if closed == 0:
        return Forecast(open_items, 0, window_days, None, late=target is not None)
    completion = today + timedelta(days=math.ceil(open_items * window_days / closed))
    late = target is not None and completion > target
    return Forecast(open_items, closed, window_days, completion, late)


def latest(kpi: Kpi) -> Measurement | None:
    """The KPI's current value: the measurement with the latest date (then latest entry)."""
    if not kpi.measurements:
        return None
    return max(
        kpi.measurements,
        key=lambda m: (m.at, m.recorded_at.timestamp() if m.recorded_at else 0.0, m.id or 0),
    )


def percent_of_way(kpi: Kpi, value: float) -> float:
    """How far ``value`` has come from baseline to target, in percent (negative when it
    moved the wrong way). Works for lower-is-better KPIs: the signs cancel."""
    span = kpi.target - kpi.baseline
    if span == 0:
        reached = value <= kpi.target if kpi.lower_is_better else value >= kpi.target
        return 100.0 if reached else 0.0
    return (value - kpi.baseline) / span * 100.0


def rag(percent: float | None) -> Rag | None:
    """Green from 90 % of the way, amber from 50 %, red below; None without a measurement."""
    if percent is None:
        return None
    if percent >= GREEN_FROM:
        return Rag.GREEN
    if percent >= AMBER_FROM:
        return Rag.AMBER
    return Rag.RED


def days_late(item: ChecklistItem, owner_today: date) -> int:
    """Days an open item is past its due date in its owner's calendar (0: not overdue)."""
    if not item.is_open or item.due is None or item.due >= owner_today:
        return 0
    return (owner_today - item.due).days


def last_activity(
    pilot: Pilot, stage_changes: Iterable[StageChange], polls: Iterable[Poll]
) -> datetime | None:
    """The latest thing anyone did on the pilot: a stage change, a checklist event, a KPI
    measurement, a poll opened, a vote or a close."""
    moments: list[datetime] = [
        m for m in (pilot.created_at, pilot.last_activity_at, pilot.stage_since) if m is not None
    ]
    moments.extend(change.at for change in stage_changes)
    for item in pilot.items:
        moments.extend(event.at for event in item.events)
        moments.extend(m for m in (item.created_at, item.closed_at) if m is not None)
    for kpi in pilot.kpis:
        moments.extend(m.recorded_at for m in kpi.measurements if m.recorded_at is not None)
    for poll in polls:
        moments.append(poll.opened_at)
        moments.extend(m for m in (poll.closed_at,) if m is not None)
        moments.extend(vote.changed_at or vote.cast_at for vote in poll.votes)
    return max(moments, default=None)


def is_stalled(pilot: Pilot, activity: datetime | None, now: datetime) -> bool:
    """No activity for 14 days on a pilot that is neither live nor stopped."""
    if pilot.stage == Stage.STOPPED or pilot.stage in LIVE_STAGES or activity is None:
        return False
    return now - activity >= STALLED_AFTER


def target_missed(pilot: Pilot, today: date) -> bool:
    """The go-live target has passed and the pilot is not live."""
    return (
        pilot.golive_target is not None
        and pilot.golive_target < today
        and pilot.stage not in LIVE_STAGES
        and pilot.stage != Stage.STOPPED
    )


def health(pilot: Pilot, *, stalled: bool, overdue: int, outlook: Forecast, missed: bool) -> Health:
    """Stopped, stalled, at risk (overdue items, a late forecast or a missed target), else
    on track. A stall outranks a risk: nobody is working on it."""
    if pilot.stage == Stage.STOPPED:
        return Health.STOPPED
    if stalled:
        return Health.STALLED
    if pilot.stage in LIVE_STAGES:
        return Health.AT_RISK if overdue else Health.ON_TRACK
    if overdue or outlook.late or missed:
        return Health.AT_RISK
    return Health.ON_TRACK
