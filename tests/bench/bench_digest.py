"""Benchmark 5: building the digest of a channel with 500 pilots, against one with 10:
time and SQL statements (the count must not grow with the pilots)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from adapters.charts import render_kpi_chart
from adapters.slack.render import render_message
from bot.digests.ports import ChartRenderer
from bot.digests.service import build_digest
from bot.messages import Image
from storage.db import Database
from tests.bench import seed
from tests.bench.common import Row, StatementCounter, profiled, scratch_database

NAME = "5 digest build"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def seed_channels(database: Database) -> int:
    """C500 with 500 used pilots, C10 with 10; the workspace id."""
    async with database.engine.begin() as conn:
        workspace = await seed.workspace(conn)
        owners = await seed.persons(conn, workspace, 100)
        members = await seed.persons(conn, workspace, 300, first=100)
        for channel, count, keys in (("C500", 500, "a{:04d}"), ("C10", 10, "b{:04d}")):
            pilot_ids = await seed.pilot_rows(
                conn, workspace, owners, count, channel=channel, key_format=keys, now=NOW
            )
            await seed.full_pilots(conn, pilot_ids, owners, members, now=NOW)
    return workspace


async def build(
    database: Database,
    counter: StatementCounter,
    workspace_id: int,
    channel: str,
    charts: ChartRenderer | None,
) -> tuple[float, int, int, int]:
    """Build one digest in its own unit of work: seconds, statements, Block Kit blocks and
    the chart's bytes."""
    with counter.measure():
        started = time.perf_counter()
        async with database.uow() as uow:
            workspace = await uow.workspaces.get(workspace_id)
            assert workspace is not None
            built = await build_digest(
                uow=uow, workspace=workspace, channel_id=channel, now=NOW, charts=charts
            )
        seconds = time.perf_counter() - started
    png = sum(len(block.png) for block in built.message.blocks if isinstance(block, Image))
    return seconds, counter.count, len(render_message(built.message).get("blocks", [])), png


async def measure(url: str) -> list[Row]:
    database = Database(url)
    await database.upgrade()
    counter = StatementCounter(database.engine)
    try:
        workspace = await seed_channels(database)
        await build(database, counter, workspace, "C10", None)  # warm caches and imports
        small = await build(database, counter, workspace, "C10", None)
        with profiled("digest-500"):
            large = await build(database, counter, workspace, "C500", None)
        charted = await build(database, counter, workspace, "C500", render_kpi_chart)
    finally:
        await database.dispose()
    return [
        Row(NAME, "10 pilots: build (s) / SQL statements", f"{small[0]:.3f} / {small[1]}"),
        Row(NAME, "500 pilots: build (s)", f"{large[0]:.3f}", "< 1"),
        Row(NAME, "500 pilots: SQL statements", str(large[1]), f"= {small[1]} (as for 10)"),
        Row(NAME, "500 pilots: Slack blocks rendered", str(large[2]), "<= 50 (Slack's cap)"),
        Row(NAME, "500 pilots with the KPI chart drawn (s)", f"{charted[0]:.3f}"),
        Row(NAME, "500 pilots: chart PNG (KB)", f"{charted[3] / 1024:.0f}"),
    ]


def run() -> list[Row]:
    with scratch_database() as url:
        return asyncio.run(measure(url))
