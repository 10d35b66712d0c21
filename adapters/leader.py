"""Which replica runs the sweep.

With PostgreSQL, the leader is the replica holding a session-level advisory lock
(``pg_try_advisory_lock``) on a dedicated connection, outside any pooler's transaction
mode. The lock lives exactly as long as that connection: when the connection drops (the
network, a server restart, ``pg_terminate_backend``) the server releases the lock, this
replica stops leading at its next check and another replica takes the lock at its next try.
Sweeps are idempotent, so the short overlap a lost connection can cause is harmless.

With SQLite there is a single process, always the leader.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LOCK_KEY = 0x676F6C697665  # "golive"; advisory locks are per database


class Leadership(Protocol):
    async def is_leader(self) -> bool:
        """Whether this replica leads now (may try to become the leader)."""
        ...

    async def close(self) -> None: ...


class SoleLeader:
    """A single process (SQLite, the console): always the leader."""

    async def is_leader(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class AdvisoryLockLeader:
    """Leadership through a PostgreSQL advisory lock held on a dedicated connection.

    A replica that failed to get the lock tries again after ``retry_after`` seconds; one
    that lost it waits ``lost_cooldown`` seconds, longer, so that another replica takes
    over rather than the one whose connection just failed.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        key: int = LOCK_KEY,
        retry_after: float = 15.0,
        lost_cooldown: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._key = key
        self._retry_after = retry_after
        self._lost_cooldown = lost_cooldown
        self._monotonic = monotonic
        self._connection: AsyncConnection | None = None
        self._not_before = 0.0

    @property
    def leading(self) -> bool:
        """Whether this replica believed it led at its last check."""
        return self._connection is not None

    async def is_leader(self) -> bool:
        if self._connection is not None:
            if await self._still_held(self._connection):
                return True
            log.warning("leadership lost: the lock's connection dropped")
            await self._drop()
            self._not_before = self._monotonic() + self._lost_cooldown
            return False
        if self._monotonic() < self._not_before:
            return False
        return await self._try_acquire()

    async def _still_held(self, connection: AsyncConnection) -> bool:
        try:
            result = await connection.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted AND objsubid = 1"
                    " AND ((classid::bigint << 32) | objid::bigint) = :key)"
                ),
                {"key": self._key},
            )
            return bool(result.scalar())
        except Exception:  # any error on this connection means the lock may be gone
            return False

    async def _try_acquire(self) -> bool:
        connection: AsyncConnection | None = None
        try:
            connection = await self._engine.connect()
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
            got = bool(result.scalar())
        except Exception as error:
            log.warning("cannot try for leadership: %s", type(error).__name__)
            got = False
        if not got:
            if connection is not None:
                await _close_quietly(connection)
            self._not_before = self._monotonic() + self._retry_after
            return False
        self._connection = connection
        log.info("this replica now leads the sweep")
        return True

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
            except Exception:
                log.debug("invalidating the lost leader connection failed", exc_info=True)
            await _close_quietly(connection)

    async def close(self) -> None:
        """Give up leadership (closing the connection releases the lock)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except Exception:
            log.debug("unlock failed; closing the connection releases the lock", exc_info=True)
        await _close_quietly(connection)


async def _close_quietly(connection: AsyncConnection) -> None:
    try:
        await connection.close()
    except Exception:
        log.debug("closing a leader connection failed", exc_info=True)
