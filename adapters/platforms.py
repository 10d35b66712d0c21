"""What a chat platform's set-up adds to golive, returned to the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.delivery.ports import ChatGateway


@dataclass(frozen=True)
class Added:
    """A platform's gateway (None when the platform is off) and the start-up line that
    says what is on, or why not."""

    platform: str
    gateway: ChatGateway | None
    note: str
