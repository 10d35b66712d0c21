"""Keys seen recently, shared by every replica: a signed request's signature (a replay is
refused) and a delivered event's id (a retry is handled once).

A key is marked by inserting it; the unique primary key makes the first insert win, so two
replicas receiving the same request at once cannot both take it. A mark expires: an expired
row is taken over by the next insert of its key and pruned a bounded batch at a time.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import Column, Index, String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.base import metadata
from storage.types import UTCDateTime

log = logging.getLogger(__name__)

KEY_MAX = 255
PRUNE_EVERY_SECONDS = 60.0  # per process: a busy replica prunes once a minute, not per request
PRUNE_BATCH = 1000

seen_keys = Table(
    "seen_keys",
    metadata,
    Column("key", String(KEY_MAX), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_seen_keys_expires_at", "expires_at"),
)


def map_seen_keys() -> None:
    """Nothing to map: the table is read and written with SQLAlchemy Core. Importing this
    module registers the table on the shared metadata (for migrations)."""


class SeenKeyStore:
    """Marks keys as seen until they expire, each mark in its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._next_prune = 0.0  # monotonic time of the next lazy prune

    async def first_time(self, key: str, *, now: datetime, ttl: timedelta) -> bool:
        """Mark ``key`` as seen until ``now + ttl``: True if it was not marked (or its mark
        had expired), False if a live mark exists — whichever replica made it."""
        if not key or len(key) > KEY_MAX:
            raise ValueError(f"a seen key has 1 to {KEY_MAX} characters")
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        row = insert(seen_keys).values(key=key, expires_at=now + ttl)
        # On a conflict the row is taken over only when its mark has expired; RETURNING
        # tells whether this statement wrote the row (drivers disagree on rowcount).
        statement = row.on_conflict_do_update(
            index_elements=[seen_keys.c.key],
            set_={"expires_at": row.excluded.expires_at},
            where=seen_keys.c.expires_at <= now,
        ).returning(seen_keys.c.key)
        async with self.engine.begin() as connection:
            marked = (await connection.execute(statement)).first() is not None
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            try:
                await self.prune(now=now, limit=PRUNE_BATCH)
            except SQLAlchemyError as error:  # the mark stands; a later call prunes
                log.warning("seen keys: prune failed (%s)", type(error).__name__)
        return marked

    async def prune(self, *, now: datetime, limit: int) -> int:
        """Delete at most ``limit`` expired marks; how many."""
        expired = (
            select(seen_keys.c.key)
            .where(seen_keys.c.expires_at <= now)
            .order_by(seen_keys.c.expires_at)
            .limit(limit)
            # Replicas pruning at once skip each other's rows instead of waiting or
            # deadlocking (PostgreSQL; SQLite has one writer and no FOR UPDATE).
            .with_for_update(skip_locked=True)
        )
        async with self.engine.begin() as connection:
            done = await connection.execute(
                delete(seen_keys)
                .where(seen_keys.c.key.in_(expired.scalar_subquery()))
                .where(seen_keys.c.expires_at <= now)  # re-marked meanwhile: keep it
                .returning(seen_keys.c.key)
            )
            return len(done.all())
