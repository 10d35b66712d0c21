"""The chat gateway and the outbox repository."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class Reachability(Protocol):
    """Optional on a :class:`ChatGateway`: whom golive cannot message directly on that
    platform, so an owner can be warned before reminders and results go missing. A gateway
    without these methods reaches everyone (Slack, the console)."""

    async def unreachable(self, workspace_id: str, user_ids: Sequence[str]) -> list[str]:
        """The ids among ``user_ids`` golive cannot send a direct message to, in order."""
        ...

    def reach_fix(self) -> str:
        """What those people should do about it, in the platform's words, translated."""
        ...


@runtime_checkable
class ChannelMembership(Protocol):
    """Optional on a :class:`ChatGateway`: which conversations a person can read on that
    platform, so that a pilot is shown only to those who can read its steering channel. A
    gateway without this method lets everyone read every channel (the console)."""

    async def readable_channels(
        self, workspace_id: str, user_id: str, channel_ids: Collection[str]
    ) -> set[str]:
        """The ids among ``channel_ids`` the person can read: channels every member of the
        workspace can read, and those the person is a member of. Answers may be a few
        minutes old (cached). A channel the platform cannot answer for is left out."""
        ...


class OutboxRepository(Protocol):
    async def add(self, message: OutboxMessage) -> bool:
        """Add unless a row with the same key exists; True when added. Never raises on a
        duplicate key and leaves the surrounding transaction usable."""
        ...

    async def add_many(self, messages: Sequence[OutboxMessage]) -> set[str]:
        """Add those whose key is new (as :meth:`add`, in bulk); the keys added."""
        ...

    async def get_by_key(self, key: str) -> OutboxMessage | None: ...

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are already used (one query for a sweep's candidates)."""
        ...

    async def put_update(self, message: OutboxMessage, *, not_before: datetime) -> None:
        """Insert or replace the one update row under ``message.key``: a replaced row gets
        the new content and is pending again, due no earlier than ``not_before``, its last
        send time plus a pause, and any back-off it is already waiting out."""
        ...

    async def claim_due(
        self, now: datetime, limit: int, *, lease_until: datetime
    ) -> list[OutboxMessage]:
        """Pending rows whose next attempt is due, taken for this worker: each gets one more
        attempt and ``next_attempt_at = lease_until``, so no other worker takes it before
        the lease ends (``FOR UPDATE SKIP LOCKED`` on PostgreSQL while claiming)."""
        ...

    async def mark_sent(
        self, message_id: int, *, sent_message_json: str, ref_json: str | None, at: datetime
    ) -> bool:
        """Record a send. True when done; False when the row's content changed while it
        was in flight (a newer update): it then stays pending, due a pause after ``at``."""
        ...

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None: ...

    async def defer(self, message_id: int, *, at: datetime) -> None:
        """Put a claimed row back until ``at`` without counting the attempt (an update
        waiting for its original to be posted)."""
        ...

    async def mark_dead(self, message_id: int, *, error: str) -> None: ...

    async def list(self, status: str | None = None, limit: int = 100) -> list[OutboxMessage]: ...

    async def get_many(self, ids: Iterable[int]) -> Sequence[OutboxMessage]:
        """The rows among ``ids`` that exist, by id."""
        ...

    async def requeue_dead(self, ids: Iterable[int] | None, *, at: datetime) -> Sequence[int]:
        """Make the dead rows among ``ids`` (every dead row when None) pending again, due
        at ``at`` with no attempts and no last error; the ids requeued."""
        ...

    async def prune(
        self,
        *,
        before: datetime,
        limit: int,
        keep_prefixes: Sequence[str] = (),
        keep_suffixes: Sequence[str] = (),
    ) -> int:
        """Delete up to ``limit`` sent or superseded rows created, and last sent, before
        ``before``, except keys starting or ending as listed; the number deleted."""
        ...
