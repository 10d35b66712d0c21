"""Neutral messages -> Slack Block Kit (forms: :mod:`adapters.slack.forms`). Pure functions,
tested on the exact dicts they produce.

User text is escaped for mrkdwn (``&``, ``<``, ``>`` only, as Slack asks), so a pilot named
``<!channel>`` is shown, not sent; mentions are built only from user ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot import actions
from bot.i18n import _
from bot.messages import (
    Actions,
    Block,
    Button,
    Context,
    Divider,
    Fields,
    Header,
    Image,
    Link,
    Mention,
    Message,
    Paragraph,
    Progress,
    Span,
    Table,
)

JSON = dict[str, Any]

ACTION_PREFIX = "golive:"  # every button's action_id starts with it: one listener for all
FORM_ACTION_PREFIX = "golive:form:"  # buttons that open a modal first

# Slack's documented limits; past them Slack refuses the whole message.
_SECTION_TEXT_MAX = 3000
_HEADER_MAX = 150
_BLOCKS_MAX = 50
_FIELD_MAX = 2000
_FIELDS_PER_SECTION = 10
_BUTTON_VALUE_MAX = 2000
_BUTTON_TEXT_MAX = 75
_TEXT_MAX = 40000
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_SAFE_URL = re.compile(r"^(https?://|mailto:)[^\s<>|]+$", re.IGNORECASE)


def escape(text: str) -> str:
    """User text for mrkdwn: only ``&``, ``<`` and ``>`` have to be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Text as Slack sends it (escaped once) back to what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _styled(text: str, mark: str) -> str:
    # Slack only styles a run whose markers touch non-space characters.
    core = text.strip()
    if not core:
        return text
    start = text[: len(text) - len(text.lstrip())]
    end = text[len(text.rstrip()) :]
    return f"{start}{mark}{core}{mark}{end}"


def mrkdwn(parts: list[Span]) -> str:
    """Spans as Slack mrkdwn."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, Mention):
            if _USER_ID.match(part.user_id):
                out.append(f"<@{part.user_id}>")
            else:
                out.append(escape(f"@{part.name}"))
        elif isinstance(part, Link):
            if _SAFE_URL.match(part.url):
                url = part.url.replace("&", "&amp;")
                out.append(f"<{url}|{escape(part.label)}>" if part.label else f"<{url}>")
            else:
                out.append(escape(f"{part.label} ({part.url})"))
        else:
            text = escape(part.text)
            if part.bold:
                text = _styled(text, "*")
            if part.italic:
                text = _styled(text, "_")
            out.append(text)
    return "".join(out)


def plain(text: str, limit: int | None = None) -> JSON:
    """A ``plain_text`` object: Slack shows it literally, so it is not escaped."""
    return {"type": "plain_text", "text": _truncate(text, limit) if limit else text}


def _md(text: str, limit: int = _SECTION_TEXT_MAX) -> JSON:
    return {"type": "mrkdwn", "text": _truncate(text, limit)}


def section(text: str) -> JSON:
    return {"type": "section", "text": _md(text)}


def _progress(block: Progress) -> JSON:
    total = max(block.total, 0)
    done = min(max(block.done, 0), total)
    width = 10
    filled = round(width * done / total) if total else 0
    bar = "▓" * filled + "░" * (width - filled)
    return section(f"*{escape(block.label)}*  {bar}  {done}/{total}")


def _table(block: Table) -> JSON:
    # A monospaced grid; backticks would end the code block, so they are swapped out.
    def cell(value: str) -> str:
        return escape(value.replace("`", "'").replace("\n", " "))

    rows = [[cell(c) for c in block.columns]] + [[cell(c) for c in row] for row in block.rows]
    widths = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            (row[i] if i < len(row) else "").ljust(widths[i]) for i in range(len(widths))
        ).rstrip()
        for row in rows
    ]
    body = "\n".join(lines)
    return section("```\n" + _truncate(body, _SECTION_TEXT_MAX - 8) + "\n```")


def _fields(block: Fields) -> list[JSON]:
    items = [
        _md(f"*{escape(field.label)}*\n{mrkdwn(field.value)}", _FIELD_MAX) for field in block.fields
    ]
    return [
        {"type": "section", "fields": items[i : i + _FIELDS_PER_SECTION]}
        for i in range(0, len(items), _FIELDS_PER_SECTION)
    ]


def json_safe(text: str) -> str:
    # Still the same JSON, but with no raw & < > anywhere in what golive sends Slack.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def button_element(button: Button, number: int) -> JSON:
    """One button. Its ``value`` is its typed action's payload; a form button's is the
    form's draft and name, and the modal is asked of the core when it is pressed."""
    element: JSON = {"type": "button", "text": plain(button.label, _BUTTON_TEXT_MAX)}
    if button.form is not None:
        element["action_id"] = f"{FORM_ACTION_PREFIX}{number}"
        payload = actions.encode(button.form.action, form=button.form.name)
    else:
        assert button.action is not None  # a button runs an action or opens a form
        element["action_id"] = f"{ACTION_PREFIX}{number}"
        payload = actions.encode(button.action)
    # Past Slack's limit the value would not be sent; cut, it is refused when pressed.
    element["value"] = json_safe(payload)[:_BUTTON_VALUE_MAX]
    if button.style is not None:
        element["style"] = button.style
    return element


def render_blocks(blocks: Sequence[Block]) -> list[JSON]:
    """Neutral blocks -> Block Kit blocks. Images become a context line (the gateway
    uploads them as files where it can)."""
    out: list[JSON] = []
    button_number = 0
    for block in blocks:
        if isinstance(block, Header):
            out.append({"type": "header", "text": plain(block.text, _HEADER_MAX)})
        elif isinstance(block, Paragraph):
            out.append(section(mrkdwn(block.spans)))
        elif isinstance(block, Fields):
            out.extend(_fields(block))
        elif isinstance(block, Progress):
            out.append(_progress(block))
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Image):
            label = _("Chart: {alt}").format(alt=block.alt)
            out.append({"type": "context", "elements": [_md(escape(label))]})
        elif isinstance(block, Actions):
            # Slack allows at most 25 elements per actions block.
            for start in range(0, len(block.buttons), 25):
                elements = []
                for button in block.buttons[start : start + 25]:
                    button_number += 1
                    elements.append(button_element(button, button_number))
                out.append({"type": "actions", "elements": elements})
        elif isinstance(block, Context):
            out.append({"type": "context", "elements": [_md(mrkdwn(block.spans))]})
        elif isinstance(block, Divider):
            out.append({"type": "divider"})
    return out


def render_message(message: Message) -> JSON:
    """``text`` (the notification fallback) and ``blocks`` for chat.update and
    response_url: one message, so past Slack's 50 blocks it is shortened, and says so."""
    body: JSON = {"text": _truncate(escape(message.text), _TEXT_MAX)}
    blocks = render_blocks(message.blocks)
    if len(blocks) > _BLOCKS_MAX:
        note = _("Shortened: Slack shows at most {n} blocks in one message.")
        blocks = [*blocks[: _BLOCKS_MAX - 1], _context(note.format(n=_BLOCKS_MAX))]
    if blocks:
        body["blocks"] = blocks
    return body


def render_parts(message: Message) -> list[JSON]:
    """The message for chat.postMessage, in parts of at most 50 blocks (Slack's limit):
    the first is the message itself, the others continue it in its thread."""
    first: JSON = {"text": _truncate(escape(message.text), _TEXT_MAX)}
    blocks = render_blocks(message.blocks)
    if len(blocks) <= _BLOCKS_MAX:
        if blocks:
            first["blocks"] = blocks
        return [first]
    head = _BLOCKS_MAX - 1
    first["blocks"] = [*blocks[:head], _context(_("Continued in the thread."))]
    rest = blocks[head:]
    parts = [first]
    for start in range(0, len(rest), _BLOCKS_MAX):
        parts.append({"text": _("(continued)"), "blocks": rest[start : start + _BLOCKS_MAX]})
    return parts


def _context(text: str) -> JSON:
    return {"type": "context", "elements": [_md(escape(text))]}


def images(message: Message) -> list[Image]:
    return [block for block in message.blocks if isinstance(block, Image)]


def home_view(blocks: Sequence[Block]) -> JSON:
    """The App Home tab."""
    return {"type": "home", "blocks": render_blocks(blocks)[:100]}
