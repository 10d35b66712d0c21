"""Benchmark 2: 1,000 voters click Go on one poll card within 10 seconds, through
``golive serve``; votes recorded, latency, and the card's chat.update calls."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from bot.pilots.models import Role, Stage
from storage.db import Database
from storage.pilots import committee_members, stage_changes
from tests.bench import seed
from tests.bench.common import LOGS, Row, errors_text, not_available, scratch_database
from tests.bench.servers import (
    PENDING,
    Fake,
    Golive,
    fake_slack,
    golive_serve,
    load,
    poll_sql,
    slash_command,
)

VOTERS = 1000
SPREAD = 10.0
IN_FLIGHT = 64
NAME = "2 vote burst"
VOTES = "SELECT count(*), count(DISTINCT person_id) FROM poll_votes"


async def seed_committee(url: str) -> None:
    """Pilot ``votes`` owned by U00000 with 1,000 voting engineers U00001..U01000."""
    database = Database(url)
    await database.upgrade()
    now = datetime.now(UTC)
    async with database.engine.begin() as conn:
        workspace = await seed.workspace(conn)
        people = await seed.persons(conn, workspace, VOTERS + 1)
        owner, voters = people[0], people[1:]
        (pilot,) = await seed.pilot_rows(
            conn, workspace, [owner], 1, channel="C1", key_format="votes", now=now
        )
        members = [{"pilot_id": pilot, "person_id": owner, "role": Role.BUSINESS}] + [
            {"pilot_id": pilot, "person_id": p, "role": Role.ENGINEERING} for p in voters
        ]
        await seed.rows(conn, committee_members, members)
        await seed.rows(
            conn,
            stage_changes,
            [{"pilot_id": pilot, "from_stage": Stage.POC, "to_stage": Stage.PILOT, "at": now}],
        )
    await database.dispose()


def poll_card(fake: Fake, wait_seconds: float = 30) -> dict[str, Any] | None:
    """The poll card golive posted to C1 (the chat.postMessage call with a Go button)."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        for call in fake.calls("chat.postMessage"):
            if call["body"].get("channel") == "C1" and go_button(call["body"]) is not None:
                return call
        time.sleep(0.5)
    return None


def go_button(body: dict[str, Any]) -> dict[str, Any] | None:
    blocks = body.get("blocks") or []
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("text", {}).get("text") == "Go":
                return {
                    "block_id": block.get("block_id", "b"),
                    "action_id": element["action_id"],
                    "value": element["value"],
                    "text": element["text"],
                }
    return None


def run() -> list[Row]:
    with scratch_database() as url, fake_slack() as fake:
        asyncio.run(seed_committee(url))
        with golive_serve(url, fake, "golive-serve-votes") as golive:
            opened = fake.url + "/respond/open"
            slash_command(
                golive.events, "poll votes closes:+48h", user="U00000", response_url=opened
            )
            card = poll_card(fake)
            if card is None:
                return not_available(NAME, "no poll card reached the fake Slack within 30 s")
            return burst(url, fake, golive, card)


def burst(url: str, fake: Fake, golive: Golive, card: dict[str, Any]) -> list[Row]:
    """The 1,000 clicks, then what was recorded and how often the card was updated."""
    spec = LOGS / "votes-spec.json"
    users = [f"U{n:05d}" for n in range(1, VOTERS + 1)]
    button = go_button(card["body"])
    spec.write_text(json.dumps({"button": button, "users": users, "channel": "C1"}))
    burst_start = time.monotonic()
    figures = load(
        "clicks",
        golive.events,
        "--spec",
        str(spec),
        "--spread",
        str(SPREAD),
        "--connections",
        str(IN_FLIGHT),
        "--answers",
    )
    votes, distinct = poll_sql(url, VOTES, lambda row: row[0] >= VOTERS, 60)
    recorded = time.monotonic()
    poll_sql(url, PENDING, lambda row: row[0] == 0, 60)
    time.sleep(2)  # a last coalesced update may still be on its way
    ts = card["answer"]["ts"]
    updates = [c for c in fake.calls("chat.update") if c["body"].get("ts") == ts]
    failed = golive.log_count("command failed")
    pool = golive.log_count("QueuePool limit")
    times = sorted(c["at"] for c in updates if c["at"] is not None)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    processing = recorded - burst_start
    recorded_after = f"{processing:.1f}" if votes >= VOTERS else f"gave up at {processing:.0f}"
    return [
        Row(NAME, "clicks sent (first click to last ack, s)", f"{figures['clicks_seconds']:.1f}"),
        Row(NAME, "votes recorded / distinct voters", f"{votes} / {distinct}", "1000 / 1000"),
        Row(NAME, "all votes recorded after (s)", recorded_after),
        Row(NAME, "click ack: p50 / p99 (ms)", p50_p99(figures, "ack")),
        Row(
            NAME,
            "voter's private reply: p50 / p99 (ms)",
            f"{p50_p99(figures, 'reply')} ({figures['completed']} replies within 30 s)",
        ),
        Row(NAME, "votes recorded per second", f"{votes / processing:.1f}"),
        Row(
            NAME,
            "errors / failed replies",
            f"{errors_text(figures['errors'])} / {figures['failed_replies']}",
        ),
        Row(NAME, "golive log: commands failed / pool timeouts", f"{failed} / {pool}"),
        Row(NAME, "chat.update calls for the card", str(len(updates))),
        Row(
            NAME,
            "updates per second (first to last update)",
            f"{len(updates) / span:.2f} over {span:.0f} s" if span else "-",
            "about 1",
        ),
    ]


def p50_p99(figures: dict[str, Any], kind: str) -> str:
    return f"{figures[kind + '_p50_ms']:.0f} / {figures[kind + '_p99_ms']:.0f}"
