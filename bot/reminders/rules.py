"""Working calendars: a person's time zone, working hours and weekend, and the day
arithmetic reminders need. Pure functions of dates and instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.pilots.models import Person, Workspace

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HEADS_UP_WORKING_DAYS = 2
ESCALATE_AFTER_WORKING_DAYS = 3


def parse_weekend(text: str | None) -> frozenset[int]:
    """``"sat-sun"`` -> {5, 6}; ``"fri-sat"`` -> {4, 5}; a range may wrap (``"sun-mon"``);
    an unreadable value falls back to Saturday and Sunday rather than stopping reminders."""
    if not text:
        return frozenset({5, 6})
    first, _, last = text.strip().lower().partition("-")
    last = last or first
    if first[:3] not in DAYS or last[:3] not in DAYS:
        return frozenset({5, 6})
    start, end = DAYS.index(first[:3]), DAYS.index(last[:3])
    return frozenset((start + offset) % 7 for offset in range((end - start) % 7 + 1))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class WorkCalendar:
    zone: ZoneInfo
    start: time
    end: time
    weekend: frozenset[int]

    @classmethod
    def of(cls, person: Person, workspace: Workspace) -> WorkCalendar:
        """A person's calendar: their own settings, else the workspace's defaults."""
        return cls(
            zone=_zone(person.timezone or workspace.timezone),
            start=person.work_start,
            end=person.work_end,
            weekend=parse_weekend(person.weekend or workspace.weekend),
        )

    def today(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend

    def in_working_hours(self, instant: datetime) -> bool:
        """Whether ``instant`` falls on a working day, between the start and end of work
        on the local wall clock (so a daylight-saving change moves the hours with it)."""
        local = instant.astimezone(self.zone)
        wall = local.time().replace(tzinfo=None)
        return self.is_working_day(local.date()) and self.start <= wall < self.end

    def working_days_after(self, start: date, end: date) -> int:
        """How many working days ``d`` have ``start < d <= end`` (0 when end <= start)."""
        count, day = 0, start + timedelta(days=1)
        while day <= end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count


def is_overdue(due: date, today: date) -> bool:
    """An item is overdue once its due date has passed on its owner's calendar."""
    return due < today


def needs_heads_up(due: date, today: date, calendar: WorkCalendar) -> bool:
    """Due within the next two working days, and not yet due."""
    return due > today and calendar.working_days_after(today, due) <= HEADS_UP_WORKING_DAYS


def needs_escalation(due: date, today: date, calendar: WorkCalendar) -> bool:
    """Overdue for three of its owner's working days or more."""
    return calendar.working_days_after(due, today) >= ESCALATE_AFTER_WORKING_DAYS
