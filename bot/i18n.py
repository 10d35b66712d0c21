"""All user-facing text goes through :func:`_` (gettext), so catalogs can translate it.

English ships first; the catalogs live in ``bot/locale``. Locale-aware formatting of dates
and numbers is plugged in by the composition root (Babel lives in the adapters, since the
core imports only the standard library and pydantic).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date
from pathlib import Path

_LOCALE_DIR = Path(__file__).parent / "locale"
_translation: gettext.NullTranslations = gettext.NullTranslations()


def use_language(language: str | None) -> None:
    """Switch the catalog (falls back to English for unknown languages)."""
    global _translation
    _translation = gettext.translation(
        "golive", localedir=_LOCALE_DIR, languages=[language or "en"], fallback=True
    )


def _(message: str) -> str:
    return _translation.gettext(message)


DateFormatter = Callable[[date, str | None], str]


def _iso(value: date, locale: str | None) -> str:
    return value.strftime("%a %Y-%m-%d")


_date_formatter: DateFormatter = _iso


def set_date_formatter(formatter: DateFormatter) -> None:
    global _date_formatter
    _date_formatter = formatter


def format_date(value: date, locale: str | None = None) -> str:
    """A date for a reader, in their locale (``Mon 2026-12-14`` until a formatter is set)."""
    return _date_formatter(value, locale)
