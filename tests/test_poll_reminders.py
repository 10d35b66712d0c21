"""Eligible voters who have not voted are reminded once, by DM, 24 hours before the
deadline (at half time for polls shorter than 48 hours)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from memory import MemoryStore
from pilot_support import load, text
from poll_support import buttons, message_of, ok, outbox, pilot_with_committee, the_poll

from bot.clock import MovableClock
from bot.parsing import command_line
from bot.polls.scheduled import close_due_polls, due_voter_reminders
from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


async def reminders(database: MemoryStore) -> dict[str, str]:
    """Queued reminder DMs: outbox key -> the user id they go to."""
    return {k: r.user_id or "" for k, r in (await outbox(database)).items() if ":remind:" in k}


async def test_non_voters_are_reminded_once_a_day_before_the_deadline(
    golive: Golive, database: MemoryStore, clock: MovableClock
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", 'poll churn "Ship it?"')  # 72 hours
    await ok(golive, "lee", "vote churn go")
    sweep = {"uow_factory": database.uow, "clock": clock}

    clock.move(timedelta(hours=47, minutes=59))
    assert await due_voter_reminders(**sweep) == 0
    clock.move(timedelta(minutes=1))
    assert await due_voter_reminders(**sweep) == 3
    assert await due_voter_reminders(**sweep) == 0

    poll = await the_poll(database)
    _, people = await load(database, "churn")
    assert await reminders(database) == {
        f"poll:{poll.id}:remind:{people[h].id}": h for h in ("amal", "sam", "ola")
    }
    dm = message_of((await outbox(database))[f"poll:{poll.id}:remind:{people['sam'].id}"])
    assert "You have not voted yet on Churn model: Ship it? The poll closes Fri 2026-12-04" in (
        text(dm)
    )
    assert [command_line(b.action or b.form.action) for b in buttons(dm)] == [
        "vote churn go",
        "vote churn conditional",
        "vote churn no-go",
        "vote churn abstain",
    ]

    await ok(golive, "sam", "vote churn go")
    clock.move(timedelta(hours=12))
    assert await due_voter_reminders(**sweep) == 0


async def test_short_polls_remind_at_half_time_and_closed_polls_never(
    golive: Golive, database: MemoryStore, clock: MovableClock
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn closes:+24h")
    sweep = {"uow_factory": database.uow, "clock": clock}

    clock.move(timedelta(hours=11))
    assert await due_voter_reminders(**sweep) == 0
    clock.move(timedelta(hours=1))
    assert await due_voter_reminders(**sweep) == 4

    clock.move(timedelta(hours=12))
    assert await close_due_polls(**sweep) == 1
    assert await due_voter_reminders(**sweep) == 0
    assert len(await reminders(database)) == 4
