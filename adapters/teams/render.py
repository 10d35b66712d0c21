"""Neutral messages and forms -> Adaptive Cards 1.5 (pure functions, tested on exact dicts).

Every button is an ``Action.Execute`` (verb ``golive``, data ``{action}``: its typed
action's payload, see :mod:`bot.actions`) with an ``Action.Submit`` fallback for clients
without Universal Actions. A button with a form becomes an ``Action.ShowCard`` holding the
inputs and an Execute whose data is the form's draft, ``{action, form}``; Teams adds the
values typed, under ids ``<form>.<input name>``.
User text is escaped: markdown specials get a backslash and ``<`` is followed by a
zero-width space, so a pilot named ``<at>Sara</at>`` or ``**x**`` is shown, never obeyed.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from bot import actions
from bot.messages import (
    Actions,
    Block,
    Button,
    ChoiceInput,
    Context,
    DateInput,
    Divider,
    Fields,
    Form,
    Header,
    Image,
    Input,
    Link,
    Mention,
    Message,
    Paragraph,
    Progress,
    Span,
    Table,
    Text,
    TextInput,
    plain_text,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERB = "golive"
FORM_SEPARATOR = "."

Card = dict[str, Any]

_MARKDOWN_SPECIALS = re.compile(r"([\\*_\[\]`])")
_LINE_START_LIST = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)", re.MULTILINE)
_ZWSP = "\u200b"
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


def escape(text: str) -> str:
    """User text made inert for the card's markdown and for Teams' ``<at>`` mentions."""
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    text = _LINE_START_LIST.sub(lambda m: m.group(1) + _escape_list_marker(m.group(2)), text)
    return text.replace("<", "<" + _ZWSP)


def _escape_list_marker(marker: str) -> str:
    return marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker


class _Mentions:
    """Collects the mention entities a card's text refers to (Teams needs both)."""

    def __init__(self) -> None:
        self.entities: list[dict[str, Any]] = []

    def tag(self, mention: Mention) -> str:
        name = mention.name.replace("<", "").replace(">", "")
        text = f"<at>{name}</at>"
        entity = {
            "type": "mention",
            "text": text,
            "mentioned": {"id": mention.user_id, "name": name},
        }
        if entity not in self.entities:
            self.entities.append(entity)
        return text


def _styled(text: str, *, bold: bool, italic: bool) -> str:
    core = text.strip()
    if not core or not (bold or italic):
        return escape(text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    inner = escape(core)
    if italic:
        inner = f"_{inner}_"
    if bold:
        inner = f"**{inner}**"
    return lead + inner + trail


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def render_spans(parts: list[Span], mentions: _Mentions) -> str:
    """Spans as Adaptive Card markdown."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, Mention):
            out.append(mentions.tag(part))
        elif isinstance(part, Link) and _SAFE_URL.match(part.url):
            out.append(f"[{escape(part.label)}]({_url(part.url)})")
        elif isinstance(part, Link):  # no javascript: or data: links from user text
            out.append(escape(plain_text([part])))
        elif isinstance(part, Text):
            out.append(_styled(part.text, bold=part.bold, italic=part.italic))
    return "".join(out)


def _text_block(text: str, **extra: Any) -> Card:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def execute_action(title: str, data: dict[str, str], *, style: str | None = None) -> dict[str, Any]:
    """An ``Action.Execute`` with an ``Action.Submit`` fallback carrying the same data."""
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": VERB, "data": data}
    fallback: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if style:
        action["style"] = style
        fallback["style"] = style
    action["fallback"] = fallback
    return action


_STYLES = {"primary": "positive", "danger": "destructive"}


def _input(field: Input, input_id: str) -> Card:
    base: Card = {"id": input_id, "label": field.label, "isRequired": field.required}
    if field.required:
        base["errorMessage"] = field.label
    if isinstance(field, TextInput):
        element: Card = {"type": "Input.Text", **base, "isMultiline": field.multiline}
        if field.placeholder:
            element["placeholder"] = field.placeholder
    elif isinstance(field, DateInput):
        element = {"type": "Input.Date", **base}
    elif isinstance(field, ChoiceInput):
        element = {
            "type": "Input.ChoiceSet",
            **base,
            "style": "expanded",
            "choices": [{"title": c.label, "value": c.value} for c in field.choices],
        }
    if field.initial:
        element["value"] = field.initial
    return element


def render_form(form: Form, *, form_id: str = "f0") -> Card:
    """A form as a card: its inputs (ids ``<form_id>.<name>``) and one submit action whose
    data names the form, so the values can be told apart from other forms on the card."""
    mentions = _Mentions()
    body: list[Card] = []
    if form.intro:
        body.append(_text_block(render_spans(form.intro, mentions)))
    body.extend(_input(i, f"{form_id}{FORM_SEPARATOR}{i.name}") for i in form.inputs)
    card = _card(body, mentions)
    data = {"action": actions.encode(form.action), "form": form_id}
    card["actions"] = [execute_action(form.submit_label, data)]
    return card


def _button(button: Button, form_id: str) -> dict[str, Any]:
    style = _STYLES.get(button.style) if button.style else None
    if button.form is None:
        assert button.action is not None  # a button runs an action or opens a form
        return execute_action(button.label, {"action": actions.encode(button.action)}, style=style)
    action: dict[str, Any] = {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": render_form(button.form, form_id=form_id),
    }
    if style:
        action["style"] = style
    return action


def _table(block: Table) -> Card:
    def row(cells: list[str], *, header: bool = False) -> Card:
        items = [
            {
                "type": "TableCell",
                "items": [_text_block(escape(c), **({"weight": "Bolder"} if header else {}))],
            }
            for c in cells
        ]
        return {"type": "TableRow", "cells": items}

    return {
        "type": "Table",
        "columns": [{"width": 1} for _ in block.columns],
        "firstRowAsHeader": True,
        "rows": [row(block.columns, header=True), *(row(r) for r in block.rows)],
    }


def _block(block: Block, mentions: _Mentions, counter: list[int]) -> Card | None:
    if isinstance(block, Header):
        return _text_block(escape(block.text), size="Large", weight="Bolder")
    if isinstance(block, Paragraph):
        return _text_block(render_spans(block.spans, mentions))
    if isinstance(block, Fields):
        facts = [
            {"title": escape(f.label), "value": render_spans(f.value, mentions)}
            for f in block.fields
        ]
        return {"type": "FactSet", "facts": facts}
    if isinstance(block, Progress):
        percent = round(100 * block.done / block.total) if block.total else 0
        text = f"{escape(block.label)}: {block.done}/{block.total} ({percent}%)"
        return _text_block(text)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        data = base64.b64encode(block.png).decode("ascii")
        return {"type": "Image", "url": f"data:image/png;base64,{data}", "altText": block.alt}
    if isinstance(block, Actions):
        actions = []
        for button in block.buttons:
            actions.append(_button(button, f"f{counter[0]}"))
            counter[0] += 1
        return {"type": "ActionSet", "actions": actions}
    if isinstance(block, Context):
        return _text_block(render_spans(block.spans, mentions), isSubtle=True, size="Small")
    return None  # Divider: a separator on the next element


def _card(body: list[Card], mentions: _Mentions) -> Card:
    card: Card = {"type": "AdaptiveCard", "version": "1.5", "body": body}
    msteams: dict[str, Any] = {"width": "Full"}
    if mentions.entities:
        msteams["entities"] = mentions.entities
    card["msteams"] = msteams
    return card


def render_card(message: Message) -> Card:
    """The message as an Adaptive Card 1.5; a message without blocks shows its text."""
    mentions = _Mentions()
    body: list[Card] = []
    separate = False
    counter = [0]
    blocks = message.blocks or [Paragraph(spans=[Text(text=message.text)])]
    for block in blocks:
        if isinstance(block, Divider):
            separate = bool(body)
            continue
        element = _block(block, mentions, counter)
        if element is None:
            continue
        if separate:
            element["separator"] = True
            separate = False
        body.append(element)
    return _card(body, mentions)


def attachment(card: Card) -> dict[str, Any]:
    """The card as a Bot Framework attachment."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}
