"""Two `golive serve` replicas on one PostgreSQL database: one leads the sweep, the other
takes over when the leader is killed, and every reminder reaches its owner exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import psycopg
import pytest
from fake_slack import FakeSlack
from serve_support import (
    Served,
    SlashCommands,
    eventually,
    free_port,
    serving,
    slack_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIRST = ("UO1", "UO2", "UO3")  # owners reminded while both replicas run
SECOND = ("UO4", "UO5", "UO6")  # owners reminded after the leader was killed
FAILOVER_SECONDS = 90.0  # the survivor retries the lock every 15 s


def zone_at_work(now: datetime, index: int) -> ZoneInfo:
    """A zone where ``now`` is between 10:00 and 16:00 (well inside 9-17 working hours,
    far from midnight); ``index`` picks among them so owners live in different zones."""
    fits = []
    for offset in range(-12, 15):
        name = "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
        zone = ZoneInfo(name)  # Etc/GMT-3 is UTC+3: POSIX signs are reversed
        if 10 <= now.astimezone(zone).hour < 16:
            fits.append(zone)
    assert fits
    return fits[index % len(fits)]


def make_overdue(database_url: str, owners: tuple[str, ...]) -> dict[str, date]:
    """Give each owner a zone where it is working time now, a weekend that is not today,
    and move their items' due date to their yesterday: one overdue reminder each is due."""
    now = datetime.now(UTC)
    due: dict[str, date] = {}
    with psycopg.connect(database_url) as connection, connection.transaction():
        for index, owner in enumerate(owners):
            zone = zone_at_work(now, index)
            today = now.astimezone(zone).date()
            weekend = f"{DAYS[(today.weekday() + 2) % 7]}-{DAYS[(today.weekday() + 3) % 7]}"
            found = connection.execute(
                "UPDATE people SET timezone = %s, weekend = %s WHERE external_id = %s RETURNING id",
                (zone.key, weekend, owner),
            ).fetchall()
            assert len(found) == 1, owner
            due[owner] = today - timedelta(days=1)
            moved = connection.execute(
                "UPDATE checklist_items SET due = %s WHERE owner_id = %s",
                (due[owner], found[0][0]),
            ).rowcount
            assert moved == 1, owner
    return due


def outbox_rows(database_url: str) -> list[tuple[str, str | None, str]]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT key, user_id, status FROM outbox").fetchall()
    return [(str(key), user, str(status)) for key, user, status in rows]


async def leader_flags(replicas: list[Served], session: aiohttp.ClientSession) -> dict[str, float]:
    return {r.name: (await r.metric(session, "golive_leader") or 0.0) for r in replicas}


async def test_replicas_fail_over_and_send_each_reminder_once(
    fake_slack: FakeSlack,
    session: aiohttp.ClientSession,
    pg_database: str,
    tmp_path: Path,
) -> None:
    for owner in FIRST + SECOND:
        fake_slack.add_user(owner, f"Owner {owner}", tz="UTC")
    slash = SlashCommands(fake_slack.url)
    tuning = {"GOLIVE_SWEEP_SECONDS": "1", "GOLIVE_DELIVERY_SECONDS": "0.5"}

    async def command(replica: Served, text: str) -> dict[str, Any]:
        body, path = slash.body(text)
        assert await slash.post(session, replica.url, body) == 200
        answer = (await fake_slack.wait_path(path, wait_seconds=30)).body
        assert answer.get("response_type") == "in_channel", answer
        return answer

    def env() -> dict[str, str]:
        return slack_env(fake_slack.api_url, pg_database, free_port(), **tuning)

    far = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()  # no heads-up yet
    async with (
        serving(env(), tmp_path / "a", session, name="a") as a,
        serving(env(), tmp_path / "b", session, name="b") as b,
    ):
        replicas = [a, b]
        for i, owner in enumerate(FIRST):
            replica = replicas[i % 2]
            await command(replica, f'new p{i} "Pilot {i}"')
            await command(
                replicas[(i + 1) % 2], f'checklist p{i} add "Item {i}" owner:<@{owner}> due:{far}'
            )

        async def one_leader() -> str | None:
            flags = await leader_flags(replicas, session)
            leaders = [name for name, flag in flags.items() if flag == 1.0]
            return leaders[0] if len(leaders) == 1 and sum(flags.values()) == 1.0 else None

        leader_name = await eventually(one_leader, seconds=30, what="one leader", every=0.5)
        leader = a if leader_name == "a" else b
        survivor = b if leader is a else a

        make_overdue(pg_database, FIRST)

        def dms(owner: str) -> int:
            return sum(
                1 for c in fake_slack.called("chat.postMessage") if c.body["channel"] == f"D{owner}"
            )

        async def first_reminded() -> bool | None:
            if not all(dms(owner) for owner in FIRST):
                return None
            pending = [row for row in outbox_rows(pg_database) if row[2] == "pending"]
            return True if not pending else None

        await eventually(first_reminded, seconds=30, what="the first reminders", every=0.5)

        # Kill the leader while nothing is in flight, then keep working through the other.
        leader.process.kill()
        await leader.wait_exit(10)
        for i, owner in enumerate(SECOND, start=len(FIRST)):
            await command(survivor, f'new p{i} "Pilot {i}"')
            await command(survivor, f'checklist p{i} add "Item {i}" owner:<@{owner}> due:{far}')
        make_overdue(pg_database, SECOND)

        async def survivor_leads() -> bool | None:
            return True if await survivor.metric(session, "golive_leader") == 1.0 else None

        await eventually(survivor_leads, seconds=FAILOVER_SECONDS, what="the survivor to lead")

        async def second_reminded() -> bool | None:
            return True if all(dms(owner) for owner in SECOND) else None

        await eventually(second_reminded, seconds=30, what="the later reminders", every=0.5)

        # A few more sweeps: none may send anything twice.
        swept = await survivor.metric(session, "golive_sweep_seconds_count") or 0.0

        async def three_more_sweeps() -> bool | None:
            now = await survivor.metric(session, "golive_sweep_seconds_count") or 0.0
            return True if now >= swept + 3 else None

        await eventually(three_more_sweeps, seconds=30, what="three more sweeps", every=0.5)
        # What the survivor exposes: the sends it made, and the outbox as it stands.
        sent = await survivor.metric(session, 'golive_sends_total{platform="slack",result="sent"}')
        assert sent is not None and sent >= len(SECOND)
        statuses = Counter(status for *_, status in outbox_rows(pg_database))
        for status in ("sent", "pending"):
            depth = await survivor.metric(session, f'golive_outbox_depth{{status="{status}"}}')
            assert depth == statuses[status], (status, depth, statuses)
        assert await survivor.terminate() == 0

    rows = outbox_rows(pg_database)
    reminders = Counter(user for key, user, _ in rows if key.startswith("remind:"))
    assert reminders == Counter(FIRST + SECOND), rows
    assert {status for *_, status in rows} == {"sent"}, rows
    # Every direct message golive sent went out exactly once: one Slack post per sent row.
    posted = Counter(
        c.body["channel"]
        for c in fake_slack.called("chat.postMessage")
        if str(c.body["channel"]).startswith("D")
    )
    expected = Counter(f"D{user}" for _, user, _ in rows if user is not None)
    assert posted == expected
    for owner in FIRST + SECOND:
        assert posted[f"D{owner}"] == 1, owner
