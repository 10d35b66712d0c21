"""Splitting a command line into tokens: words, "quoted text", ``name:value`` options and
the people and channels the platform resolved in it (:class:`Reference`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import UsageError
from bot.i18n import _
from bot.parsing_text import visible

# Phones and word processors turn "..." into “...” (and German keyboards into „...“), so
# every one of them opens a quote and the three closing forms close one.
OPENING_QUOTES = '"“”„'
CLOSING_QUOTES = '"“”'
# quote() escapes exactly what could end a quoted token early, so any string round-trips.
_ESCAPABLE = '\\"“”'

MAX_ID = 255  # a platform id longer than this is not one

# ``https://x`` is a link, not an option named ``https``.
_OPTION = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?!//)(.*)", re.DOTALL)


@dataclass(frozen=True)
class Reference:
    """A person or channel that the person picked in their client, already resolved by the
    platform: ``text[start:end]`` is how it shows in the typed text (``@Sara Kim``,
    ``#ai-steering``), ``id`` is the platform's user or conversation id."""

    start: int
    end: int
    id: str
    name: str | None = None
    channel: bool = False


@dataclass(frozen=True)
class Token:
    """One word of a command line.

    ``text`` is the word with quotes removed and escapes resolved. When the word is an option
    (``reason:"too risky"``), ``option`` is its lower-cased name and ``text`` its value.
    ``quoted`` tells that (part of) the word was in quotes: quoted text is never read as a
    command word, flag or option. ``ref`` is set when the word (or the option's value) is
    exactly one :class:`Reference`; its text is then how the reference shows."""

    text: str
    quoted: bool = False
    option: str | None = None
    ref: Reference | None = None

    @property
    def word(self) -> str | None:
        """The lower-cased word when it could be a command word or flag, else None."""
        if self.quoted or self.option is not None or self.ref is not None:
            return None
        return self.text.lower()

    def shown(self) -> str:
        """The token as the user wrote it (near enough) for error messages."""
        text = quote(self.text) if self.quoted else self.text
        if len(text) > 40:
            text = text[:37] + "…"
        text = visible(text)
        return f"{self.option}:{text}" if self.option is not None else text


def quote(value: str) -> str:
    """``value`` as one quoted token of the command language."""
    out = ['"']
    for char in value:
        if char in _ESCAPABLE:
            out.append("\\")
        out.append(char)
    out.append('"')
    return "".join(out)


def tokenize(text: str, references: Sequence[Reference] = ()) -> list[Token]:
    """Split ``text`` at whitespace outside quotes; adjacent quoted and plain parts join.
    A reference that starts outside quotes is one piece, whatever it holds; one inside
    quotes is only text."""
    refs = _usable(references, len(text))
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace() and i not in refs:
            i += 1
            continue
        pieces: list[_Piece] = []
        plain: list[str] = []
        while i < n and (i in refs or not text[i].isspace()):
            ref = refs.get(i)
            if (ref is not None or text[i] in OPENING_QUOTES) and plain:
                pieces.append(_Piece("".join(plain)))
                plain = []
            if ref is not None:
                pieces.append(_Piece(text[ref.start : ref.end], ref=ref))
                i = ref.end
            elif text[i] in OPENING_QUOTES:
                quoted, i = _read_quoted(text, i)
                pieces.append(_Piece(quoted, quoted=True))
            else:
                plain.append(text[i])
                i += 1
        if plain:
            pieces.append(_Piece("".join(plain)))
        tokens.append(_token(pieces))
    return tokens


@dataclass(frozen=True)
class _Piece:
    text: str
    quoted: bool = False
    ref: Reference | None = None


def _usable(references: Sequence[Reference], length: int) -> dict[int, Reference]:
    """The references by where they start, leaving out any that overlap an earlier one,
    fall outside the text or have no usable id (an adapter's mistake must not change what
    else was typed; the text is then read as typed)."""
    usable: dict[int, Reference] = {}
    end = 0
    for ref in sorted(references, key=lambda r: r.start):
        if end <= ref.start < ref.end <= length and 0 < len(ref.id) <= MAX_ID:
            usable[ref.start] = ref
            end = ref.end
    return usable


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The text of the quoted part opening at ``start`` and the index after its close."""
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            out.append(text[i + 1])
            i += 2
        elif char in CLOSING_QUOTES:
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    snippet = visible(text[start : start + 20])
    raise UsageError(_("Missing closing quote after `{snippet}`.").format(snippet=snippet))


def _token(pieces: list[_Piece]) -> Token:
    quoted = any(piece.quoted for piece in pieces)
    first = pieces[0]
    if not first.quoted and first.ref is None:
        match = _OPTION.fullmatch(first.text)
        if match is not None:
            rest = pieces[1:]
            value = match.group(2) + "".join(piece.text for piece in rest)
            ref = rest[0].ref if len(rest) == 1 and not match.group(2) else None
            return Token(text=value, quoted=quoted, option=match.group(1).lower(), ref=ref)
    ref = first.ref if len(pieces) == 1 else None
    return Token(text="".join(piece.text for piece in pieces), quoted=quoted, ref=ref)
