"""What the databases themselves keep and refuse for polls, on SQLite and PostgreSQL (the
conversations run on the in-memory store)."""

from __future__ import annotations

import pytest
from pilot_support import snapshot
from poll_support import ok, pilot_with_committee, the_poll

from bot.errors import Conflict
from bot.polls.models import Poll
from bot.service import Golive
from storage.db import Database


async def test_the_database_itself_refuses_a_second_open_poll(
    golive: Golive, database: Database
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    first = await the_poll(database)
    async with database.uow() as uow:
        uow.add(
            Poll(
                workspace_id=first.workspace_id,
                pilot_id=first.pilot_id,
                question="again?",
                opened_by_id=first.opened_by_id,
                opened_at=first.opened_at,
                closes_at=first.closes_at,
                open_pilot_id=first.pilot_id,
            )
        )
        with pytest.raises(Conflict, match=r"This pilot already has an open poll\."):
            await uow.flush()


async def test_a_closed_secret_poll_leaves_no_choice_in_the_database(
    golive: Golive, database: Database
) -> None:
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn secret")
    for handle, line in [("amal", "go"), ("sam", "abstain"), ("lee", 'no-go "rollback untested"')]:
        await ok(golive, handle, f"vote churn {line}")
    await ok(golive, "ola", 'vote churn conditional "pen test first"')  # closes the poll

    tables = await snapshot(database)
    assert not (await the_poll(database)).is_open
    assert {(row[3], row[4]) for row in tables["poll_votes"]} == {(None, None)}
    assert all("choice" not in row[6] for row in tables["audit_entries"] if row[3] == "poll.vote")
