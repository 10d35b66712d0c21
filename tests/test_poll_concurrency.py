"""200 votes at once on PostgreSQL, each in its own unit of work: one row per voter and
the right tally, even when one voter votes twice at the same moment."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from pilot_support import caller, snapshot
from poll_support import ok, the_poll

from bot import commands as c
from bot.clock import MovableClock
from bot.polls.models import PollStatus
from bot.service import Golive
from storage.db import Database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CHOICES = ["go", "no-go", "abstain", "conditional"]
VOTERS = 120  # on the committee, with the owner: 121 eligible, so the poll stays open
TWICE = 80  # voters who vote twice at the same moment: 120 + 80 = 200 votes


@pytest.fixture
async def pg_database(database_url: str) -> AsyncIterator[Database]:
    # The shared `database_url` fixture, on PostgreSQL only (the test's parametrisation);
    # not `from conftest import ...`: with tests/slack or tests/teams collected first,
    # `conftest` names their conftest, not this directory's.
    database = Database(database_url, secret_key=os.environ["GOLIVE_SECRET_KEY"])
    yield database
    await database.dispose()


def choice_of(index: int) -> c.CastVote:
    choice = CHOICES[index % len(CHOICES)]
    text = "reason" if choice in ("no-go", "conditional") else None
    return c.CastVote(key="churn", choice=choice, text=text)  # type: ignore[arg-type]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_hundred_concurrent_votes_leave_one_vote_per_voter(
    pg_database: Database, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=pg_database.uow, clock=clock)
    await ok(golive, "amal", 'new churn "Churn model"')
    handles = [f"v{i:03d}" for i in range(VOTERS)]
    for handle in handles:
        await ok(golive, "amal", f"committee churn add @{handle} engineering")
    await ok(golive, "amal", "poll churn")

    ballots = [(h, choice_of(i)) for i, h in enumerate(handles)]
    ballots += [(h, choice_of(i)) for i, h in enumerate(handles[:TWICE])]
    replies = await asyncio.gather(
        *(golive.execute(caller(handle), command) for handle, command in ballots)
    )

    refused = [r.text for r in replies if not r.text.startswith("You ")]
    assert refused == []
    poll = await the_poll(pg_database)
    assert poll.status == PollStatus.OPEN
    rows = (await snapshot(pg_database))["poll_votes"]
    assert len(rows) == VOTERS
    assert len({row[2] for row in rows}) == VOTERS  # person_id: one row each
    expected = Counter(CHOICES[i % len(CHOICES)] for i in range(VOTERS))
    assert Counter(row[3] for row in rows) == expected
    assert {k: v for k, v in poll.counts().items() if v} == dict(expected)
