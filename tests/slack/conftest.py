"""Fixtures: the fake Slack, and golive's real server with Slack set up against it (over
HTTP or Socket Mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_slack import FakeSlack
from slack_harness import TEAM, Slack, SocketSlack, start_golive

from bot.clock import MovableClock


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack(team_id=TEAM)
    slack.add_user("U1", "Amal", tz="Asia/Dubai")
    slack.add_user("U2", "Badr", tz="Europe/Paris")
    slack.add_user("U3", "Chen", tz="UTC")
    slack.add_user("UADMIN", "Dana", is_admin=True)
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def slack(fake: FakeSlack, sqlite_url: str, clock: MovableClock) -> AsyncIterator[Slack]:
    runtime, runner, url = await start_golive(fake, sqlite_url, clock)
    async with aiohttp.ClientSession() as session:
        yield Slack(fake=fake, url=url, runtime=runtime, session=session)
    await runner.cleanup()
    await runtime.database.dispose()


@pytest.fixture
async def socket_slack(
    fake: FakeSlack, sqlite_url: str, clock: MovableClock
) -> AsyncIterator[Slack]:
    """golive connected to the fake's Socket Mode websocket (no inbound HTTP for Slack)."""
    # Socket Mode needs no signing secret: nothing reaches golive over HTTP.
    runtime, runner, url = await start_golive(
        fake, sqlite_url, clock, SLACK_APP_TOKEN="xapp-test", SLACK_SIGNING_SECRET=None
    )
    async with aiohttp.ClientSession() as session:
        yield SocketSlack(fake=fake, url=url, runtime=runtime, session=session)
    await runner.cleanup()
    await runtime.database.dispose()


@pytest.fixture(params=["http", "socket-mode"])
def any_slack(request: pytest.FixtureRequest) -> Slack:
    """Each transport in turn: both end in the same listeners."""
    name = "slack" if request.param == "http" else "socket_slack"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]
