"""The SQL unit of work: one AsyncSession, one transaction, the repositories over it."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from bot.delivery.ports import OutboxRepository
from bot.digests.ports import DigestRepository
from bot.errors import Conflict, StoreUnavailable
from bot.pilots.models import Aggregate
from bot.pilots.ports import (
    AuditRepository,
    PersonRepository,
    PilotRepository,
    WorkspaceRepository,
)
from bot.polls.ports import PollRepository
from bot.reminders.ports import ReminderRepository
from storage.conflicts import to_conflict
from storage.delivery import SqlOutboxRepository
from storage.digests import SqlDigestRepository
from storage.pilot_repositories import (
    SqlAuditRepository,
    SqlPersonRepository,
    SqlPilotRepository,
    SqlWorkspaceRepository,
)
from storage.polls import SqlPollRepository
from storage.reminders import SqlReminderRepository
from storage.turns import Turns


class SqlUnitOfWork:
    """Implements :class:`bot.ports.UnitOfWork`.

    A unique-constraint violation, whether raised by :meth:`flush`, :meth:`commit` or an
    autoflush inside a query, becomes a :class:`bot.errors.Conflict` naming what clashed;
    the transaction is rolled back and the unit of work stays usable for reads.

    A database that cannot be reached when the unit of work opens, or that drops the
    connection before the commit, becomes :class:`bot.errors.StoreUnavailable`: nothing
    was written. (A connection lost during the commit itself stays the driver's error:
    whether the commit landed is unknown.) On a SQLite file, ``turns`` makes units of work
    take turns (:mod:`storage.turns`).
    """

    # Typed as the core's ports: the protocol's attributes are writable, hence invariant.
    workspaces: WorkspaceRepository
    people: PersonRepository
    pilots: PilotRepository
    audit: AuditRepository
    polls: PollRepository
    outbox: OutboxRepository
    reminders: ReminderRepository
    digests: DigestRepository

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, turns: Turns | None = None
    ) -> None:
        self._session_factory = session_factory
        self._turns = turns
        self._committing = False
        self._session: AsyncSession | None = None
        self._flushing: list[object] = []
        # The session holds clean objects only weakly: an aggregate whose transition left
        # rows to add must stay alive until the commit adds them.
        self._aggregates: list[Aggregate] = []

    @property
    def session(self) -> AsyncSession:
        """The open session (for storage code and tests; the core never uses it)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        if self._turns is not None:
            await self._turns.take()
        session = self._session_factory()
        event.listen(session.sync_session, "before_flush", self._remember_flushing)
        event.listen(session.sync_session, "loaded_as_persistent", self._track)
        event.listen(session.sync_session, "transient_to_pending", self._track)
        if self._turns is not None:
            event.listen(session.sync_session, "after_begin", _begin_immediate)
        try:
            await session.connection()  # connect now: an outage is known before any work
        except BaseException as error:
            await _close_quietly(session)
            if self._turns is not None:
                self._turns.give_back()
            if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
                raise StoreUnavailable(_reason(error)) from error
            raise
        self._session = session
        self.workspaces = SqlWorkspaceRepository(session)
        self.people = SqlPersonRepository(session)
        self.pilots = SqlPilotRepository(session)
        self.audit = SqlAuditRepository(session)
        self.polls = SqlPollRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.reminders = SqlReminderRepository(session)
        self.digests = SqlDigestRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # An autoflush inside a query can hit a constraint outside flush() and commit().
        conflict = self._conflict(exc) if isinstance(exc, IntegrityError) else None
        lost = _connection_lost(exc) and not self._committing
        session = self.session
        try:
            # Closing ends the transaction with a rollback, like rollback(), but leaves the
            # objects loaded, so callers can read what they committed after the block.
            if lost:
                await _close_quietly(session)
            else:
                await session.close()
        finally:
            self._session = None
            self._committing = False
            self._flushing = []
            self._aggregates = []
            if self._turns is not None:
                self._turns.give_back()
        if conflict is not None:
            raise conflict from exc
        if lost:
            assert isinstance(exc, DBAPIError)
            raise StoreUnavailable(_reason(exc)) from exc

    def add(self, obj: object) -> None:
        self.session.add(obj)

    async def flush(self) -> None:
        self._add_new_records()
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise await self._rolled_back(error) from error

    async def commit(self) -> None:
        self._add_new_records()
        try:
            self._committing = True
            await self.session.commit()
            self._committing = False
        except IntegrityError as error:
            self._committing = False
            raise await self._rolled_back(error) from error

    def _add_new_records(self) -> None:
        """Add the rows the aggregates recorded (stage changes, audit entries)."""
        for aggregate in self._aggregates:
            records = aggregate.new_records
            if records:
                self.session.add_all(records)
                records.clear()

    def _track(self, session: Session, instance: object) -> None:
        if isinstance(instance, Aggregate):
            self._aggregates.append(instance)

    async def rollback(self) -> None:
        await self.session.rollback()

    async def _rolled_back(self, error: IntegrityError) -> Conflict:
        # Read the clashing object before rollback expires or expunges it.
        conflict = self._conflict(error)
        await self.session.rollback()
        return conflict

    def _conflict(self, error: IntegrityError) -> Conflict:
        return to_conflict(error, self._flushing)

    def _remember_flushing(self, session: Session, context: Any, instances: Any) -> None:
        self._flushing = [*session.new, *session.dirty]


def _begin_immediate(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    # Take SQLite's write lock as the transaction begins (see storage.turns).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _connection_lost(error: BaseException | None) -> bool:
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _reason(error: Exception) -> str:
    """The driver's error in one line, for the log (never the statement's parameters)."""
    orig = getattr(error, "orig", None) or error
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first}"


async def _close_quietly(session: AsyncSession) -> None:
    with contextlib.suppress(Exception):  # the connection is gone: closing only tidies up
        await session.close()
