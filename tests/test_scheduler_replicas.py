"""Two replicas on one PostgreSQL database over a simulated week: the leader sweeps, both
deliver, every message arrives exactly once, and killing the leader's connection hands
leadership to the other replica."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from fakes import FakeChatGateway
from reminders_support import Item, Who, build

from adapters.leader import AdvisoryLockLeader
from adapters.scheduler import Scheduler
from bot.clock import MovableClock
from bot.delivery.worker import deliver_due
from bot.sweep import run_sweep
from storage.db import Database

ZONES = [
    ("UTC", "sat-sun"),
    ("Asia/Dubai", "fri-sat"),
    ("America/Los_Angeles", "sat-sun"),
    ("Europe/Berlin", "sat-sun"),
    ("Asia/Kolkata", "sat-sun"),
    ("America/New_York", "sat-sun"),
]
START = datetime(2026, 12, 1, tzinfo=UTC)
STEP = timedelta(hours=1)
STEPS = 7 * 24
KILL_AT = 80


def world() -> tuple[list[Who], list[Item]]:
    """40 people across six zones, each owning 8 items due over three weeks: 320 items."""
    people, items = [], []
    for n in range(40):
        zone, weekend = ZONES[n % len(ZONES)]
        people.append(Who(f"p{n:02d}", zone, weekend))
        for k in range(8):
            due = date(2026, 11, 24) + timedelta(days=(n + 3 * k) % 21)
            items.append(Item(f"p{n:02d}", due, f"Item {k} of p{n:02d}", pilot=f"pilot-{k}"))
    return people, items


def transcript(gateway: FakeChatGateway) -> list[tuple[str, str, datetime | None]]:
    return sorted(
        (s.to.user_id or "", s.message.text, s.at) for s in gateway.posts if s.to is not None
    )


async def reference_run(database: Database) -> list[tuple[str, str, datetime | None]]:
    """The same week with one process: what the replicas must deliver, once each."""
    people, items = world()
    await build(database, people=people, items=items)
    clock = MovableClock(START)
    gateway = FakeChatGateway(clock=clock)
    for _ in range(STEPS):
        clock.move(STEP)
        await run_sweep(uow_factory=database.uow, clock=clock)
        while await deliver_due(
            uow_factory=database.uow, gateways={"console": gateway}, clock=clock
        ):
            pass
    return transcript(gateway)


async def kill_lock_holder(url: str) -> int:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        cursor = await admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        pids = [row[0] for row in await cursor.fetchall()]
        assert len(pids) == 1
        await admin.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
        for _ in range(600):  # the lock goes when the backend has exited (30 s at most)
            cursor = await admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pids[0],)
            )
            if (await cursor.fetchone()) == (0,):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"backend {pids[0]} still runs after pg_terminate_backend")
    return pids[0]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_replicas_deliver_every_message_exactly_once(
    database_url: str, sqlite_database: Database
) -> None:
    expected = await reference_run(sqlite_database)
    assert len(expected) > 300

    people, items = world()
    setup = Database(database_url)
    await build(setup, people=people, items=items)
    await setup.dispose()

    clock = MovableClock(START)
    gateway = FakeChatGateway(clock=clock)
    databases = [Database(database_url), Database(database_url)]
    replicas = [
        Scheduler(
            uow_factory=db.uow,
            clock=clock,
            gateways={"console": gateway},
            leader=AdvisoryLockLeader(
                db.engine,
                retry_after=60,
                lost_cooldown=3 * 3600,
                monotonic=lambda: clock.now().timestamp(),
            ),
        )
        for db in databases
    ]
    leaders: list[list[bool]] = []
    delivered = [0, 0]
    try:
        for step in range(STEPS):
            clock.move(STEP)
            if step == KILL_AT:
                await kill_lock_holder(database_url)
            await asyncio.gather(*(r.sweep_once() for r in replicas))
            sent = await asyncio.gather(*(r.deliver_once() for r in replicas))
            delivered = [d + n for d, n in zip(delivered, sent, strict=True)]
            leaders.append([r.leader.leading for r in replicas])  # type: ignore[attr-defined]
    finally:
        for replica in replicas:
            await replica.stop()
        for db in databases:
            await db.dispose()

    got = transcript(gateway)
    assert Counter(got) == Counter(expected)
    assert min(delivered) > 0 and sum(delivered) == len(got)  # both replicas delivered
    # One leader at a time; the other replica led after the kill.
    assert all(row.count(True) == 1 for row in leaders)
    assert leaders[KILL_AT - 1] != leaders[KILL_AT]
    assert leaders[KILL_AT] == leaders[-1]
