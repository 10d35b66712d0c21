"""Two `golive serve` replicas on one PostgreSQL database share Slack's replay guard and
event dedupe: a signed slash command replayed to the other replica, or to a replica that
restarted, is refused (401) and creates nothing; an event Slack retries to the other
replica is handled once."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import psycopg
import pytest
from fake_slack import FakeSlack
from psycopg import sql
from serve_support import (
    TEAM,
    Served,
    SlashCommands,
    free_port,
    serving,
    sign,
    slack_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FORM = "application/x-www-form-urlencoded"


def count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as connection:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        row = connection.execute(query).fetchone()
    assert row is not None
    return int(row[0])


async def post(
    session: aiohttp.ClientSession,
    replica: Served,
    body: str,
    headers: dict[str, str],
    content_type: str = FORM,
) -> int:
    """Send exactly these bytes with exactly these headers (a replay sends them again)."""
    async with session.post(
        replica.url + "/slack/events",
        data=body.encode(),
        headers={"Content-Type": content_type, **headers},
        timeout=aiohttp.ClientTimeout(total=30),
    ) as response:
        await response.read()
        return response.status


def event_body(event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
    )


def said(replica: Served) -> list[str]:
    return [str(line.get("msg", "")) for line in replica.log_lines()]


async def test_a_replay_to_another_replica_or_after_a_restart_runs_nothing(
    fake_slack: FakeSlack,
    session: aiohttp.ClientSession,
    pg_database: str,
    tmp_path: Path,
) -> None:
    slash = SlashCommands(fake_slack.url)

    def env() -> dict[str, str]:
        return slack_env(fake_slack.api_url, pg_database, free_port())

    first_body, first_path = slash.body('new churn "Churn model"')
    first = sign(first_body)
    second_body, second_path = slash.body('new fraud "Fraud model"')
    second = sign(second_body)
    async with serving(env(), tmp_path / "a", session, name="a") as a:
        async with serving(env(), tmp_path / "b", session, name="b") as b:
            assert await post(session, a, first_body, first) == 200
            created = (await fake_slack.wait_path(first_path, wait_seconds=30)).body
            assert created["response_type"] == "in_channel", created
            # The same signed request, captured and sent to the other replica.
            assert await post(session, b, first_body, first) == 401
            assert await post(session, a, first_body, first) == 401

            assert await post(session, b, second_body, second) == 200
            await fake_slack.wait_path(second_path, wait_seconds=30)
            assert await b.terminate() == 0

        # B again, restarted: its memory is new, the database remembers.
        async with serving(env(), tmp_path / "b2", session, name="b2") as b2:
            assert await post(session, b2, second_body, second) == 401
            assert await post(session, b2, first_body, first) == 401
            assert await post(session, a, second_body, second) == 401
            # A fresh command still runs on the restarted replica.
            third_body, third_path = slash.body("status churn")
            assert await post(session, b2, third_body, sign(third_body)) == 200
            await fake_slack.wait_path(third_path, wait_seconds=30)

    assert count(pg_database, "pilots") == 2
    answered = [c.path for c in fake_slack.called("respond")]
    assert answered.count(first_path) == 1
    assert answered.count(second_path) == 1


async def test_an_event_retried_to_the_other_replica_is_handled_once(
    fake_slack: FakeSlack,
    session: aiohttp.ClientSession,
    pg_database: str,
    tmp_path: Path,
) -> None:
    def env() -> dict[str, str]:
        return slack_env(fake_slack.api_url, pg_database, free_port())

    async with (
        serving(env(), tmp_path / "a", session, name="a") as a,
        serving(env(), tmp_path / "b", session, name="b") as b,
    ):
        body = event_body("Ev1")
        assert await post(session, a, body, sign(body), "application/json") == 200
        await fake_slack.wait_for("views.publish", 1, wait_seconds=30)
        # Slack thought the first delivery was lost: it retries, signed anew, to B.
        retry = {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert await post(session, b, body, retry, "application/json") == 200
        assert "duplicate event ignored" in said(b)  # answered before any listener ran
        # Another event through B afterwards: its Home is published, the retry's never.
        other = event_body("Ev2")
        assert await post(session, b, other, sign(other), "application/json") == 200
        await fake_slack.wait_for("views.publish", 2, wait_seconds=30)
        assert await b.terminate() == 0  # drains whatever B still had under way
        assert len(fake_slack.called("views.publish")) == 2
