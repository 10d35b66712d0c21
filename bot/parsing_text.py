"""What typed text may hold. Control characters (NUL, the ANSI escape, the C1 controls) are
refused everywhere, except tab and line breaks in free text. Unicode direction controls can
make text display as something other than what it is (``‮lanif`` shows as ``final``), so
names and keys refuse the embeddings and overrides (U+202A–U+202E) and unbalanced isolates
(U+2066–U+2069), and free text is neutralised: embeddings and overrides are dropped, a
stray isolate end is dropped and every isolate left open is closed at the end of its line.
Arabic and every other script, and the direction marks (U+200E, U+200F, U+061C), are left
as they are."""

from __future__ import annotations

import unicodedata

from bot.errors import UsageError
from bot.i18n import _

EMBEDDINGS = "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
ISOLATE_OPENERS = "\u2066\u2067\u2068"  # LRI RLI FSI
ISOLATE_END = "\u2069"  # PDI
BIDI_CONTROLS = EMBEDDINGS + ISOLATE_OPENERS + ISOLATE_END
FREE_TEXT_BREAKS = "\t\n\r"  # the controls free text may hold
_PARAGRAPH_ENDS = "\n\r\x1c\x1d\x1e\x85\u2029"  # where the bidi algorithm ends isolates


def is_control(char: str) -> bool:
    """C0, DEL and C1 controls (tab and line breaks included)."""
    return unicodedata.category(char) == "Cc"


def code(char: str) -> str:
    return f"U+{ord(char):04X}"


def visible(text: str) -> str:
    """``text`` with its controls and direction controls written as ``<U+202E>``: safe to
    echo back in an error message."""
    if not any(is_control(ch) or ch in BIDI_CONTROLS for ch in text):
        return text
    return "".join(f"<{code(ch)}>" if is_control(ch) or ch in BIDI_CONTROLS else ch for ch in text)


def refuse_controls(text: str, *, allowed: str = "") -> None:
    """A UsageError naming the first control character in ``text`` not in ``allowed``."""
    for char in text:
        if is_control(char) and char not in allowed:
            raise UsageError(
                _("Control characters are not allowed (found {code}).").format(code=code(char))
            )


def refuse_direction_controls(text: str, what: str) -> None:
    """A UsageError when ``text`` (a name or key, ``what`` translated) holds an embedding
    or override, or an isolate that is not closed on its own line."""
    bad = _first_unbalanced(text)
    if bad is not None:
        raise UsageError(
            _(
                "The {what} contains an invisible text-direction control ({code}) that "
                "changes how it reads; remove it."
            ).format(what=what, code=code(bad))
        )


def neutralise_direction(text: str) -> str:
    """Free text with embeddings and overrides dropped and isolates balanced per line (see
    the module's docstring); text that needs nothing is returned unchanged."""
    if not any(ch in BIDI_CONTROLS for ch in text):
        return text
    out: list[str] = []
    depth = 0
    for char in text:
        if char in EMBEDDINGS:
            continue
        if char in ISOLATE_OPENERS:
            depth += 1
        elif char == ISOLATE_END:
            if depth == 0:
                continue
            depth -= 1
        elif char in _PARAGRAPH_ENDS:
            out.append(ISOLATE_END * depth)
            depth = 0
        out.append(char)
    out.append(ISOLATE_END * depth)
    return "".join(out)


def _first_unbalanced(text: str) -> str | None:
    opened: list[str] = []
    for char in text:
        if char in EMBEDDINGS:
            return char
        if char in ISOLATE_OPENERS:
            opened.append(char)
        elif char == ISOLATE_END:
            if not opened:
                return char
            opened.pop()
        elif char in _PARAGRAPH_ENDS and opened:
            return opened[0]
    return opened[0] if opened else None
