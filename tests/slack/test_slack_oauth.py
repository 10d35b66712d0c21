"""Many workspaces: installing through OAuth, answering the new workspace, uninstalling."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_slack import FakeSlack
from slack_harness import Slack, start_golive

from adapters.slack.oauth import METADATA
from bot.clock import MovableClock
from bot.delivery.models import Conversation, DeliveryFailed
from bot.messages import say


@pytest.fixture
async def oauth_slack(
    fake: FakeSlack, database_url: str, clock: MovableClock
) -> AsyncIterator[Slack]:
    """Installations live in golive's database: SQLite and PostgreSQL both."""
    runtime, runner, url = await start_golive(
        fake,
        database_url,
        clock,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret",
    )
    async with aiohttp.ClientSession() as session:
        yield Slack(fake=fake, url=url, runtime=runtime, session=session)
    await runner.cleanup()
    await runtime.database.dispose()


def test_metadata_names_slack_sdks_tables() -> None:
    assert sorted(METADATA.tables) == ["slack_bots", "slack_installations", "slack_oauth_states"]


async def install(slack: Slack) -> None:
    async with slack.session.get(f"{slack.url}/slack/install") as page:
        assert page.status == 200
        html = await page.text()
        # The state cookie is Secure (https only): a browser on http would not send it back,
        # so the test does what a browser on https does.
        cookie = page.headers["Set-Cookie"].split(";")[0]
    state = re.search(r"state=([\w-]+)", html)
    assert state is not None, html
    redirect = f"{slack.url}/slack/oauth_redirect?code=the-code&state={state.group(1)}"
    async with slack.session.get(redirect, headers={"Cookie": cookie}) as done:
        assert done.status == 200, await done.text()
    [exchange] = slack.fake.called("oauth.v2.access")
    assert exchange.body["code"] == "the-code"


# slack_sdk's OAuth token exchange uses aiohttp's deprecated BasicAuth; not golive's code.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_install_serve_and_uninstall_a_second_workspace(oauth_slack: Slack) -> None:
    slack, fake = oauth_slack, oauth_slack.fake
    await install(slack)
    gateway = slack.runtime.gateways["slack"]
    fake.team_id = "T2"
    fake.add_user("U2", "Badr")

    # The new workspace's slash command is answered; its Web API calls carry its token.
    body, path = slack.command_body("help", "U2")
    body = body.replace("team_id=T1", "team_id=T2")
    assert (await slack.post(body, "application/x-www-form-urlencoded")).status == 200
    answer = await slack.answer(path)
    assert answer.body["response_type"] == "ephemeral"
    await gateway.post(
        Conversation(platform="slack", workspace_id="T2", channel_id="C9"), say("hi")
    )
    posted = fake.called("chat.postMessage")[-1]
    assert posted.headers["Authorization"] == "Bearer xoxb-installed"

    # Uninstalling removes the installation: later sends fail for good.
    uninstalled = slack.event_body({"type": "app_uninstalled"}, "EvU1").replace(
        '"team_id": "T1"', '"team_id": "T2"'
    )
    assert (await slack.post(uninstalled, "application/json")).status == 200
    with pytest.raises(DeliveryFailed) as gone:
        for _ in range(50):  # the listener runs after the ack
            await gateway.post(
                Conversation(platform="slack", workspace_id="T2", channel_id="C9"), say("hi")
            )
            await fake.wait_for("chat.postMessage", len(fake.called("chat.postMessage")))
    assert gone.value.permanent


async def test_unknown_workspace_is_refused(oauth_slack: Slack) -> None:
    body, _path = oauth_slack.command_body("help", "U1")
    answer = await oauth_slack.post(body, "application/x-www-form-urlencoded")
    assert answer.status == 200
    # Bolt itself tells the person the app is not installed; golive never runs.
    [refusal] = await oauth_slack.fake.wait_for("respond")
    assert "installation" in refusal.body["text"]
    assert oauth_slack.fake.called("users.info") == []
    async with oauth_slack.runtime.golive.uow_factory() as uow:
        assert await uow.workspaces.get_by_external("slack", "T1") is None
