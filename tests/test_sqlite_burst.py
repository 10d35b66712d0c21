"""The embedded default under a burst: on a SQLite file, commands take turns (storage.turns)
instead of failing with "database is locked", and a voter who double-clicks gets two
ordinary answers and one vote."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter

import pytest
from pilot_support import caller, snapshot
from poll_support import ok, the_poll
from sqlalchemy import text

import storage.db
from bot import commands as c
from bot.clock import MovableClock
from bot.errors import StoreUnavailable
from bot.polls.models import PollStatus
from bot.service import Golive
from storage.db import Database
from storage.turns import Turns

VOTERS = 100
CHOICES = ["go", "no-go", "abstain", "conditional"]


def ballot(index: int) -> str:
    choice = CHOICES[index % len(CHOICES)]
    return (
        f'vote churn {choice} "reason {index}"'
        if choice in ("no-go", "conditional")
        else (f"vote churn {choice}")
    )


async def poll_with_committee(golive: Golive, handles: list[str]) -> None:
    await ok(golive, "amal", 'new churn "Churn model"')
    for handle in handles:
        await ok(golive, "amal", f"committee churn add @{handle} engineering")
    await ok(golive, "amal", "poll churn")


@pytest.mark.slow
async def test_a_hundred_voters_at_once_are_all_recorded(
    sqlite_url: str, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A busy machine, where a writer can wait for SQLite's lock longer than the busy
    # timeout: in turns, no command waits on SQLite's lock at all.
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 1)
    sqlite_database = Database(sqlite_url)
    try:
        await hundred_voters(sqlite_database, clock)
    finally:
        await sqlite_database.dispose()


async def hundred_voters(sqlite_database: Database, clock: MovableClock) -> None:
    golive = Golive(uow_factory=sqlite_database.uow, clock=clock)
    handles = [f"v{i:03d}" for i in range(VOTERS)]
    await poll_with_committee(golive, handles)

    replies = await asyncio.gather(
        *(golive.run(caller(handle), ballot(i)) for i, handle in enumerate(handles))
    )

    assert [r.text for r in replies if r.refused] == []
    rows = (await snapshot(sqlite_database))["poll_votes"]
    assert len(rows) == VOTERS
    assert len({row[2] for row in rows}) == VOTERS  # person_id: one row each
    poll = await the_poll(sqlite_database)
    assert poll.status == PollStatus.OPEN  # the owner has not voted: 101 eligible
    expected = Counter(CHOICES[i % len(CHOICES)] for i in range(VOTERS))
    assert {k: v for k, v in poll.counts().items() if v} == dict(expected)


async def test_a_double_click_gets_two_ordinary_replies_and_one_vote(
    sqlite_database: Database, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=sqlite_database.uow, clock=clock)
    await poll_with_committee(golive, ["sam", "lee"])
    click = c.CastVote(key="churn", choice="go")

    first, second = await asyncio.gather(
        golive.execute(caller("sam"), click), golive.execute(caller("sam"), click)
    )

    assert not first.refused and not second.refused, (first.text, second.text)
    assert "already recorded" not in first.text + second.text
    rows = (await snapshot(sqlite_database))["poll_votes"]
    assert len(rows) == 1


async def test_a_writer_outside_the_queue_cannot_break_a_command_halfway(
    sqlite_database: Database, sqlite_url: str, clock: MovableClock
) -> None:
    """A command has read; another connection (another process, a store writing through the
    engine) wants to write before the command does. Left to the driver, the command's reads
    would run outside any transaction (it begins one at the first write), so the other
    write would land between what the command read and what it writes. The command began
    with BEGIN IMMEDIATE: the other writer is told to wait (here, with no busy timeout, at
    once), and what the command read still holds when it writes."""
    golive = Golive(uow_factory=sqlite_database.uow, clock=clock)
    await ok(golive, "amal", 'new churn "Churn model"')
    path = sqlite_url.removeprefix("sqlite:///")

    async with sqlite_database.uow() as uow:
        count = await uow.session.execute(text("SELECT count(*) FROM pilots"))
        assert count.scalar() == 1
        outcome = await asyncio.to_thread(write_elsewhere, path)
        await uow.session.execute(text("UPDATE pilots SET name = 'Renamed'"))
        await uow.commit()

    assert outcome == "database is locked"
    names = {row[3] for row in (await snapshot(sqlite_database))["pilots"]}
    assert names == {"Renamed"}


def write_elsewhere(path: str) -> str:
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.execute("UPDATE workspaces SET timezone = 'Asia/Dubai'")
        connection.execute("COMMIT")
        return "written"
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        connection.close()


async def test_a_second_unit_of_work_on_the_same_task_is_refused_not_deadlocked(
    sqlite_database: Database,
) -> None:
    async with sqlite_database.uow():
        with pytest.raises(RuntimeError, match="already open on this task"):
            async with sqlite_database.uow():
                pass
    async with sqlite_database.uow():  # the turn was given back
        pass


async def test_two_databases_on_one_file_share_the_queue(sqlite_url: str) -> None:
    first, second = Database(sqlite_url), Database(sqlite_url)
    try:
        async with first.uow():
            with pytest.raises(RuntimeError, match="already open on this task"):
                async with second.uow():
                    pass
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_queue_that_does_not_move_answers_unavailable() -> None:
    turns = Turns(timeout=0.05)
    holder_has_it = asyncio.Event()
    done = asyncio.Event()

    async def holder() -> None:
        await turns.take()
        holder_has_it.set()
        await done.wait()
        turns.give_back()

    task = asyncio.create_task(holder())
    await holder_has_it.wait()
    with pytest.raises(StoreUnavailable, match=r"waited 0\.05 s"):
        await turns.take()
    done.set()
    await task
    await turns.take()  # the lock was not lost to the timed-out waiter
    turns.give_back()
