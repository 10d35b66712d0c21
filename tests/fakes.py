"""Fakes shared by the tests: a recording chat gateway that can be told to fail."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.messages import Message


@dataclass(frozen=True)
class Failure:
    """How one call fails: ``kind`` is ``error`` (a DeliveryFailed), ``rate`` (a
    DeliveryFailed with ``retry_after``), ``permanent``, ``timeout`` (the call hangs until
    the caller gives up) or ``crash`` (an unexpected exception)."""

    kind: str = "error"
    retry_after: float | None = None

    async def happen(self) -> None:
        if self.kind == "timeout":
            await asyncio.sleep(3600)
        if self.kind == "crash":
            raise RuntimeError("gateway bug")
        if self.kind == "rate":
            raise DeliveryFailed("rate limited", retry_after=self.retry_after or 1.0)
        raise DeliveryFailed("platform error", permanent=self.kind == "permanent")


@dataclass(frozen=True)
class Sent:
    """One message the gateway accepted: a post (``to``) or an update (``ref`` only)."""

    ref: MessageRef
    message: Message
    to: Conversation | None = None
    at: datetime | None = None  # by the gateway's clock, when it has one

    @property
    def is_update(self) -> bool:
        return self.to is None


@dataclass
class FakeChatGateway:
    """Records every accepted post and update; fails on demand.

    ``fail_next(...)`` queues failures for the next calls; ``outage = Failure(...)`` fails
    every call until it is set back to None. Failed calls are counted in ``attempts`` but
    never recorded as sent.

    Channels are readable by everyone unless listed in ``private`` (channel id -> member
    ids); ``membership_asked`` records each ``readable_channels`` question, and
    ``before_membership`` (if set) runs first, to check what the caller holds open.
    """

    platform: str = "console"
    clock: Clock | None = None
    sent: list[Sent] = field(default_factory=list)
    people: dict[tuple[str, str], PersonInfo] = field(default_factory=dict)
    outage: Failure | None = None
    attempts: int = 0
    private: dict[str, set[str]] = field(default_factory=dict)
    membership_asked: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    before_membership: Callable[[], None] | None = None
    _queued: deque[Failure] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(
        self, count: int = 1, kind: str = "error", *, retry_after: float | None = None
    ) -> None:
        for _ in range(count):
            self._queued.append(Failure(kind, retry_after))

    async def _maybe_fail(self) -> None:
        self.attempts += 1
        failure = self._queued.popleft() if self._queued else self.outage
        if failure is not None:
            await failure.happen()

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        await self._maybe_fail()
        channel = to.channel_id or f"D-{to.user_id}"
        ref = MessageRef(
            platform=to.platform,
            workspace_id=to.workspace_id,
            channel_id=channel,
            message_id=str(next(self._ids)),
        )
        self.sent.append(Sent(ref=ref, message=message, to=to, at=self._now()))
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self._maybe_fail()
        self.sent.append(Sent(ref=ref, message=message, at=self._now()))

    def _now(self) -> datetime | None:
        return self.clock.now() if self.clock is not None else None

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        return self.people.get((workspace_id, user_id))

    async def readable_channels(
        self, workspace_id: str, user_id: str, channel_ids: Collection[str]
    ) -> set[str]:
        if self.before_membership is not None:
            self.before_membership()
        self.membership_asked.append((workspace_id, user_id, tuple(sorted(channel_ids))))
        return {c for c in channel_ids if c not in self.private or user_id in self.private[c]}

    # --- reading the transcript ------------------------------------------------------

    @property
    def posts(self) -> list[Sent]:
        return [s for s in self.sent if not s.is_update]

    @property
    def updates(self) -> list[Sent]:
        return [s for s in self.sent if s.is_update]

    def dms(self, user_id: str) -> list[Message]:
        """The direct messages posted to ``user_id``, oldest first."""
        return [s.message for s in self.dm_log(user_id)]

    def dm_log(self, user_id: str) -> list[Sent]:
        return [s for s in self.posts if s.to is not None and s.to.user_id == user_id]

    def in_channel(self, channel_id: str) -> list[Message]:
        return [s.message for s in self.posts if s.to is not None and s.to.channel_id == channel_id]
