"""Benchmarks 1 and 6: signed ``/golive status <key>`` through ``golive serve`` on 1,000
pilots, against a bare Bolt app that only acks; the server's memory idle and after."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from storage.db import Database
from tests.bench import seed
from tests.bench.common import (
    LOGS,
    Process,
    Row,
    errors_text,
    py_spy,
    python,
    rss_mb,
    scratch_database,
)
from tests.bench.servers import PENDING, fake_slack, golive_serve, load, poll_sql

PILOTS = 1000
CONNECTIONS = 16
DURATION = 15.0
WARMUP = 3.0


async def seed_pilots(url: str) -> None:
    """1,000 used pilots: 100 owners, 300 other committee members."""
    database = Database(url)
    await database.upgrade()
    now = datetime.now(UTC)
    async with database.engine.begin() as conn:
        workspace = await seed.workspace(conn)
        owners = await seed.persons(conn, workspace, 100)
        members = await seed.persons(conn, workspace, 300, first=100)
        pilot_ids = await seed.pilot_rows(conn, workspace, owners, PILOTS, channel="C1", now=now)
        await seed.full_pilots(conn, pilot_ids, owners, members, now=now)
        # The sweep at start-up would build C1's digest of 1,000 pilots, with its chart,
        # while the load runs: that is a weekly job, not what this benchmark measures.
        await seed.digest_posted(conn, workspace, "C1", now=now)
    await database.dispose()


def run() -> list[Row]:
    load_args = [
        "--connections",
        str(CONNECTIONS),
        "--duration",
        str(DURATION),
        "--warmup",
        str(WARMUP),
        "--key-count",
        str(PILOTS),
    ]
    with scratch_database() as url, fake_slack() as fake:
        started = time.perf_counter()
        asyncio.run(seed_pilots(url))
        seeded = time.perf_counter() - started
        bare_app = python("tests.bench.bare_app", "--api-url", fake.api_url)
        with golive_serve(url, fake) as golive, Process("bare-bolt", bare_app, pipe=True) as bare:
            bare_url = bare.first_line()
            # Start-up work settles first: the first sweep queues the overdue reminders,
            # then they are delivered.
            time.sleep(3)
            poll_sql(url, PENDING, lambda row: row[0] == 0, 60)
            time.sleep(2)
            idle = rss_mb(golive.process.pid)
            base = load("commands", f"{bare_url}/slack/events", *load_args)
            spy = py_spy(golive.process.pid, "serve-status", WARMUP + DURATION)
            ours = load("commands", golive.events, *load_args, "--answers")
            if spy is not None:
                spy.popen.wait(30)
                spy.stop()
            loaded = rss_mb(golive.process.pid)
    (LOGS / "status-reply-sample.json").write_text(ours["sample_reply"])
    ratio = ours["per_second"] / base["per_second"] if base["per_second"] else 0.0
    name = "1 slash command"
    return [
        Row(name, "seed 1,000 pilots (s)", f"{seeded:.1f}"),
        Row(name, "bare Bolt ack-only: requests/s", f"{base['per_second']:.0f}"),
        Row(name, "bare Bolt ack: p50/p99 ms", p50_p99(base, "ack")),
        Row(name, "golive status: commands answered/s", f"{ours['per_second']:.0f}"),
        Row(name, "golive / bare throughput", f"{ratio:.2f}", ">= 0.50"),
        Row(name, "golive ack (HTTP 200): p50/p99 ms", p50_p99(ours, "ack")),
        Row(name, "golive reply at response_url: p50/p99 ms", p50_p99(ours, "reply"), "p99 < 50"),
        Row(
            name,
            "errors (bare / golive)",
            f"{errors_text(base['errors'])} / {errors_text(ours['errors'])}",
        ),
        Row(name, "golive replies saying the command failed", str(ours["failed_replies"])),
        Row("6 memory", "golive serve RSS idle (MB)", f"{idle:.0f}", "< 150"),
        Row("6 memory", "golive serve RSS after benchmark 1 (MB)", f"{loaded:.0f}", "< 250"),
    ]


def p50_p99(figures: dict[str, Any], kind: str) -> str:
    return f"{figures[kind + '_p50_ms']:.1f} / {figures[kind + '_p99_ms']:.1f}"
