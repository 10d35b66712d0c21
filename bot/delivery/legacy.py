"""Messages queued before buttons carried typed actions (golive 0.1), read once more.

Their buttons held command text (``"command": "vote churn go"``). A row queued before an
upgrade must still be delivered, so each such button is read as the command its text says,
exactly as 0.1 would have run it when pressed. A button that opened a form, or whose text
no longer reads as a command, is left off: the message itself still goes out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.actions import encode
from bot.errors import GoliveError
from bot.messages import Message


def load(message_json: str) -> Message:
    """The stored message, upgrading 0.1 buttons when it has any."""
    try:
        return Message.model_validate_json(message_json)
    except ValidationError:
        data = json.loads(message_json)
        if not _has_old_buttons(data):
            raise
    for block in data["blocks"]:
        if block.get("type") == "actions":
            block["buttons"] = [b for b in map(_button, block["buttons"]) if b is not None]
    data["blocks"] = [b for b in data["blocks"] if b.get("type") != "actions" or b.get("buttons")]
    return Message.model_validate(data)


def _has_old_buttons(data: Any) -> bool:
    blocks = data.get("blocks") if isinstance(data, dict) else None
    return isinstance(blocks, list) and any(
        isinstance(button, dict) and "command" in button
        for block in blocks
        if isinstance(block, dict) and block.get("type") == "actions"
        for button in block.get("buttons") or []
    )


def _button(data: dict[str, Any]) -> dict[str, Any] | None:
    if "command" not in data:
        return data
    if data.get("form"):
        return None
    from bot.parsing import parse  # the parser renders help with messages: import late

    try:
        # Button commands name no relative dates, so the instant does not matter.
        command = parse(str(data["command"]), now_local=datetime.now(UTC))
    except GoliveError:
        return None
    return {"label": data.get("label", ""), "action": encode(command), "style": data.get("style")}
