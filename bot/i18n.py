"""All user-facing text goes through :func:`_` (gettext), so catalogs can translate it.

The language and locale are per request: each command runs in its own asyncio task, and
:func:`use_language` sets them in a context variable for that task only, so two people
answered at once each get their own language. English ships first; catalogs live in
``bot/locale`` (``make messages`` extracts ``golive.pot``). Locale-aware formatting of
dates is plugged in by the composition root (Babel lives in the adapters, since the core
imports only the standard library and pydantic).
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date
from pathlib import Path

_LOCALE_DIR = Path(__file__).parent / "locale"
_NO_CATALOG = gettext.NullTranslations()

_translation: ContextVar[gettext.NullTranslations] = ContextVar(
    "golive_translation", default=_NO_CATALOG
)
_locale: ContextVar[str | None] = ContextVar("golive_locale", default=None)


@functools.cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation("golive", localedir=_LOCALE_DIR, languages=[language], fallback=True)


def use_language(locale: str | None) -> None:
    """Speak ``locale`` (``ar``, ``en-GB``...) for the rest of this task; English when
    there is no catalog for it."""
    _locale.set(locale)
    language = (locale or "en").replace("-", "_").split("_")[0]
    _translation.set(_catalog(language))


def current_locale() -> str | None:
    return _locale.get()


def _(message: str) -> str:
    return _translation.get().gettext(message)


DateFormatter = Callable[[date, str | None], str]


def _iso(value: date, locale: str | None) -> str:
    return value.strftime("%a %Y-%m-%d")


_date_formatter: DateFormatter = _iso


def set_date_formatter(formatter: DateFormatter) -> None:
    """Install the locale-aware formatter (once, in the composition root)."""
    global _date_formatter
    _date_formatter = formatter


def format_date(value: date, locale: str | None = None) -> str:
    """A date for the reader: ``Tue 2026-12-08`` in English, else in their locale's words
    once a formatter is installed."""
    return _date_formatter(value, locale or _locale.get())
