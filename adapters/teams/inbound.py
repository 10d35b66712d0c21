"""Teams activities -> what golive is asked and by whom (small ``to_*`` translations).

Typed text keeps the mentions Teams resolved as neutral references: ``<at>Sara Kim</at>``
with its mention entity becomes ``@Sara Kim`` in the text and a :class:`Reference` to her
Teams id; golive's own mention is dropped. Card actions carry typed actions
(:mod:`bot.actions`), never command text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.schema import Activity

from adapters.teams.references import base_conversation_id, kind_of, tenant_of
from adapters.teams.render import FORM_SEPARATOR
from bot import actions
from bot.actions import Draft
from bot.commands import Command
from bot.context import Caller
from bot.parsing import Reference

_SPACES = re.compile(r"[ \t\u00a0]+")
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+){0,2}")  # Asia/Dubai, Etc/GMT+4


def mentioned_names(activity: Activity) -> dict[str, str]:
    """The names Teams gave for the people mentioned: ``{user id: name}``."""
    names = {}
    for entity in _mention_entities(activity):
        mentioned = _object(entity.get("mentioned"))
        person, name = mentioned.get("id"), mentioned.get("name")
        if isinstance(person, str) and person and isinstance(name, str) and name:
            names[person] = name
    return names


def _mentions(activity: Activity) -> list[tuple[str, str]]:
    """``(tag text, person id)`` of every mention entity."""
    found = []
    for entity in _mention_entities(activity):
        person = _object(entity.get("mentioned")).get("id")
        text = entity.get("text")
        if isinstance(text, str) and text and isinstance(person, str) and person:
            found.append((text, person))
    return found


def _mention_entities(activity: Activity) -> list[dict[str, Any]]:
    """The properties of the activity's mention entities (anything may be in them)."""
    found = []
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        found.append(_object(getattr(entity, "additional_properties", None)))
    return found


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def to_typed(activity: Activity) -> tuple[str, list[Reference]]:
    """The text typed, golive's own mention removed, with a reference for every other
    person mentioned (shown as ``@name``); runs of spaces become one."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    tags = {tag: person for tag, person in _mentions(activity)}
    parts: list[tuple[str, str | None]] = []  # (text, person id for a mention)
    if tags:
        pattern = re.compile("|".join(re.escape(tag) for tag in sorted(tags, key=len)[::-1]))
        position = 0
        for match in pattern.finditer(text):
            parts.append((text[position : match.start()], None))
            person = tags[match.group()]
            if person != bot_id:
                parts.append((match.group(), person))
            position = match.end()
        text = text[position:]
    parts.append((text, None))
    return _joined(parts)


def _joined(parts: list[tuple[str, str | None]]) -> tuple[str, list[Reference]]:
    text = ""
    references: list[Reference] = []
    for part, person in parts:
        if person is None:
            shown = _SPACES.sub(" ", part)
            if not text or text.endswith(" "):  # no leading space, none doubled
                shown = shown.lstrip()
        else:
            name = _tag_name(part)
            shown = f"@{name}"
            end = len(text) + len(shown)
            references.append(Reference(start=len(text), end=end, id=person, name=name))
        text += shown
    return text.rstrip(), references


def _tag_name(tag: str) -> str:
    """``<at>Sara Kim</at>`` -> ``Sara Kim``."""
    return tag.removeprefix("<at>").removesuffix("</at>").strip() or "?"


@dataclass(frozen=True)
class Submitted:
    """A form submitted from a card: its draft and the values typed, by input name."""

    draft: Draft
    values: dict[str, str]


def to_action(data: dict[str, Any]) -> Command | Submitted | None:
    """What a card action asks for: a button's typed command, or a form's draft with the
    values typed into it; None when the data carries no golive action. A payload golive
    did not make is a UsageError."""
    payload = data.get("action")
    if not isinstance(payload, str):
        return None
    form = data.get("form")
    if not isinstance(form, str):
        return actions.decode(payload)
    draft, _name = actions.decode_draft(payload)
    prefix = form + FORM_SEPARATOR
    values = {
        key[len(prefix) :]: str(value)
        for key, value in data.items()
        if key.startswith(prefix) and value is not None
    }
    return Submitted(draft=draft, values=values)


def to_caller(activity: Activity) -> Caller:
    """Who is asking, from where, as Teams reports it."""
    sender = activity.from_property
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = data.get("channel") or {}
    conversation_id = activity.conversation.id if activity.conversation is not None else ""
    name = (channel.get("name") or None) if kind_of(activity) == "channel" else None
    return Caller(
        platform="teams",
        workspace_id=tenant_of(activity),
        user_id=sender.id if sender is not None else "",
        user_name=(sender.name or None) if sender is not None else None,
        channel_id=base_conversation_id(conversation_id or "") or None,
        channel_name=name,
        timezone=_zone_name(activity.local_timezone),
        locale=activity.locale or None,
    )


def _zone_name(name: object) -> str | None:
    """The IANA time zone the client reported, if it is one (the core stores it)."""
    if not isinstance(name, str) or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name
