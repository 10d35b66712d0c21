"""The chat gateway and the outbox repository."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.delivery.models import Conversation, MessageRef, OutboxMessage, PersonInfo
from bot.messages import Message


class ChatGateway(Protocol):
    """What the core needs from a chat platform. Failures raise
    :class:`bot.delivery.models.DeliveryFailed`."""

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        """Post to a channel, or to a person's direct messages when ``to.user_id`` is set."""
        ...

    async def update(self, ref: MessageRef, message: Message) -> None: ...

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None: ...


class OutboxRepository(Protocol):
    async def add(self, message: OutboxMessage) -> bool:
        """Add unless a row with the same key exists; True when added. Never raises on a
        duplicate key and leaves the surrounding transaction usable."""
        ...

    async def get_by_key(self, key: str) -> OutboxMessage | None: ...

    async def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Pending rows whose next attempt is due, locked for this transaction
        (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) so no other worker takes them."""
        ...

    async def list(self, status: str | None = None, limit: int = 100) -> list[OutboxMessage]: ...
