"""Socket Mode: golive dials out to Slack's websocket instead of receiving HTTP."""

from __future__ import annotations

from slack_harness import Slack


async def test_socket_mode_dials_out_and_serves_no_slack_route(socket_slack: Slack) -> None:
    fake = socket_slack.fake
    [opened] = fake.called("apps.connections.open")
    assert opened.headers["Authorization"] == "Bearer xapp-test"
    async with socket_slack.session.post(f"{socket_slack.url}/slack/events", data="x") as r:
        assert r.status in (404, 405)


async def test_slash_command_over_the_socket(socket_slack: Slack) -> None:
    answer = await socket_slack.command("help")
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"]


async def test_retried_event_over_the_socket_is_handled_once(socket_slack: Slack) -> None:
    fake = socket_slack.fake
    event = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    await socket_slack.event(event, "EvS1")
    await socket_slack.event(event, "EvS1")
    await fake.wait_for("views.publish")
    await socket_slack.event(event, "EvS2")
    await fake.wait_for("views.publish", 2)
    assert len(fake.called("views.publish")) == 2
