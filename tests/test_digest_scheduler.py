"""Weekly digests from the scheduler's sweep: once per channel and week, at the channel's
local time, across DST changes, downtimes, restarts and concurrent sweeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from pilot_support import caller, run

from bot import commands as c
from bot.clock import MovableClock
from bot.digests.scheduled import post_due_digests
from bot.service import Golive
from storage.db import Database

FINANCE = c.ChannelRef(id="C-fin", name="finance")


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=UTC)


# Sweeps stop for two days in the week of 15 March, and for a whole week from Saturday
# 20 March to the Monday after Berlin's change to summer time (28 March).
DOWN = [(utc(3, 15, 0), utc(3, 17, 0)), (utc(3, 20, 0), utc(3, 29, 6))]


def sweep_times(start: datetime, end: datetime, watch: list[datetime]) -> list[datetime]:
    """Every hour, plus a minute before and at each send time, except while down."""
    times = set()
    moment = start
    while moment <= end:
        times.add(moment)
        moment += timedelta(hours=1)
    for slot in watch:
        times |= {slot - timedelta(minutes=1), slot}
    return sorted(t for t in times if not any(a <= t < b for a, b in DOWN))


async def stored(database: Database, channel: str) -> list[tuple[str, datetime]]:
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", "T-acme")
        assert workspace is not None and workspace.id is not None
        return [(d.week, d.created_at) for d in await uow.digests.list(workspace.id, channel)]


@pytest.fixture
def berlin(database: Database, clock: MovableClock) -> Golive:
    """A workspace whose default time zone is Europe/Berlin."""
    return Golive(uow_factory=database.uow, clock=clock, default_timezone="Europe/Berlin")


async def setup_channels(golive: Golive, clock: MovableClock) -> None:
    """#ai-steering keeps the default (Monday 09:00, Berlin); #finance is set to Friday
    16:30 in New York, whose DST starts two weeks before Berlin's."""
    clock.set(utc(3, 1, 10))  # Monday 1 March, after that day's 09:00 in Berlin
    await run(golive, "amal", c.NewPilot(key="churn", name="Churn model"))
    await run(golive, "omar", c.NewPilot(key="ledger", name="Ledger bot"), channel="C-fin")
    schedule = c.DigestSchedule(
        channel=FINANCE, weekday=4, at=time(16, 30), timezone="America/New_York"
    )
    refused = await run(golive, "amal", schedule)
    # The same, typed as text in #finance itself.
    reply = await golive.run(
        caller("omar", channel="C-fin"), "digest schedule fri 16:30 tz:America/New_York"
    )
    assert refused.text == "Only the owner of a pilot in #finance or an admin may do that."
    assert reply.text == (
        "Digests for #C-fin: every Friday at 16:30 (America/New_York). Next: Fri 2027-03-05 16:30."
    )


async def test_one_digest_per_channel_and_week_at_local_time_across_dst_and_downtime(
    berlin: Golive, clock: MovableClock, database: Database
) -> None:
    await setup_channels(berlin, clock)
    steering_slots = [utc(3, 8, 8), utc(3, 29, 7), utc(4, 5, 7)]
    finance_slots = [utc(3, 5, 21, 30), utc(3, 12, 21, 30), utc(3, 19, 20, 30), utc(4, 2, 20, 30)]
    posted_at: list[tuple[datetime, int]] = []

    for moment in sweep_times(utc(3, 1, 10), utc(4, 6, 12), steering_slots + finance_slots):
        clock.set(moment)
        count = await post_due_digests(uow_factory=database.uow, clock=clock)
        if count:
            posted_at.append((moment, count))

    assert await stored(database, "C-steer") == [
        # Not on 1 March: the channel's first pilot came after that Monday's 09:00.
        ("2027-W10", utc(3, 8, 8)),  # 09:00 CET
        ("2027-W11", utc(3, 17, 0)),  # missed on Monday while down; sent on coming back
        # W12 was down from before its Monday to after its Sunday: skipped, not caught up.
        ("2027-W13", utc(3, 29, 7)),  # 09:00 CEST, after the change of 28 March
        ("2027-W14", utc(4, 5, 7)),
    ]
    assert await stored(database, "C-fin") == [
        ("2027-W09", utc(3, 5, 21, 30)),  # 16:30 EST
        ("2027-W10", utc(3, 12, 21, 30)),
        ("2027-W11", utc(3, 19, 20, 30)),  # 16:30 EDT, since 14 March
        ("2027-W13", utc(4, 2, 20, 30)),
    ]
    # Each send happened at the first sweep at or after its time, one channel at a time.
    assert [moment for moment, _ in posted_at] == sorted(
        [utc(3, 8, 8), utc(3, 17, 0), utc(3, 29, 7), utc(4, 5, 7), *finance_slots]
    )
    assert {count for _, count in posted_at} == {1}
    async with database.uow() as uow:
        keys = sorted(m.key for m in await uow.outbox.list(limit=100))
    assert keys == sorted(
        [f"digest:C-steer:2027-W{w}" for w in ("10", "11", "13", "14")]
        + [f"digest:C-fin:2027-W{w}" for w in ("09", "10", "11", "13")]
    )


async def test_a_restart_or_a_second_replica_does_not_post_twice(
    berlin: Golive, clock: MovableClock, database: Database
) -> None:
    await setup_channels(berlin, clock)
    clock.set(utc(3, 8, 8))

    concurrent = await asyncio.gather(
        post_due_digests(uow_factory=database.uow, clock=clock),
        post_due_digests(uow_factory=database.uow, clock=clock),
    )
    clock.set(utc(3, 8, 8, 1))
    after_restart = await post_due_digests(uow_factory=database.uow, clock=clock)

    assert sum(concurrent) == 1 and after_restart == 0
    assert await stored(database, "C-steer") == [("2027-W10", utc(3, 8, 8))]


async def test_changing_the_schedule_does_not_resend_this_weeks_digest(
    berlin: Golive, clock: MovableClock, database: Database
) -> None:
    await setup_channels(berlin, clock)
    clock.set(utc(3, 8, 8))
    assert await post_due_digests(uow_factory=database.uow, clock=clock) == 1
    clock.set(utc(3, 10, 12))  # Wednesday: move #ai-steering to Tuesdays, already past
    reply = await run(
        berlin, "amal", c.DigestSchedule(weekday=1, at=time(10), timezone="Europe/Berlin")
    )

    swept = await post_due_digests(uow_factory=database.uow, clock=clock)
    clock.set(utc(3, 16, 9))  # the next Tuesday, 10:00 in Berlin
    next_week = await post_due_digests(uow_factory=database.uow, clock=clock)

    assert reply.text == (
        "Digests for #ai-steering: every Tuesday at 10:00 (Europe/Berlin). "
        "Next: Tue 2027-03-16 10:00."
    )
    assert (swept, next_week) == (0, 1)
    assert await stored(database, "C-steer") == [
        ("2027-W10", utc(3, 8, 8)),
        ("2027-W11", utc(3, 16, 9)),
    ]


async def test_a_channel_whose_pilots_are_all_stopped_gets_no_digest(
    berlin: Golive, clock: MovableClock, database: Database
) -> None:
    await setup_channels(berlin, clock)
    await run(berlin, "amal", c.SetStage(key="churn", stage="stopped"))
    clock.set(utc(3, 8, 8))

    assert await post_due_digests(uow_factory=database.uow, clock=clock) == 0
    assert await stored(database, "C-steer") == []


async def test_schedule_refuses_an_unknown_zone_and_changes_nothing(
    berlin: Golive, clock: MovableClock, database: Database
) -> None:
    await setup_channels(berlin, clock)

    reply = await run(
        berlin, "amal", c.DigestSchedule(weekday=2, at=time(9), timezone="Mars/Olympus")
    )

    assert reply.private and reply.text == "Unknown time zone: Mars/Olympus."
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", "T-acme")
        assert workspace is not None and workspace.id is not None
        assert await uow.digests.get_schedule(workspace.id, "C-steer") is None
