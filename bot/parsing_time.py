"""Reading dates, times, deadlines and weekly settings in the caller's time zone."""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn

from bot.errors import UsageError
from bot.i18n import _
from bot.parsing_values import Context, fail, shown, suggestion

_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_RELATIVE = re.compile(r"\+(\d{1,6})([hdw])", re.IGNORECASE)

# Far enough for any pilot; bounded so that date arithmetic can never overflow.
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_RELATIVE = {"h": 24 * 366, "d": 3660, "w": 520}
DEADLINE_HOUR = time(17, 0)  # a deadline given as a bare date closes at 17:00 local

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    "mon": 0, "monday": 0,
    "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip


def weekday(text: str, ctx: Context) -> int:
    """A weekday name or abbreviation -> 0 (Monday) to 6."""
    day = _WEEKDAY_NAMES.get(text.strip().lower())
    if day is None:
        return fail(
            _("Not a weekday: `{text}` (use mon, tue, wed, thu, fri, sat or sun).")
            + suggestion(text, _WEEKDAY_NAMES),
            text=shown(text),
        )
    return day


def calendar_date(text: str, ctx: Context) -> date:
    """``2026-12-15``, ``today``, ``tomorrow``, a weekday (the next one, never today),
    ``+3d`` or ``+2w``, read in the caller's zone; a day from 2000 to 2100."""
    try:
        day = _calendar_date(text, ctx)
    except OverflowError:  # a clock at the calendar's very end: past any supported year
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        return _out_of_range(text)
    return day


def _calendar_date(text: str, ctx: Context) -> date | None:
    word = text.strip().lower()
    if word == "today":
        return ctx.today
    if word == "tomorrow":
        return ctx.today + timedelta(days=1)
    if word in _WEEKDAY_NAMES:
        ahead = (_WEEKDAY_NAMES[word] - ctx.today.weekday() - 1) % 7 + 1
        return ctx.today + timedelta(days=ahead)
    relative = _RELATIVE.fullmatch(word)
    if relative is not None and relative.group(2) in "dw":
        return ctx.today + _relative(relative)
    match = _DATE.fullmatch(word)
    if match is None:
        return fail(
            _("Not a date: `{text}` (use 2026-12-15, today, tomorrow, fri, +3d or +2w)."),
            text=shown(text),
        )
    year, month, day = (int(group) for group in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return fail(_("There is no such day: `{text}`."), text=shown(text))


class _OutOfRange(UsageError):
    """A well-formed date outside the supported years: said as such, even in a deadline."""


def _out_of_range(text: str) -> NoReturn:
    message = _("The date `{text}` is out of range ({low} to {high}).")
    raise _OutOfRange(message.format(text=shown(text), low=MIN_YEAR, high=MAX_YEAR))


def clock_time(text: str, ctx: Context) -> time:
    """``17:00`` or ``9:30``, 24-hour."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return fail(_("Not a time: `{text}` (use 24-hour HH:MM, like 17:00)."), text=shown(text))
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return fail(_("The time `{text}` is out of range (00:00 to 23:59)."), text=shown(text))
    return time(hour, minute)


def deadline(text: str, ctx: Context) -> datetime:
    """``+48h``, ``+3d``, a date (17:00 that day) or a date and a time -> aware UTC, on a
    day from 2000 to 2100.

    ``+48h`` is 48 elapsed hours; ``+3d`` is the same wall-clock time three days on, so a
    deadline set at 10:00 stays at 10:00 across a daylight-saving change."""
    word = text.strip()
    relative = _RELATIVE.fullmatch(word)
    if relative is not None:
        try:
            if relative.group(2).lower() == "h":
                at = ctx.now_local.astimezone(UTC) + _relative(relative)
            else:
                at = (ctx.now_local + _relative(relative)).astimezone(UTC)
            year = at.astimezone(ctx.zone).year
        except OverflowError:  # a clock at the calendar's very end
            return _out_of_range(text)
        if not MIN_YEAR <= year <= MAX_YEAR:
            return _out_of_range(text)
        return at
    day_text, _sep, time_text = word.partition(" ")
    try:
        day = calendar_date(day_text, ctx)
        at_time = clock_time(time_text.strip(), ctx) if time_text.strip() else DEADLINE_HOUR
    except _OutOfRange:
        raise
    except UsageError:
        return fail(
            _("Not a deadline: `{text}` (use +48h, +3d, 2026-12-15 or 2026-12-15 17:00)."),
            text=shown(text),
        )
    return datetime.combine(day, at_time, tzinfo=ctx.zone).astimezone(UTC)


def _relative(match: re.Match[str]) -> timedelta:
    amount, unit = int(match.group(1)), match.group(2).lower()
    if not 1 <= amount <= MAX_RELATIVE[unit]:
        fail(
            _("`+{amount}{unit}` is out of range (1 to {high})."),
            amount=amount,
            unit=unit,
            high=MAX_RELATIVE[unit],
        )
    if unit == "h":
        return timedelta(hours=amount)
    return timedelta(days=amount * (7 if unit == "w" else 1))


def timezone(text: str, ctx: Context) -> str:
    """An IANA zone name such as ``Europe/Berlin`` (any letter case)."""
    word = text.strip()
    zones = _zones()
    found = zones.get(word.lower())
    if found is not None:
        return found
    return fail(
        _("Unknown time zone `{text}` (use an IANA name like Europe/Berlin).")
        + suggestion(word, zones.values()),
        text=shown(text),
    )


@functools.cache
def _zones() -> dict[str, str]:
    names = set(zoneinfo.available_timezones()) | {"UTC"}
    return {name.lower(): name for name in names}


def hours(text: str, ctx: Context) -> tuple[time, time]:
    """Working hours ``09-17`` or ``09:00-17:30``; the start must come before the end."""
    start_text, sep, end_text = text.strip().partition("-")
    try:
        if not sep:
            raise UsageError("")
        start, end = (_hour(part, ctx) for part in (start_text, end_text))
    except UsageError:
        return fail(_("Not working hours: `{text}` (use 09-17 or 09:00-17:30)."), text=shown(text))
    if start >= end:
        return fail(_("Working hours must start before they end: `{text}`."), text=shown(text))
    return start, end


def _hour(text: str, ctx: Context) -> time:
    word = text.strip()
    if word.isdigit() and len(word) <= 2:
        word += ":00"
    return clock_time(word, ctx)


def weekend(text: str, ctx: Context) -> str:
    """Weekend days as ``fri-sat`` (a single day ``fri`` means ``fri-fri``)."""
    first, _sep, last = text.strip().lower().partition("-")
    days = [_WEEKDAY_NAMES.get(part.strip()) for part in (first, last or first)]
    if None in days:
        bad = next(p for p in (first, last or first) if _WEEKDAY_NAMES.get(p.strip()) is None)
        return fail(
            _("Not a weekday: `{text}` (use a range such as sat-sun or fri-sat).")
            + suggestion(bad, _WEEKDAY_NAMES),
            text=shown(bad),
        )
    return "-".join(WEEKDAYS[day] for day in days if day is not None)
