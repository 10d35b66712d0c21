"""Locale-aware dates with Babel, installed into the core by the composition root."""

from __future__ import annotations

from datetime import date

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date

from bot.i18n import set_date_formatter


def format_date(value: date, locale: str | None) -> str:
    """English keeps golive's unambiguous ``Tue 2026-12-08``; other locales get their own
    day and month names and order (``الثلاثاء 8 ديسمبر 2026``)."""
    if not locale or locale.lower().startswith("en"):
        return value.strftime("%a %Y-%m-%d")
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return value.strftime("%a %Y-%m-%d")
    return babel_format_date(value, format="EEE d MMM y", locale=parsed)


def install() -> None:
    set_date_formatter(format_date)
