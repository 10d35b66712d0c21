"""A replica killed with SIGKILL mid-sweep and mid-delivery, then restarted: every due
reminder is sent, and at most the messages in flight at the kill are sent twice.

The window is kept to those messages because delivery claims rows (with a lease) in one
short transaction, sends each with no transaction open, and records it as sent in the next:
a kill between the platform accepting a send and that commit is the only way to send twice,
and a worker has at most ``CONCURRENCY`` sends in flight at a time."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from reminders_support import Item, Who, build

from bot.delivery.worker import CONCURRENCY
from storage.db import Database

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("restart_worker.py")
NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)  # a Wednesday, inside working hours
PEOPLE = 120


def start(url: str, record: Path, instant: datetime) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(WORKER.parent)])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, str(record), instant.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def kill_when(process: subprocess.Popen[str], ready) -> None:
    """SIGKILL ``process`` as soon as ``ready()`` holds (fail if it finishes first)."""
    deadline = time.monotonic() + 120
    while not ready():
        assert process.poll() is None, "the worker finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def outbox_rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM outbox").fetchone()[0]


def lines(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


@pytest.mark.slow
def test_a_killed_replica_resumes_without_losing_or_repeating_reminders(
    sqlite_url: str, tmp_path: Path
) -> None:
    people = [Who(f"p{n:03d}") for n in range(PEOPLE)]
    items = [Item(w.handle, date(2026, 11, 25)) for w in people]

    async def setup() -> None:
        database = Database(sqlite_url)
        await build(database, people=people, items=items)
        await database.dispose()

    asyncio.run(setup())
    db_file = Path(sqlite_url.removeprefix("sqlite:///"))
    record = tmp_path / "sent.txt"

    # 1. Killed mid-sweep: some reminders are queued, none sent.
    first = start(sqlite_url, record, NOW)
    kill_when(first, lambda: outbox_rows(db_file) >= 20)
    queued = outbox_rows(db_file)
    assert 20 <= queued < PEOPLE and lines(record) == []

    # 2. Restarted: the sweep queues the rest; killed again mid-delivery.
    second = start(sqlite_url, record, NOW)
    kill_when(second, lambda: len(lines(record)) >= 30)

    # 3. Restarted after the in-flight rows' lease: everything else goes out.
    third = start(sqlite_url, record, NOW + timedelta(minutes=3))
    assert third.wait(timeout=300) == 0

    sent = Counter(line.split("\t")[0] for line in lines(record))
    # Each owner's reminder and the boss's escalation (channel posts such as the weekly
    # digest ride along; they too are held to "at most those in flight twice").
    assert {who for who in sent if not who.startswith("#")} == {w.handle for w in people} | {"boss"}
    repeated = [user for user, count in sent.items() if count > 1]
    assert len(repeated) <= CONCURRENCY and all(sent[user] == 2 for user in repeated)
    with sqlite3.connect(db_file) as connection:
        statuses = dict(connection.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
    assert set(statuses) == {"sent"} and statuses["sent"] == sum(sent.values()) - len(repeated)
