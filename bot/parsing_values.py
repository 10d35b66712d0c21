"""Reading the values of the command language: keys, text, people, channels, choices and
numbers (dates and times are in parsing_time). Each reader returns the value or raises a UsageError
with a message that names the bad value; the grammar adds the usage line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum
from typing import Generic, NoReturn, TypeVar

from bot.commands import ChannelRef
from bot.errors import UsageError
from bot.i18n import _
from bot.parsing_text import (
    BIDI_CONTROLS,
    FREE_TEXT_BREAKS,
    neutralise_direction,
    refuse_controls,
    refuse_direction_controls,
    visible,
)

KEY_RULE = re.compile(r"[a-z0-9-]{2,40}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"#?\d+")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?")

MAX_ITEM = 100_000
MAX_MAGNITUDE = 1e15


@dataclass(frozen=True)
class Context:
    """What values are read against: the caller's current local time."""

    now_local: datetime

    @property
    def zone(self) -> tzinfo:
        return self.now_local.tzinfo or UTC

    @property
    def today(self) -> date:
        return self.now_local.date()


def suggestion(word: str, candidates: Iterable[str], *, suffix: str = "") -> str:
    """`` Did you mean `x`?`` for a near miss among ``candidates``, else an empty string."""
    lowered = word.lower()[:60]
    choices = {candidate.lower(): candidate for candidate in candidates}
    # "prod" means "production", though difflib finds "approved" closer.
    close = [choice for choice in choices if len(lowered) >= 2 and choice.startswith(lowered)]
    if not close or len(close) > 2:
        close = difflib.get_close_matches(lowered, list(choices), n=2, cutoff=0.6)
    close = [choices[choice] for choice in close]
    if not close:
        return ""
    if len(close) == 1:
        return " " + _("Did you mean `{word}`?").format(word=close[0] + suffix)
    return " " + _("Did you mean `{first}` or `{second}`?").format(
        first=close[0] + suffix, second=close[1] + suffix
    )


def shown(text: str) -> str:
    """User text cut short for an error message, its invisible controls made visible."""
    return visible(text if len(text) <= 40 else text[:37] + "…")


def key(text: str, ctx: Context) -> str:
    """A pilot key: lowercase letters, digits and dashes, 2–40 characters."""
    if KEY_RULE.fullmatch(text):
        return text
    if any(char in BIDI_CONTROLS for char in text):
        refuse_direction_controls(text, _("pilot key"))
    if text and KEY_RULE.fullmatch(text.lower()):
        return fail(
            _("Pilot keys are lowercase: `{fixed}`, not `{key}`."),
            fixed=text.lower(),
            key=shown(text),
        )
    if not 2 <= len(text) <= 40:
        return fail(_("A pilot key has 2 to 40 characters: `{key}`."), key=shown(text))
    return fail(
        _("A pilot key uses only lowercase letters, digits and dashes: `{key}`."),
        key=shown(text),
    )


def text_of(limit: int, what: str) -> TextReader:
    """Free text (a title, reason, question): tabs and line breaks allowed, direction
    controls neutralised (see :mod:`bot.parsing_text`)."""
    return TextReader(limit=limit, what=what)


def name_of(limit: int, what: str) -> TextReader:
    """A name (a pilot's, a KPI's, a unit): one line, no direction controls."""
    return TextReader(limit=limit, what=what, name=True)


@dataclass(frozen=True)
class TextReader:
    """Text (a name, title, reason), trimmed, not empty, at most ``limit`` characters,
    with no control characters but, unless it is a ``name``, tabs and line breaks."""

    limit: int
    what: str
    name: bool = False

    def __call__(self, text: str, ctx: Context) -> str:
        if self.name:
            refuse_controls(text.strip())
            refuse_direction_controls(text, _(self.what))
            value = text.strip()
        else:
            refuse_controls(text, allowed=FREE_TEXT_BREAKS)
            value = neutralise_direction(text).strip()
        if not value:
            return fail(_("The {what} is empty."), what=_(self.what))
        if len(value) > self.limit:
            return fail(
                _("The {what} is too long ({length} characters; at most {limit})."),
                what=_(self.what),
                length=len(value),
                limit=self.limit,
            )
        return value


def person(text: str, ctx: Context) -> str:
    """A typed handle: ``@amal`` -> ``amal``. (Someone picked in the client arrives as a
    reference, read by id before any reader sees it.)"""
    if text.startswith("@") and 1 < len(text) <= 256 and not text[1:].isspace():
        _plain_name(text, _("person's name"))
        return text[1:].strip()
    return fail(_("Mention a person with @, like @amal, not `{text}`."), text=shown(text))


def _plain_name(text: str, what: str) -> None:
    refuse_controls(text.strip())
    refuse_direction_controls(text, what)


def looks_like_channel(text: str) -> bool:
    return text.startswith("#")


def channel(text: str, ctx: Context) -> ChannelRef:
    """A typed ``#name`` -> the name as both id and name (resolved later). (A channel
    picked in the client arrives as a reference, with its id.)"""
    if text.startswith("#") and 1 < len(text) <= 256 and not text[1:].isspace():
        _plain_name(text, _("channel name"))
        name = text[1:].strip()
        return ChannelRef(id=name, name=name)
    return fail(_("Name a channel with #, like #ai-steering, not `{text}`."), text=shown(text))


E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], what: str) -> ChoiceReader[E]:
    return ChoiceReader(enum=enum, what=what)


@dataclass(frozen=True)
class ChoiceReader(Generic[E]):
    """One of an enum's values, case-insensitive; an unknown value lists the valid ones."""

    enum: type[E]
    what: str

    def __call__(self, text: str, ctx: Context) -> E:
        values = [member.value for member in self.enum]
        word = text.strip().lower().replace("_", "-")
        if word in values:
            return self.enum(word)
        return fail(
            _("Unknown {what} `{text}`: use one of {values}.") + suggestion(word, values),
            what=_(self.what),
            text=shown(text),
            values=", ".join(values),
        )


@dataclass(frozen=True)
class WordReader:
    """One of a few words, case-insensitive, with aliases (``nogo`` -> ``no-go``)."""

    words: dict[str, str]  # what may be typed -> the canonical word
    what: str

    def __call__(self, text: str, ctx: Context) -> str:
        word = text.strip().lower()
        if word in self.words:
            return self.words[word]
        canonical = list(dict.fromkeys(self.words.values()))
        return fail(
            _("Unknown {what} `{text}`: use one of {values}.") + suggestion(word, self.words),
            what=_(self.what),
            text=shown(text),
            values=", ".join(canonical),
        )


def number(text: str, ctx: Context) -> float:
    """A decimal number such as ``12``, ``-3.5`` or ``.25``."""
    word = text.strip()
    if _NUMBER.fullmatch(word) is None:
        return fail(_("Not a number: `{text}` (use digits, like 12.5)."), text=shown(text))
    value = float(word)
    if abs(value) > MAX_MAGNITUDE:
        return fail(_("The number `{text}` is out of range."), text=shown(text))
    return value


def item_number(text: str, ctx: Context) -> int:
    """A checklist item number as shown by ``checklist <key>``: 1, 2, 3..."""
    word = text.strip()
    if _INTEGER.fullmatch(word) is None or int(word.lstrip("#")) < 1:
        return fail(
            _("The item number must be a positive whole number, like 3, not `{text}`."),
            text=shown(text),
        )
    value = int(word.lstrip("#"))
    if value > MAX_ITEM:
        return fail(_("The item number {number} is out of range."), number=value)
    return value


def flag(text: str, ctx: Context) -> bool:
    """A yes/no option as forms send it (``secret:"yes"``)."""
    word = text.strip().lower()
    if word in ("yes", "true", "on", "1", "y"):
        return True
    if word in ("no", "false", "off", "0", "n", ""):
        return False
    return fail(_("Expected yes or no, not `{text}`."), text=shown(text))


def language(text: str, ctx: Context) -> str:
    """A language code such as ``en``, ``ar`` or ``pt-BR``."""
    word = text.strip()
    if _LANGUAGE.fullmatch(word) is None:
        return fail(_("Not a language code: `{text}` (use en, ar, ...)."), text=shown(text))
    main, _sep, region = word.replace("_", "-").partition("-")
    return main.lower() + ("-" + region.upper() if region else "")


def fail(template: str, **values: object) -> NoReturn:
    """Raise a UsageError with ``template`` (already translated) filled in."""
    raise UsageError(template.format(**values))
