"""golive's HTTP endpoint for Slack: signatures, replays, the slash command, events."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from fake_slack import FakeSlack
from slack_harness import Slack, sign, start_golive

from bot.clock import MovableClock


async def test_signed_slash_command_is_answered_through_the_response_url(slack: Slack) -> None:
    answer = await slack.command("help")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"]
    assert answer["blocks"]
    # The caller's name, zone and admin flag came from users.info.
    assert [c.body["user"] for c in slack.fake.called("users.info")] == ["U1"]


async def test_users_info_is_cached(slack: Slack) -> None:
    await slack.command("help")
    await slack.command("help")
    assert len(slack.fake.called("users.info")) == 1


async def test_unknown_command_gets_a_private_error(slack: Slack) -> None:
    answer = await slack.command("frobnicate now")
    assert answer["response_type"] == "ephemeral"
    assert "frobnicate" in answer["text"]


async def pilots_table(slack: Slack) -> int:
    """How many pilots the database holds in Slack's workspace (refusals change nothing)."""
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "T1")
        if workspace is None or workspace.id is None:
            return 0
        return len(await uow.pilots.list(workspace.id))


async def test_bad_signature_stale_timestamp_and_replay_get_401(slack: Slack) -> None:
    body, path = slack.command_body('new churn "Churn model"', "U1")
    form = "application/x-www-form-urlencoded"

    forged = sign(body, secret="not-the-secret")
    assert (await slack.post(body, form, forged)).status == 401

    stale = sign(body, timestamp=int(time.time()) - 301)
    assert (await slack.post(body, form, stale)).status == 401

    missing = {"X-Slack-Request-Timestamp": str(int(time.time()))}
    assert (await slack.post(body, form, missing)).status == 401

    tampered_headers = sign(body)
    assert (await slack.post(body + "&x=1", form, tampered_headers)).status == 401

    assert slack.fake.called("respond") == []
    assert await pilots_table(slack) == 0

    good = sign(body)
    assert (await slack.post(body, form, good)).status == 200
    await slack.answer(path)
    created = await pilots_table(slack)

    replayed = await slack.post(body, form, good)
    assert replayed.status == 401
    assert len(slack.fake.called("respond")) == 1
    assert await pilots_table(slack) == created


async def test_retried_event_is_handled_once(slack: Slack, fake: FakeSlack) -> None:
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    retry_body = slack.event_body(event, "Ev1")
    retry_headers = {
        **sign(retry_body),
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    # The retry arrives while the first delivery is still being handled.
    first, retry = await asyncio.gather(
        slack.event(event, "Ev1"), slack.post(retry_body, "application/json", retry_headers)
    )
    assert first.status == 200
    assert retry.status == 200
    await fake.wait_for("views.publish")
    other = await slack.event(event, "Ev2")
    assert other.status == 200
    await fake.wait_for("views.publish", 2)
    assert len(fake.called("views.publish")) == 2


async def test_home_tab_for_someone_new(slack: Slack, fake: FakeSlack) -> None:
    await slack.event({"type": "app_home_opened", "user": "U9", "tab": "home"}, "Ev9")
    [call] = await fake.wait_for("views.publish")
    assert call.body["user_id"] == "U9"
    view = call.body["view"]
    assert view["type"] == "home"
    assert "/golive help" in view["blocks"][1]["text"]["text"]


async def test_admin_flag_comes_from_users_info(slack: Slack) -> None:
    await slack.command('new churn "Churn model"')
    refused = await slack.command("stage churn pilot", user="U3")
    assert refused["response_type"] == "ephemeral"
    # Dana is a workspace admin (users.info is_admin): she may do what the owner may.
    moved = await slack.command("stage churn pilot", user="UADMIN")
    assert moved["response_type"] == "in_channel"
    assert "pilot" in moved["text"]


async def test_command_still_runs_when_users_info_fails(slack: Slack) -> None:
    slack.fake.fail("users.info", 500, {"ok": False, "error": "internal_error"})
    answer = await slack.command('new churn "Churn model"')
    assert answer["response_type"] == "in_channel"
    assert "u1" in answer["text"].lower()  # the name Slack put in the payload


async def test_without_slack_settings_there_is_no_slack_route(
    fake: FakeSlack, sqlite_url: str, clock: MovableClock
) -> None:
    runtime, runner, url = await start_golive(
        fake, sqlite_url, clock, SLACK_BOT_TOKEN=None, SLACK_SIGNING_SECRET=None
    )
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{url}/slack/events", data="x") as response,
        ):
            assert response.status == 404
        assert "slack" not in runtime.gateways
        assert any(note.startswith("Slack: off") for note in runtime.notes)
    finally:
        await runner.cleanup()
        await runtime.database.dispose()


async def test_a_command_that_mentions_the_word_payload_runs(slack: Slack) -> None:
    # Bolt reads any form with "payload" anywhere in it as an interaction, and dropped this
    # command with a 404; golive reads a form as an interaction only by its payload field.
    answer = await slack.command('new churn "payload model"')
    assert answer["text"].startswith("Pilot payload model (churn) created")
    status = await slack.command("status churn")
    assert "payload model" in status["text"]
