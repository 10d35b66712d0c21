"""What people type in Slack -> golive's text and neutral references.

Slack sends typed text escaped once (``&``, ``<``, ``>``) and marks up what the client
resolved: ``<@U123|amal>`` or ``<@U123>`` (a person), ``<#C123|ops>`` (a channel) and
``<https://x|x>`` (a link). People and channels become :class:`Reference` spans shown as
``@amal`` and ``#ops``, read by id in the core; a link becomes its address, as typed; the
rest is unescaped, so a literal ``&lt;@U123&gt;`` stays the text ``<@U123>``, never a
mention. Slack's markup goes no further than this module.
"""

from __future__ import annotations

import re

from adapters.slack.render import unescape
from bot.parsing import Reference

_MARKUP = re.compile(
    r"<(?P<sigil>[@#])(?P<id>[^|>\s]+)(?:\|(?P<name>[^>]*))?>"
    r"|<(?P<url>(?:https?|mailto):[^|>\s]+)(?:\|[^>]*)?>",
    re.IGNORECASE,
)


def to_typed(text: str) -> tuple[str, list[Reference]]:
    """Slack's text as golive reads it: the text, and the people and channels in it."""
    out: list[str] = []
    references: list[Reference] = []
    length = 0
    position = 0
    for match in _MARKUP.finditer(text):
        before = unescape(text[position : match.start()])
        out.append(before)
        length += len(before)
        if match.group("url") is not None:
            shown = unescape(match.group("url"))
        else:
            name = unescape(match.group("name")).strip() if match.group("name") else None
            shown = match.group("sigil") + (name or match.group("id"))
            references.append(
                Reference(
                    start=length,
                    end=length + len(shown),
                    id=match.group("id"),
                    name=name or None,
                    channel=match.group("sigil") == "#",
                )
            )
        out.append(shown)
        length += len(shown)
        position = match.end()
    out.append(unescape(text[position:]))
    return "".join(out), references
