"""`golive serve` as a real process on SQLite: it says what it runs, answers its health
endpoints, Slack slash commands and Teams messages, and refuses a bad configuration."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import aiohttp
import pytest
import teams_activities as act
from fake_connector import FakeConnector
from fake_slack import FakeSlack
from serve_support import (
    SECRET,
    SlashCommands,
    clean_env,
    eventually,
    free_port,
    golive_command,
    serving,
    slack_env,
)


def messages(lines: list[dict[str, object]]) -> list[str]:
    return [str(line.get("msg", "")) for line in lines]


async def test_serve_runs_slack_teams_and_its_endpoints(
    fake_slack: FakeSlack,
    connector: FakeConnector,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    env = slack_env(fake_slack.api_url, f"sqlite:///{tmp_path / 'golive.db'}", free_port())
    async with serving(env, tmp_path / "run", session) as golive:
        # The first lines say what is enabled and why, before any request.
        said = messages(golive.log_lines())
        assert f"golive listening on http://127.0.0.1:{golive.port}" in said
        assert "Slack: one workspace, HTTP /slack/events" in said
        assert "Teams: /api/messages (LOCAL MODE)" in said
        assert any("local mode WITHOUT authentication" in m for m in said), said
        [scheduler] = [m for m in said if m.startswith("scheduler:")]
        assert "SQLite" in scheduler

        status, body = await golive.get(session, "/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = await golive.get(session, "/readyz")
        assert status == 200 and json.loads(body)["ready"] is True

        slash = SlashCommands(fake_slack.url)
        body, help_path = slash.body("help")
        assert await slash.post(session, golive.url, body) == 200
        helped = (await fake_slack.wait_path(help_path, wait_seconds=20)).body
        assert helped["response_type"] == "ephemeral"
        assert "new" in json.dumps(helped["blocks"])

        body, new_path = slash.body('new churn "Churn model"')
        assert await slash.post(session, golive.url, body) == 200
        created = (await fake_slack.wait_path(new_path, wait_seconds=20)).body
        assert created["response_type"] == "in_channel", created
        assert "Churn model" in json.dumps(created)

        # Teams in local mode: a personal message, answered through the fake Bot Connector.
        activity = act.personal_message(connector.url, act.AMAL, "help")
        async with session.post(golive.url + "/api/messages", json=activity) as response:
            assert response.status in (200, 201)

        async def teams_reply() -> object | None:
            return connector.sent(act.AMAL.personal_chat) or None

        await eventually(teams_reply, seconds=20, what="the Teams reply")
        [reply] = connector.sent(act.AMAL.personal_chat)
        assert reply.card["type"] == "AdaptiveCard"

        status, scraped = await golive.get(session, "/metrics")
        assert status == 200
        assert "golive_leader 1.0" in scraped  # SQLite: this one process sweeps
        for platform, kind in (("slack", "help"), ("slack", "new_pilot"), ("teams", "help")):
            counted = f'kind="{kind}",outcome="ok",platform="{platform}"'
            assert f"golive_commands_total{{{counted}}} 1.0" in scraped, scraped
        assert 'golive_handler_seconds_count{platform="slack"} 2.0' in scraped
        assert 'golive_outbox_depth{status="pending"}' in scraped
        assert "golive_outbox_oldest_pending_seconds" in scraped

        assert await golive.terminate() == 0
        said = messages(golive.log_lines())
        assert said[-1] == "stopped"
        assert SECRET not in golive.output()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("GOLIVE_PORT", "abc"), ("GOLIVE_TIMEZONE", "Mars/Base"), ("GOLIVE_LOG_FORMAT", "xml")],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(
    variable: str, value: str, tmp_path: Path
) -> None:
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'golive.db'}",
        "GOLIVE_PORT": str(free_port()),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
    }
    env = clean_env(**{**settings, variable: value})
    done = subprocess.run(
        golive_command("serve"), cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert done.returncode != 0
    stderr = done.stderr.decode()
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert variable in lines[0]
    assert SECRET not in stderr + done.stdout.decode()
    assert not (tmp_path / "golive.db").exists()  # stopped before touching the database
