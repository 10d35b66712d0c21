"""Benchmark 3: the sweep over 100,000 checklist items, 10,000 of them overdue across
2,000 owners: the sweep that queues the DMs, then a second one the same day."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import MovableClock
from bot.sweep import run_sweep
from storage.db import Database
from storage.delivery import outbox
from storage.pilots import checklist_items
from tests.bench import seed
from tests.bench.common import Row, StatementCounter, profiled, scratch_database

OWNERS = 2000
PILOTS = 10_000
ITEMS_PER_PILOT = 10  # 1 overdue, 6 done, 3 open and due in a month or more
# A Wednesday noon: a working day, inside everyone's 09:00-17:00 (all in UTC).
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
NAME = "3 reminder sweep"


async def seed_items(database: Database) -> None:
    async with database.engine.begin() as conn:
        workspace = await seed.workspace(conn)
        owners = await seed.persons(conn, workspace, OWNERS)
        pilot_ids = await seed.pilot_rows(
            conn, workspace, owners, PILOTS, channel="C1", key_format="r{:05d}", now=NOW
        )
        yesterday = NOW.date() - timedelta(days=1)
        items = []
        for i, pilot_id in enumerate(pilot_ids):
            owner = owners[i % OWNERS]
            for n in range(1, ITEMS_PER_PILOT + 1):
                due: date = yesterday if n == 1 else NOW.date() + timedelta(days=30 + n)
                items.append(seed.item(pilot_id, n, owner, due=due, done=2 <= n <= 7))
        await seed.rows(conn, checklist_items, items)
        # This week's digest of C1 is out: the sweep measured is the reminders'.
        await seed.digest_posted(conn, workspace, "C1", now=NOW)


async def measure(url: str) -> list[Row]:
    database = Database(url)
    await database.upgrade()
    counter = StatementCounter(database.engine)
    try:
        started = time.perf_counter()
        await seed_items(database)
        seeded = time.perf_counter() - started
        figures = []
        for n, clock in enumerate((MovableClock(NOW), MovableClock(NOW + timedelta(hours=2)))):
            with counter.measure(), profiled(f"sweep-{n + 1}"):
                started = time.perf_counter()
                done = await run_sweep(uow_factory=database.uow, clock=clock)
                seconds = time.perf_counter() - started
            async with database.engine.connect() as conn:
                queued = (await conn.execute(select(func.count()).select_from(outbox))).scalar_one()
            figures.append((seconds, done, counter.count, queued))
    finally:
        await database.dispose()
    (first, first_done, first_sql, first_rows), (again, _again_done, again_sql, total) = figures
    return [
        Row(NAME, "seed 100,000 items (s)", f"{seeded:.1f}"),
        Row(NAME, "first sweep (s)", f"{first:.2f}", "< 2"),
        Row(NAME, "first sweep: DMs queued / SQL statements", f"{first_rows} / {first_sql}"),
        Row(NAME, "first sweep: duties that did something", _done(first_done)),
        Row(NAME, "second sweep, same day (s)", f"{again:.2f}", "< 0.5"),
        Row(NAME, "second sweep: new DMs / SQL statements", f"{total - first_rows} / {again_sql}"),
    ]


def _done(done: dict[str, int]) -> str:
    """What the duties did, those that did nothing left out."""
    return ", ".join(f"{name} {count}" for name, count in done.items() if count) or "nothing"


def run() -> list[Row]:
    with scratch_database() as url:
        return asyncio.run(measure(url))
