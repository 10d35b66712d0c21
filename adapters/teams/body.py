"""An inbound request body as an activity, or a 4xx: the size and the nesting depth are
checked before any parsing, so no body can make the parser recurse or crash a handler."""

from __future__ import annotations

import json
import logging
import re
from itertools import accumulate
from typing import Any

from aiohttp import web
from botbuilder.schema import Activity
from botbuilder.schema.teams import TeamsChannelData

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
"""Teams caps a message at about 100 KB; an activity is a few kilobytes around it."""
MAX_DEPTH = 64
"""An activity nests a dozen levels; a card's data a few more."""

# One JSON string, escapes included; an unterminated one runs to the end. Possessive
# quantifiers keep the scan linear whatever the body holds.
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# Ids go back to Teams in URLs and headers (x-ms-conversation-id): no control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Refused(Exception):
    """A request golive will not run, with its HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def nesting_depth(raw: bytes) -> int:
    """How deep the arrays and objects of the JSON text ``raw`` nest (outside strings)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


async def read_activity(request: web.Request) -> Activity:
    """The activity a request carries; :class:`Refused` (400, 413 or 415) when there is
    none, before anything is parsed that should not be."""
    if "application/json" not in request.headers.get("Content-Type", ""):
        raise Refused(415, "not JSON")
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise Refused(413, f"a body of {declared} bytes")
    raw = await _read(request)
    if nesting_depth(raw) > MAX_DEPTH:
        raise Refused(400, f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        payload = json.loads(raw)
    except ValueError as error:  # bad JSON or bad UTF-8
        raise Refused(400, f"not valid JSON ({type(error).__name__})") from None
    return to_activity(payload)


def to_activity(payload: Any) -> Activity:
    """An activity from parsed JSON; :class:`Refused` (400) if it is not one."""
    if not isinstance(payload, dict):
        raise Refused(400, f"a JSON {type(payload).__name__}, not an activity object")
    try:
        activity = Activity().deserialize(payload)
    except (ValueError, TypeError, AttributeError) as error:  # msrest's DeserializationError too
        raise Refused(400, f"not an activity ({type(error).__name__})") from None
    problem = _problem(activity)
    if problem is not None:
        raise Refused(400, problem)
    return activity


def _problem(activity: Activity) -> str | None:
    """Why golive will not run ``activity`` (Teams never sends one like it), if it will not:
    the fields golive and botbuilder read must have the shape Teams gives them."""
    if not isinstance(activity.type, str) or not activity.type:
        return "an activity without a type"
    # The Bot Framework sends all three with every activity; golive answers through them.
    accounts = {
        "from": activity.from_property,
        "recipient": activity.recipient,
        "conversation": activity.conversation,
    }
    for field, account in accounts.items():
        if account is None or not isinstance(account.id, str) or not account.id:
            return f"an activity without {field}.id"
    texts = {
        "id": activity.id,
        "replyToId": activity.reply_to_id,
        "serviceUrl": activity.service_url,
        "channelId": activity.channel_id,
        **{f"{field}.id": account.id for field, account in accounts.items()},
    }
    for field, text in texts.items():
        if isinstance(text, str) and _CONTROL.search(text):
            return f"a control character in {field}"
    lists = {
        "membersAdded": activity.members_added,
        "membersRemoved": activity.members_removed,
        "entities": activity.entities,
        "attachments": activity.attachments,
        "reactionsAdded": activity.reactions_added,
        "reactionsRemoved": activity.reactions_removed,
    }
    for field, items in lists.items():
        if any(item is None for item in items or []):
            return f"a null in {field}"
    for field in ("membersAdded", "membersRemoved"):
        if any(not isinstance(member.id, str) for member in lists[field] or []):
            return f"a member without an id in {field}"
    if activity.channel_id == "msteams" and activity.channel_data is None:
        return "a Teams activity without channelData"  # Teams always sends its tenant
    return _channel_data_problem(activity.channel_data)


def _channel_data_problem(data: Any) -> str | None:
    """What is wrong with ``channelData`` for golive and botbuilder's Teams handler, which
    both read it; None when nothing is."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return "channelData that is not an object"
    for part in ("tenant", "team", "channel"):
        value = data.get(part)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(
            isinstance(value.get(key), str | None) for key in ("id", "name")
        ):
            return f"a malformed channelData.{part}"
    try:
        TeamsChannelData().deserialize(data)
    except (ValueError, TypeError, AttributeError):
        return "a malformed channelData"
    return None


async def _read(request: web.Request) -> bytes:
    """The body, at most :data:`MAX_BODY_BYTES` of it (a chunked body declares no length)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, f"a body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
