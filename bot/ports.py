"""The core's ports: the unit of work and everything it holds, the chat gateway, the clock.

Adapters and storage implement these; tests use fakes or the SQLite store.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from bot.clock import Clock
from bot.delivery.ports import ChatGateway, OutboxRepository
from bot.digests.ports import DigestRepository
from bot.pilots.ports import (
    AuditRepository,
    PersonRepository,
    PilotRepository,
    WorkspaceRepository,
)
from bot.polls.ports import PollRepository
from bot.reminders.ports import ReminderRepository

__all__ = ["ChatGateway", "Clock", "UnitOfWork", "UnitOfWorkFactory"]


class UnitOfWork(Protocol):
    """One transaction. ``async with uow:`` opens it; leaving without :meth:`commit`
    rolls back, so a command that fails changes nothing."""

    workspaces: WorkspaceRepository
    people: PersonRepository
    pilots: PilotRepository
    audit: AuditRepository
    polls: PollRepository
    outbox: OutboxRepository
    reminders: ReminderRepository
    digests: DigestRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def add(self, obj: object) -> None:
        """Register a new domain object (a stage change, an item event...)."""
        ...

    async def flush(self) -> None:
        """Send pending changes so new objects get ids; constraint violations surface as
        :class:`bot.errors.Conflict`."""
        ...

    async def commit(self) -> None:
        """Commit; a unique-constraint violation raises :class:`bot.errors.Conflict`."""
        ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
