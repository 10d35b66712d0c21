"""Teams activities -> golive's command text and caller (small ``to_*`` translations)."""

from __future__ import annotations

import re
from typing import Any

from botbuilder.schema import Activity

from adapters.teams.references import base_conversation_id, kind_of, tenant_of
from adapters.teams.render import FORM_SEPARATOR
from bot import parsing
from bot.context import Caller

_SPACES = re.compile(r"[ \t\u00a0]+")


def mentioned_names(activity: Activity) -> dict[str, str]:
    """The names Teams gave for the people mentioned: ``{user id: name}``."""
    names = {}
    for entity in activity.entities or []:
        props: dict[str, Any] = dict(getattr(entity, "additional_properties", None) or {})
        mentioned = props.get("mentioned") or {}
        is_mention = getattr(entity, "type", None) == "mention"
        if is_mention and mentioned.get("id") and mentioned.get("name"):
            names[str(mentioned["id"])] = str(mentioned["name"])
    return names


def _mentions(activity: Activity) -> list[tuple[str, str]]:
    """``(tag text, person id)`` of every mention entity."""
    found = []
    for entity in activity.entities or []:
        props: dict[str, Any] = dict(getattr(entity, "additional_properties", None) or {})
        if getattr(entity, "type", None) != "mention":
            continue
        mentioned = props.get("mentioned") or {}
        text = props.get("text")
        if text and mentioned.get("id"):
            found.append((str(text), str(mentioned["id"])))
    return found


def to_command_text(activity: Activity) -> str:
    """The command typed: golive's own mention removed, other mentions as ``<@id>``."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    for tag, person in _mentions(activity):
        text = text.replace(tag, "" if person == bot_id else f"<@{person}>")
    return _SPACES.sub(" ", text).strip()


def to_command_from_data(data: dict[str, Any]) -> str | None:
    """The command a card action carries; for a form, with its submitted values."""
    command = data.get("command")
    if not isinstance(command, str) or not command:
        return None
    form = data.get("form")
    if not isinstance(form, str):
        return command
    prefix = form + FORM_SEPARATOR
    values = {
        key[len(prefix) :]: str(value)
        for key, value in data.items()
        if key.startswith(prefix) and value is not None
    }
    return parsing.form_command(command, values)


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
        timezone=activity.local_timezone or None,
        locale=activity.locale or None,
    )
