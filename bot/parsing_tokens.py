"""Splitting a command line into tokens: words, "quoted text" and ``name:value`` options."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UsageError
from bot.i18n import _

# Phones and word processors turn "..." into “...” (and German keyboards into „...“), so
# every one of them opens a quote and the three closing forms close one.
OPENING_QUOTES = '"“”„'
CLOSING_QUOTES = '"“”'
# quote() escapes exactly what could end a quoted token early, so any string round-trips.
_ESCAPABLE = '\\"“”'

# ``https://x`` is a link, not an option named ``https``.
_OPTION = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?!//)(.*)", re.DOTALL)


@dataclass(frozen=True)
class Token:
    """One word of a command line.

    ``text`` is the word with quotes removed and escapes resolved. When the word is an option
    (``reason:"too risky"``), ``option`` is its lower-cased name and ``text`` its value.
    ``quoted`` tells that (part of) the word was in quotes: quoted text is never read as a
    command word, flag or option."""

    text: str
    quoted: bool = False
    option: str | None = None

    @property
    def word(self) -> str | None:
        """The lower-cased word when it could be a command word or flag, else None."""
        if self.quoted or self.option is not None:
            return None
        return self.text.lower()

    def shown(self) -> str:
        """The token as the user wrote it (near enough) for error messages."""
        text = quote(self.text) if self.quoted else self.text
        if len(text) > 40:
            text = text[:37] + "…"
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


def tokenize(text: str) -> list[Token]:
    """Split ``text`` at whitespace outside quotes; adjacent quoted and plain parts join."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        pieces: list[tuple[str, bool]] = []
        plain: list[str] = []
        while i < n and not text[i].isspace():
            if text[i] in OPENING_QUOTES:
                if plain:
                    pieces.append(("".join(plain), False))
                    plain = []
                quoted, i = _read_quoted(text, i)
                pieces.append((quoted, True))
            else:
                plain.append(text[i])
                i += 1
        if plain:
            pieces.append(("".join(plain), False))
        tokens.append(_token(pieces))
    return tokens


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
    snippet = text[start : start + 20]
    raise UsageError(_("Missing closing quote after `{snippet}`.").format(snippet=snippet))


def _token(pieces: list[tuple[str, bool]]) -> Token:
    quoted = any(is_quoted for _piece, is_quoted in pieces)
    first, first_quoted = pieces[0]
    if not first_quoted:
        match = _OPTION.fullmatch(first)
        if match is not None:
            value = match.group(2) + "".join(piece for piece, _q in pieces[1:])
            return Token(text=value, quoted=quoted, option=match.group(1).lower())
    return Token(text="".join(piece for piece, _q in pieces), quoted=quoted)
