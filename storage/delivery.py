"""The outbox table, its mapping and repository.

Every state change of a row after it is written is one conditional ``UPDATE`` statement,
so two workers (or a worker and a vote replacing an update) never overwrite each other's
change with a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.models import OutboxMessage, OutboxStatus
from bot.delivery.service import UPDATE_INTERVAL
from storage.base import mapper_registry, metadata
from storage.types import UTCDateTime, str_enum

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("channel_id", String(255)),
    Column("user_id", String(255)),
    Column("update_of", String(255)),
    Column("message_json", Text, nullable=False),
    Column("status", str_enum(OutboxStatus, "status"), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("ref_json", Text),
    UniqueConstraint("key"),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)


def map_delivery() -> None:
    """Map the core's delivery classes to their tables (called once by storage.mapping)."""
    mapper_registry.map_imperatively(OutboxMessage, outbox)


def _values(message: OutboxMessage) -> dict[str, object]:
    return {
        "workspace_id": message.workspace_id,
        "key": message.key,
        "platform": message.platform,
        "channel_id": message.channel_id,
        "user_id": message.user_id,
        "update_of": message.update_of,
        "message_json": message.message_json,
        "status": message.status,
        "attempts": message.attempts,
        "created_at": message.created_at,
        "next_attempt_at": message.next_attempt_at,
    }


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def add(self, message: OutboxMessage) -> bool:
        """Insert unless the key exists (no IntegrityError, so the transaction goes on)."""
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = (
            insert(outbox).values(**_values(message)).on_conflict_do_nothing(index_elements=["key"])
        )
        # RETURNING, not rowcount: drivers disagree on rowcount for a skipped insert.
        result = await self.session.execute(statement.returning(outbox.c.id))
        return result.first() is not None

    async def add_many(self, messages: Sequence[OutboxMessage]) -> set[str]:
        """Insert those whose key is new, in one statement a chunk; the keys inserted."""
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        added: set[str] = set()
        for start in range(0, len(messages), 500):
            chunk = [_values(m) for m in messages[start : start + 500]]
            statement = insert(outbox).values(chunk).on_conflict_do_nothing(index_elements=["key"])
            result = await self.session.execute(statement.returning(outbox.c.key))
            added.update(result.scalars())
        return added

    async def get_by_key(self, key: str) -> OutboxMessage | None:
        statement = select(OutboxMessage).where(outbox.c.key == key)
        return await self.session.scalar(statement.execution_options(populate_existing=True))

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # keep each IN list modest
            chunk = wanted[start : start + 500]
            rows = await self.session.scalars(select(outbox.c.key).where(outbox.c.key.in_(chunk)))
            found.update(rows)
        return found

    async def put_update(self, message: OutboxMessage, *, not_before: datetime) -> None:
        while True:
            if await self.add(message):
                return
            # The row exists: lock it (PostgreSQL) so a worker's mark_sent waits for us.
            current = (
                await self.session.execute(
                    select(outbox.c.status, outbox.c.next_attempt_at, outbox.c.sent_at)
                    .where(outbox.c.key == message.key)
                    .with_for_update()
                )
            ).one_or_none()
            if current is not None:
                break
            # Pruned between our insert and our lock (an old sent update): insert afresh.
        due = not_before
        if current.sent_at is not None:
            due = max(due, current.sent_at + UPDATE_INTERVAL)
        if current.status == OutboxStatus.PENDING:
            due = max(due, current.next_attempt_at)  # a back-off or an in-flight lease
        values: dict[str, object] = {
            "message_json": message.message_json,
            "status": OutboxStatus.PENDING,
            "next_attempt_at": due,
        }
        if current.status != OutboxStatus.PENDING:
            values.update(attempts=0, last_error=None)
        await self.session.execute(
            update(outbox).where(outbox.c.key == message.key).values(**values)
        )

    async def claim_due(
        self, now: datetime, limit: int, *, lease_until: datetime
    ) -> list[OutboxMessage]:
        due = (
            select(outbox.c.id)
            .where(outbox.c.status == OutboxStatus.PENDING, outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        # One statement that writes: SQLite takes its write lock at once (a read upgraded
        # to a write later can fail under WAL); on PostgreSQL the CTE is evaluated once and
        # skips rows another worker is claiming.
        claimed = await self.session.execute(
            update(outbox)
            .where(outbox.c.id == due.c.id)
            .values(next_attempt_at=lease_until, attempts=outbox.c.attempts + 1)
            .returning(outbox.c.id)
        )
        ids = list(claimed.scalars())
        if not ids:
            return []
        statement = (
            select(OutboxMessage)
            .where(outbox.c.id.in_(ids))
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .execution_options(populate_existing=True)
        )
        return list(await self.session.scalars(statement))

    async def mark_sent(
        self, message_id: int, *, sent_message_json: str, ref_json: str | None, at: datetime
    ) -> bool:
        values: dict[str, object] = {"sent_at": at, "last_error": None}
        if ref_json is not None:
            values["ref_json"] = ref_json
        done = await self.session.execute(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.message_json == sent_message_json)
            .values(status=OutboxStatus.SENT, **values)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            return True
        # Replaced while in flight: the newer content goes out after the usual pause.
        await self.session.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(attempts=0, next_attempt_at=at + UPDATE_INTERVAL, **values)
        )
        return False

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        await self.session.execute(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.status == OutboxStatus.PENDING)
            .values(next_attempt_at=at, last_error=error)
        )

    async def defer(self, message_id: int, *, at: datetime) -> None:
        await self.session.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(next_attempt_at=at, attempts=outbox.c.attempts - 1)
        )

    async def mark_dead(self, message_id: int, *, error: str) -> None:
        await self.session.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(status=OutboxStatus.DEAD, last_error=error)
        )

    async def list(self, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
        statement = select(OutboxMessage).order_by(outbox.c.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(outbox.c.status == status)
        return list(await self.session.scalars(statement.execution_options(populate_existing=True)))

    async def get_many(self, ids: Iterable[int]) -> Sequence[OutboxMessage]:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        statement = (
            select(OutboxMessage)
            .where(outbox.c.id.in_(wanted))
            .order_by(outbox.c.id)
            .execution_options(populate_existing=True)
        )
        return list(await self.session.scalars(statement))

    async def requeue_dead(self, ids: Iterable[int] | None, *, at: datetime) -> Sequence[int]:
        statement = update(outbox).where(outbox.c.status == OutboxStatus.DEAD)
        if ids is not None:
            wanted = sorted(set(ids))
            if not wanted:
                return []
            statement = statement.where(outbox.c.id.in_(wanted))
        requeued = await self.session.execute(
            statement.values(
                status=OutboxStatus.PENDING, attempts=0, last_error=None, next_attempt_at=at
            ).returning(outbox.c.id)
        )
        return sorted(requeued.scalars())

    async def prune(
        self,
        *,
        before: datetime,
        limit: int,
        keep_prefixes: Sequence[str] = (),
        keep_suffixes: Sequence[str] = (),
    ) -> int:
        finished = (
            outbox.c.status.in_([OutboxStatus.SENT, OutboxStatus.SUPERSEDED]),
            outbox.c.created_at < before,
            or_(outbox.c.sent_at.is_(None), outbox.c.sent_at < before),
        )
        kept = [outbox.c.key.startswith(p, autoescape=True) for p in keep_prefixes] + [
            outbox.c.key.endswith(s, autoescape=True) for s in keep_suffixes
        ]
        # Skip rows a vote is replacing right now (PostgreSQL); they wait for the next sweep.
        # A CTE, evaluated once: PostgreSQL may run a LIMIT subquery under IN more than once.
        chosen = (
            select(outbox.c.id)
            .where(*finished, *(~k for k in kept))
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("chosen")
        )
        # The outer conditions are checked again on the row as it is when deleted.
        done = await self.session.execute(
            delete(outbox)
            .where(outbox.c.id.in_(select(chosen.c.id)), *finished)
            .returning(outbox.c.id)  # rowcount: -1 from SQLite for a statement with WITH
        )
        return len(done.all())
