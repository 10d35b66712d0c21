"""Benchmark 4: 2,000 DMs queued in the outbox, delivered by ``golive serve``'s delivery job
to a fake Slack that rate-limits chat.postMessage with 429 + Retry-After."""

from __future__ import annotations

import asyncio
import collections
import os
import time
from datetime import UTC, datetime

import psycopg

from bot.delivery.models import OutboxStatus
from bot.messages import Message, Paragraph, spans
from storage.db import Database
from storage.delivery import outbox
from tests.bench import seed
from tests.bench.common import Row, scratch_database
from tests.bench.servers import PENDING, fake_slack, golive_serve, poll_sql

MESSAGES = 2000
LIMIT = int(os.environ.get("GOLIVE_BENCH_RATE_LIMIT", "50"))  # chat.postMessage per second
GIVE_UP = 300.0
NAME = "4 outbox delivery"
STATES = "SELECT status, count(*) FROM outbox GROUP BY status ORDER BY status"


async def seed_outbox(url: str) -> None:
    """2,000 DMs to U00000..U01999, due now."""
    database = Database(url)
    await database.upgrade()
    now = datetime.now(UTC)
    async with database.engine.begin() as conn:
        workspace = await seed.workspace(conn)
        values = []
        for n in range(MESSAGES):
            text = f"Reminder {n}: 5 items are overdue"
            message = Message(text=text, blocks=[Paragraph(spans=spans(text))])
            values.append(
                {
                    "workspace_id": workspace,
                    "key": f"bench-dm:{n}",
                    "platform": "slack",
                    "user_id": f"U{n:05d}",
                    "message_json": message.model_dump_json(),
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )
        await seed.rows(conn, outbox, values)
    await database.dispose()


def states(url: str) -> str:
    with psycopg.connect(url) as conn:
        return ", ".join(f"{status} {n}" for status, n in conn.execute(STATES))


def run() -> list[Row]:
    with scratch_database() as url, fake_slack(rate_limit=LIMIT) as fake:
        asyncio.run(seed_outbox(url))
        with golive_serve(url, fake, "golive-serve-delivery"):
            started = time.monotonic()
            left = poll_sql(url, PENDING, lambda row: row[0] == 0, GIVE_UP)[0]
            waited = time.monotonic() - started
        accepted = [c for c in fake.calls("chat.postMessage") if c["status"] == 200]
        counts = fake.stats()
        rows_by_state = states(url)
    times = sorted(c["at"] for c in accepted)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    per_channel = collections.Counter(c["body"].get("channel") for c in accepted)
    texts = {c["body"].get("text") for c in accepted}
    twice = sum(n - 1 for n in per_channel.values())
    return [
        Row(NAME, "rate limit of the fake (messages/s)", str(LIMIT) if LIMIT else "none"),
        Row(NAME, "outbox empty after (s from serve ready)", f"{waited:.1f}"),
        Row(NAME, "first to last accepted message (s)", f"{span:.1f}"),
        Row(NAME, "messages/s achieved", f"{rate:.1f}"),
        Row(NAME, "achieved / limit", f"{rate / LIMIT:.0%}" if LIMIT else "-", ">= 90%"),
        Row(NAME, "429s received", str(counts.get("chat.postMessage 429", 0))),
        Row(NAME, "distinct DMs received / sent twice", f"{len(texts)} / {twice}", "2000 / 0"),
        Row(NAME, "still pending when measured / outbox rows", f"{left} / {rows_by_state}"),
    ]
