"""Seen keys (Slack's replay guard and event dedupe): the first mark wins, on both
databases and under concurrency; an expired mark is taken over and pruned a batch at a
time, never a live one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.seen import SeenKeyStore, seen_keys

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)


async def marks(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(seen_keys))).scalar())


async def test_a_key_is_new_once_until_its_mark_expires(database: Database) -> None:
    store = SeenKeyStore(database.engine)
    assert await store.first_time("slack:signature:a", now=T0, ttl=TTL)
    assert not await store.first_time("slack:signature:a", now=T0 + timedelta(minutes=9), ttl=TTL)
    assert await store.first_time("slack:signature:b", now=T0, ttl=TTL)
    # Expired: the next mark takes the row over, and holds for its own ttl.
    assert await store.first_time("slack:signature:a", now=T0 + TTL, ttl=TTL)
    assert not await store.first_time("slack:signature:a", now=T0 + TTL * 1.5, ttl=TTL)


async def test_of_many_marking_one_key_at_once_exactly_one_is_first(database: Database) -> None:
    stores = [SeenKeyStore(database.engine) for _ in range(2)]  # two replicas
    results = await asyncio.gather(
        *(stores[i % 2].first_time("slack:event:Ev1", now=T0, ttl=TTL) for i in range(12))
    )
    assert sorted(results) == [False] * 11 + [True]


async def test_prune_deletes_expired_marks_a_bounded_batch_at_a_time(database: Database) -> None:
    store = SeenKeyStore(database.engine)
    for minute in range(5):
        await store.first_time(f"old{minute}", now=T0 + timedelta(minutes=minute), ttl=TTL)
    await store.first_time("live", now=T0 + TTL, ttl=TTL)
    now = T0 + TTL + timedelta(minutes=5)  # old0..old4 expired; live has five minutes left
    assert await store.prune(now=now, limit=2) == 2
    assert await store.prune(now=now, limit=2) == 2
    assert await store.prune(now=now, limit=2) == 1
    assert await store.prune(now=now, limit=2) == 0
    assert await marks(database) == 1
    assert not await store.first_time("live", now=now, ttl=TTL)


async def test_marking_prunes_expired_marks_by_itself(database: Database) -> None:
    earlier = SeenKeyStore(database.engine)
    earlier._next_prune = float("inf")  # this replica has pruned recently
    for n in range(3):
        await earlier.first_time(f"old{n}", now=T0, ttl=TTL)
    assert await marks(database) == 3
    later = SeenKeyStore(database.engine)  # another replica, or this one a minute on
    await later.first_time("new", now=T0 + TTL, ttl=TTL)
    assert await marks(database) == 1


async def test_a_key_past_the_column_is_refused(database: Database) -> None:
    store = SeenKeyStore(database.engine)
    with pytest.raises(ValueError):
        await store.first_time("k" * 256, now=T0, ttl=TTL)
    with pytest.raises(ValueError):
        await store.first_time("", now=T0, ttl=TTL)
