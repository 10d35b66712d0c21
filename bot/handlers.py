"""The one registry from command types to handlers (each feature contributes its own)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.commands import Command
from bot.env import Env
from bot.messages import Message

Handler = Callable[[Any, Env], Awaitable[Message]]


def registry() -> dict[type[Command], Handler]:
    from bot.digests.handlers import HANDLERS as digests
    from bot.pilots.handlers import HANDLERS as pilots
    from bot.polls.handlers import HANDLERS as polls

    merged: dict[type[Command], Handler] = {}
    for part in (pilots, polls, digests):
        overlap = merged.keys() & part.keys()
        if overlap:
            raise RuntimeError(f"commands handled twice: {sorted(c.__name__ for c in overlap)}")
        merged.update(part)
    return merged
