"""Digest schedules, stored digests, and what a digest is built from.

Plain classes: storage maps :class:`DigestSchedule` and :class:`Digest` imperatively;
:class:`Portfolio` and :class:`ChannelSlot` are read models the repository fills.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.pilots.models import Person, Pilot, StageChange, Workspace
from bot.polls.models import Decision, Poll

DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_TIME = time(9, 0)


def iso_week(day: date) -> str:
    """``2027-W13``: the ISO week ``day`` falls in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_slot(now: datetime, *, weekday: int, at: time, timezone: str) -> datetime:
    """This local week's send time (aware, in ``timezone``) for a weekday and time.

    The week is the local one, Monday to Sunday, so the slot and ``now`` always share an
    ISO week. A wall time that a DST change skips maps to the instant just after the gap
    (zoneinfo's fold=0), so the digest is still sent that day.
    """
    zone = ZoneInfo(timezone)
    local_today = now.astimezone(zone).date()
    monday = local_today - timedelta(days=local_today.weekday())
    return datetime.combine(monday + timedelta(days=weekday), at, tzinfo=zone)


def next_slot(now: datetime, *, weekday: int, at: time, timezone: str) -> datetime:
    """The first send time at or after ``now`` (this week's, else next week's)."""
    slot = weekly_slot(now, weekday=weekday, at=at, timezone=timezone)
    if slot >= now:
        return slot
    # Add calendar days, not 168 hours, so the wall time holds across a DST change.
    return datetime.combine(slot.date() + timedelta(days=7), at, tzinfo=slot.tzinfo)


@dataclass(eq=False)
class DigestSchedule:
    """When a steering channel gets its digest; channels without one use the default."""

    workspace_id: int
    channel_id: str
    weekday: int = DEFAULT_WEEKDAY  # 0 = Monday
    at: time = DEFAULT_TIME
    timezone: str | None = None  # None: the workspace's
    channel_name: str | None = None
    updated_by_id: int | None = None
    updated_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Digest:
    """A posted scheduled digest: one per channel and ISO week (unique in the database).

    ``kpi_values_json`` keeps the KPI values the digest showed (``{kpi id: value}``) so
    the next digest reports the change since this one.
    """

    workspace_id: int
    channel_id: str
    week: str
    created_at: datetime
    message_json: str
    kpi_values_json: str = "{}"
    id: int | None = None

    def kpi_values(self) -> dict[int, float]:
        return {int(k): float(v) for k, v in json.loads(self.kpi_values_json or "{}").items()}


@dataclass(frozen=True)
class ChannelSlot:
    """A steering channel with pilots and its effective schedule (plain values, safe to
    use after the transaction that read them has ended)."""

    workspace_id: int
    channel_id: str
    channel_name: str | None
    weekday: int
    at: time
    timezone: str
    # When the current schedule took effect: the schedule's last change, else the first
    # pilot's creation. An earlier slot of this week is not one it was due at.
    since: datetime | None = None

    def slot(self, now: datetime) -> datetime:
        return weekly_slot(now, weekday=self.weekday, at=self.at, timezone=self.timezone)

    def due(self, now: datetime) -> bool:
        """This week's send time has passed, and the schedule was in force at it."""
        slot = self.slot(now)
        return now >= slot and (self.since is None or slot >= self.since)

    def week(self, now: datetime) -> str:
        return iso_week(self.slot(now).date())


@dataclass
class Portfolio:
    """Everything one channel's digest shows, loaded in a fixed number of queries."""

    workspace: Workspace
    channel_id: str
    channel_name: str | None
    pilots: list[Pilot]
    people: dict[int, Person] = field(default_factory=dict)
    stage_changes: list[StageChange] = field(default_factory=list)
    week_polls: list[Poll] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


@dataclass(frozen=True)
class ChartBar:
    """One KPI on the chart: how far it has come from baseline to target."""

    pilot: str
    kpi: str
    percent: float
    status: str | None  # "red", "amber", "green"; None without a measurement


@dataclass(frozen=True)
class KpiChart:
    """Neutral chart data; an adapter turns it into a PNG."""

    title: str
    bars: tuple[ChartBar, ...]
    target_label: str = "target"
    axis_label: str = "% of the way from baseline to target"
