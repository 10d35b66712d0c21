"""Many workspaces: installing through OAuth, answering the new workspace, uninstalling."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from cryptography.fernet import Fernet
from fake_slack import FakeSlack
from slack_harness import Slack, start_golive
from sqlalchemy import Connection, inspect

from adapters import rotate_key
from adapters.app import Runtime
from adapters.settings import load_settings
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


# --- tokens at rest (issue 14, item 3) --------------------------------------------------

BOT_TOKEN = "xoxb-2-bot-token-at-rest"
USER_TOKEN = "xoxp-2-user-token-at-rest"
WEBHOOK = "https://hooks.slack.test/services/T2/B2/webhook-at-rest"
AT_REST = ("xoxb-", "xoxp-", "xoxe-", WEBHOOK)


def grants_user_token(fake: FakeSlack) -> None:
    """Slack's next token exchange answers as for an install that also asked for user
    scopes and an incoming webhook: a bot token, a user token and a webhook URL."""
    fake.fail(
        "oauth.v2.access",
        200,
        {
            "ok": True,
            "access_token": BOT_TOKEN,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": fake.bot_user_id,
            "app_id": "A1",
            "team": {"id": "T2", "name": "Second"},
            "enterprise": None,
            "authed_user": {
                "id": "U2",
                "scope": "users:read",
                "access_token": USER_TOKEN,
                "token_type": "user",
            },
            "incoming_webhook": {
                "url": WEBHOOK,
                "channel": "#steering",
                "channel_id": "C9",
                "configuration_url": "https://second.slack.test/services/B2",
            },
            "is_enterprise_install": False,
        },
    )


def _every_text(connection: Connection) -> list[tuple[str, str]]:
    found = []
    for table in inspect(connection).get_table_names():
        for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
            found += [(table, value) for value in row if isinstance(value, str)]
    return found


async def readable_tokens(runtime: Runtime) -> list[tuple[str, str]]:
    """Every stored text in which a token or the webhook URL can be read, as from a backup."""
    async with runtime.database.engine.connect() as connection:
        texts = await connection.run_sync(_every_text)
    return [(table, value) for table, value in texts if any(s in value for s in AT_REST)]


async def posts_as_installed_bot(runtime: Runtime, fake: FakeSlack) -> str:
    """What golive posts to the second workspace with (its Authorization header)."""
    await runtime.gateways["slack"].post(
        Conversation(platform="slack", workspace_id="T2", channel_id="C9"), say("hi")
    )
    return str(fake.called("chat.postMessage")[-1].headers["Authorization"])


@asynccontextmanager
async def golive_with_key(
    fake: FakeSlack, database_url: str, clock: MovableClock, keys: str
) -> AsyncIterator[Runtime]:
    """golive over the same database, restarted with GOLIVE_SECRET_KEY set to ``keys``."""
    runtime, runner, _url = await start_golive(
        fake,
        database_url,
        clock,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret",
        GOLIVE_SECRET_KEY=keys,
    )
    try:
        yield runtime
    finally:
        await runner.cleanup()
        await runtime.close()


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_installed_tokens_are_unreadable_in_the_database(oauth_slack: Slack) -> None:
    grants_user_token(oauth_slack.fake)
    await install(oauth_slack)

    assert await readable_tokens(oauth_slack.runtime) == []
    assert await posts_as_installed_bot(oauth_slack.runtime, oauth_slack.fake) == (
        f"Bearer {BOT_TOKEN}"
    )


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_a_new_key_keeps_installed_workspaces_working(
    oauth_slack: Slack, database_url: str, clock: MovableClock
) -> None:
    """The operator's rotation: new key first, restart, `golive rotate-key`, old key out."""
    fake, old = oauth_slack.fake, os.environ["GOLIVE_SECRET_KEY"]  # the test key installs
    new = Fernet.generate_key().decode()
    grants_user_token(fake)
    await install(oauth_slack)
    await oauth_slack.runtime.close()

    async with golive_with_key(fake, database_url, clock, f"{new},{old}") as both:
        # The row written under the old key still decrypts before any rotation.
        assert await posts_as_installed_bot(both, fake) == f"Bearer {BOT_TOKEN}"
    settings = load_settings(DATABASE_URL=database_url, GOLIVE_SECRET_KEY=f"{new},{old}")
    assert await rotate_key.rotate(settings) == 0
    async with golive_with_key(fake, database_url, clock, new) as rotated:
        assert await posts_as_installed_bot(rotated, fake) == f"Bearer {BOT_TOKEN}"
        assert await readable_tokens(rotated) == []
    async with golive_with_key(fake, database_url, clock, old) as stale:
        # Dropping the new key instead is refused, never sent with a garbled token.
        with pytest.raises(DeliveryFailed, match="does not decrypt with any key"):
            await posts_as_installed_bot(stale, fake)
