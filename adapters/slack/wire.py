"""What a Slack request must look like before Bolt sees it.

Bolt reads a body's fields by shape (``body["actions"][0]``, ``"id" in team``,
``body["event"]["type"]``) and golive's listeners after it, so a body of another shape
crashes them with a traceback. :func:`parse` refuses any such body with
:class:`Malformed`, whose reason fits on one line: size and nesting depth first (a cheap
scan, before ``json.loads`` can recurse), then UTF-8, JSON and the fields Bolt and the
listeners read. Bodies are parsed only once their signature holds; the reason goes to the
log, never into the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from slack_bolt.request.internals import parse_body

JSON = dict[str, Any]

MAX_BODY_BYTES = 1024 * 1024  # aiohttp's own default; Slack's largest payloads fit
MAX_DEPTH = 64  # Slack's payloads nest about ten deep; json.loads recurses per level
MAX_ID = 255  # ids and event ids: Slack's are a dozen characters

# A JSON string (skipped whole: brackets inside it do not nest) or a bracket.
_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')

# Fields Bolt reads as "an object or an id" ("id" in value, value.get("id")).
_OBJECT_OR_ID = ("team", "enterprise", "user", "channel")
# Fields Bolt or golive read as objects, when present (``event`` even when null:
# ``body.get("event", {}).get(...)``).
_OBJECTS = (
    "view",
    "message",
    "previous_message",
    "item",
    "assistant_thread",
    "function_data",
    "container",
    "state",
)
# Fields Bolt reads as lists of objects.
_LISTS = ("authorizations", "response_urls", "actions")
# Fields Bolt or golive read as text.
_TEXTS = (
    "type",
    "team_id",
    "user_id",
    "channel_id",
    "enterprise_id",
    "app_installed_team_id",
    "event_id",
    "command",
    "text",
    "response_url",
    "trigger_id",
    "callback_id",
    "private_metadata",
    "user_name",
    "channel_name",
    "challenge",
)
# Objects Bolt looks into with the same rules (for team, user and channel ids).
_NESTED = ("event", "view", "message", "previous_message", "item", "assistant_thread")


# The kinds of request golive serves (None: a slash command or Slack's ssl_check). Bolt
# reads the others by yet more shapes (``body["workflow_step"]``, ``actions[0]`` of an
# attachment) and golive has no listener for them.
KINDS = frozenset(
    {
        None,
        "block_actions",
        "view_submission",
        "view_closed",
        "event_callback",
        "url_verification",
        "app_rate_limited",
    }
)


class Malformed(ValueError):
    """A body golive refuses with 400; ``reason`` is one short line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON ``text`` nests arrays and objects deeper than ``limit`` (stops at the
    first bracket past it; brackets inside strings do not count)."""
    depth = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in ("]", "}"):
            depth -= 1
    return False


def loads(text: str) -> Any:
    """``json.loads`` that cannot recurse past :data:`MAX_DEPTH`; :class:`Malformed` for
    anything that is not such JSON."""
    if too_deep(text):
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed("not JSON") from None


def parse(raw: bytes, content_type: str | None) -> JSON:
    """A signed body as Bolt will parse it, once it is sure Bolt and the listeners can
    read it; :class:`Malformed` otherwise."""
    if len(raw) > MAX_BODY_BYTES:
        raise Malformed(f"body over {MAX_BODY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("body is not UTF-8") from None
    if too_deep(text):
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH}")
    if "payload" in text and not _is_json(text, content_type):
        # Bolt decodes the form's payload field; its JSON is scanned here first.
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None and too_deep(payload):
            raise Malformed(f"JSON nested deeper than {MAX_DEPTH}")
    try:
        body = _parse_body(text, content_type)
    except (ValueError, RecursionError):
        raise Malformed("not JSON") from None
    if not isinstance(body, dict):
        raise Malformed(f"body is a JSON {type(body).__name__}, not an object")
    check(body)
    return body


def _parse_body(text: str, content_type: str | None) -> Any:
    """The body as Bolt reads it, but for a form that merely mentions "payload" (a slash
    command such as `new churn "payload model"`): Bolt looks for the word anywhere in the
    body and reads such a form as an empty interaction, so the command was dropped. Here a
    form is an interaction only when it has a ``payload`` field."""
    if _is_json(text, content_type):
        return parse_body(text, content_type)
    form = dict(parse_qsl(text, keep_blank_values=True))
    return json.loads(form["payload"]) if "payload" in form else form


def _is_json(text: str, content_type: str | None) -> bool:
    return content_type == "application/json" or text.startswith("{")


def check(body: JSON) -> None:
    """Refuse a parsed body whose fields are not the shapes Bolt and golive read."""
    _check_fields(body, "body")
    for name in _NESTED:
        nested = body.get(name)
        if isinstance(nested, dict):
            _check_fields(nested, name)
    for name in ("authorizations", "response_urls"):
        for index, entry in enumerate(body.get(name) or []):
            _check_fields(entry, f"{name}[{index}]")
    kind = body.get("type")
    if kind not in KINDS:
        raise Malformed(f"a {str(kind)[:40]!r} request, which golive does not serve")
    if "command" in body:
        _check_command(body)
    elif kind == "block_actions":
        _check_block_actions(body)
    elif kind == "view_submission" or kind == "view_closed":
        _check_view(body)
    elif kind == "event_callback":
        _check_event(body)
    elif kind == "url_verification":
        _require_text(body, "challenge", "url_verification")


def team_id(body: Mapping[str, Any]) -> str | None:
    """The workspace a checked body comes from, where golive's listeners look for it."""
    team = body.get("team")
    user = body.get("user")
    found = (
        body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else team)
        or (user.get("team_id") if isinstance(user, dict) else None)
    )
    return found if isinstance(found, str) and found else None


# --- shapes --------------------------------------------------------------------------


def _check_fields(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise Malformed(f"{where} is not an object")
    for name in _OBJECT_OR_ID:
        value = data.get(name)
        if value is not None and not isinstance(value, str | dict):
            raise Malformed(f"{where}.{name} is neither an object nor an id")
        if isinstance(value, dict):
            for field in ("id", "team_id", "name", "username", "enterprise_id"):
                _optional_text(value, field, f"{where}.{name}")
    if "event" in data and not isinstance(data["event"], dict):
        raise Malformed(f"{where}.event is not an object")
    for name in _OBJECTS:
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise Malformed(f"{where}.{name} is not an object")
    for name in _LISTS:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise Malformed(f"{where}.{name} is not a list of objects")
    for name in _TEXTS:
        _optional_text(data, name, where)


def _optional_text(data: Mapping[str, Any], name: str, where: str) -> None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise Malformed(f"{where}.{name} is not text")
    if name.endswith("id") and isinstance(value, str) and len(value) > MAX_ID:
        raise Malformed(f"{where}.{name} is too long")


def _require_text(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise Malformed(f"{where} has no {name}")
    return value


def _require_team(body: Mapping[str, Any], where: str) -> None:
    if team_id(body) is None:
        raise Malformed(f"{where} names no workspace (team id)")


def _require_user(body: Mapping[str, Any], where: str) -> None:
    user = body.get("user")
    if not isinstance(user, dict):
        raise Malformed(f"{where} names no user")
    _require_text(user, "id", f"{where}.user")


def _check_url(body: Mapping[str, Any], where: str, *, required: bool = False) -> None:
    """A response_url golive will post its answer to: an absolute web address."""
    url = body.get("response_url")
    if url is None and not required:
        return
    if not isinstance(url, str) or not is_web_address(url):
        raise Malformed(f"{where}.response_url is not a web address")


def is_web_address(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address with a host."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a bad port or IPv6 literal
        return False


def _check_command(body: JSON) -> None:
    for name in ("command", "user_id"):
        _require_text(body, name, "slash command")
    _check_url(body, "slash command", required=True)
    _require_team(body, "slash command")


def _check_block_actions(body: JSON) -> None:
    actions = body.get("actions")
    if not actions:
        raise Malformed("block_actions has no actions")
    for action in actions:
        _require_text(action, "action_id", "block_actions.actions[]")
        value = action.get("value")
        if isinstance(value, str) and too_deep(value):
            raise Malformed("block_actions value nested too deep")
    _require_user(body, "block_actions")
    _require_team(body, "block_actions")
    _check_url(body, "block_actions")
    if body.get("channel") is not None and not isinstance(body["channel"], dict):
        raise Malformed("block_actions.channel is not an object")
    _require_text(body, "trigger_id", "block_actions")
    container = body.get("container")
    if isinstance(container, dict):
        _optional_text(container, "channel_id", "block_actions.container")


def _check_view(body: JSON) -> None:
    view = body.get("view")
    if not isinstance(view, dict):
        raise Malformed("view_submission has no view")
    _require_text(view, "callback_id", "view")
    _require_text(view, "type", "view")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and too_deep(metadata):
        raise Malformed("view.private_metadata nested too deep")
    values = (view.get("state") or {}).get("values")
    if values is not None:
        if not isinstance(values, dict):
            raise Malformed("view.state.values is not an object")
        for block in values.values():
            if not isinstance(block, dict) or not all(isinstance(e, dict) for e in block.values()):
                raise Malformed("view.state.values holds something other than inputs")
            for element in block.values():
                _check_input(element)
    _require_user(body, "view_submission")
    _require_team(body, "view_submission")


def _check_input(element: Mapping[str, Any]) -> None:
    for name in ("type", "value", "selected_date"):
        _optional_text(element, name, "view.state input")
    option = element.get("selected_option")
    if option is not None:
        if not isinstance(option, dict):
            raise Malformed("view.state input option is not an object")
        _optional_text(option, "value", "view.state input option")


def _check_event(body: JSON) -> None:
    event = body.get("event")
    if not isinstance(event, dict):
        raise Malformed("event_callback has no event object")
    kind = _require_text(event, "type", "event")
    _require_text(body, "event_id", "event_callback")
    _require_team(body, "event_callback")
    if kind == "app_home_opened":
        _require_text(event, "user", "app_home_opened")
        _optional_text(event, "tab", "app_home_opened")
    elif kind == "tokens_revoked":
        tokens = event.get("tokens", {})
        if not isinstance(tokens, dict) or not all(
            isinstance(ids, list) and all(isinstance(i, str) for i in ids)
            for ids in tokens.values()
        ):
            raise Malformed("tokens_revoked.tokens is not lists of ids")
