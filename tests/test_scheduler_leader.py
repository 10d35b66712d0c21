"""Leadership by PostgreSQL advisory lock: one holder, released on close or when its
connection dies, then taken by another replica."""

from __future__ import annotations

import psycopg
import pytest

from adapters.leader import AdvisoryLockLeader, SoleLeader
from storage.db import Database


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_one_leader_and_a_handover(database_url: str) -> None:
    ticks = Ticks()
    one, two = Database(database_url), Database(database_url)
    first = AdvisoryLockLeader(one.engine, retry_after=10, lost_cooldown=100, monotonic=ticks)
    second = AdvisoryLockLeader(two.engine, retry_after=10, lost_cooldown=100, monotonic=ticks)
    try:
        assert await first.is_leader() is True
        assert await second.is_leader() is False
        assert await first.is_leader() is True  # still held

        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        assert await first.is_leader() is False  # its connection is gone
        assert await second.is_leader() is False  # waits out retry_after before trying again
        ticks.now += 11
        assert await second.is_leader() is True
        assert await first.is_leader() is False  # the lost one waits longer, then finds it held
        ticks.now += 101
        assert await first.is_leader() is False

        await second.close()  # a clean stop releases the lock at once
        ticks.now += 11
        assert await first.is_leader() is True
    finally:
        await first.close()
        await second.close()
        await one.dispose()
        await two.dispose()


async def test_sqlite_has_a_sole_leader() -> None:
    assert await SoleLeader().is_leader() is True
