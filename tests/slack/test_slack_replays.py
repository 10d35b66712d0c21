"""Replays and retries through two golive servers on one database (in this process;
tests/serve/test_replica_replays.py runs two `golive serve` processes on PostgreSQL), and
what happens when the store they share does not answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_slack import FakeSlack
from slack_harness import Slack, sign, start_golive
from sqlalchemy.exc import OperationalError

from bot.clock import MovableClock
from storage.seen import SeenKeyStore

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def other(
    fake: FakeSlack, slack: Slack, sqlite_url: str, clock: MovableClock
) -> AsyncIterator[Slack]:
    """A second golive server on the first one's database (another replica)."""
    runtime, runner, url = await start_golive(fake, sqlite_url, clock)
    async with aiohttp.ClientSession() as session:
        yield Slack(fake=fake, url=url, runtime=runtime, session=session)
    await runner.cleanup()
    await runtime.database.dispose()


async def pilots(slack: Slack) -> int:
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "T1")
        if workspace is None or workspace.id is None:
            return 0
        return len(await uow.pilots.list(workspace.id))


async def test_a_command_replayed_to_another_server_runs_once(slack: Slack, other: Slack) -> None:
    body, path = slack.command_body('new churn "Churn model"', "U1")
    headers = sign(body)
    assert (await slack.post(body, FORM, headers)).status == 200
    await slack.answer(path)
    assert (await other.post(body, FORM, headers)).status == 401
    assert await pilots(slack) == 1
    assert [c.path for c in slack.fake.called("respond")] == [path]


async def test_an_event_retried_to_another_server_is_handled_once(
    slack: Slack, other: Slack, fake: FakeSlack
) -> None:
    event = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    body = slack.event_body(event, "Ev1")
    assert (await slack.post(body, "application/json")).status == 200
    await fake.wait_for("views.publish")
    retry = {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await other.post(body, "application/json", retry)).status == 200
    assert (await other.event(event, "Ev2")).status == 200
    await fake.wait_for("views.publish", 2)
    assert len(fake.called("views.publish")) == 2


async def test_without_the_shared_store_requests_get_503_and_run_nothing(
    slack: Slack, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def unreachable(*args: object, **kwargs: object) -> bool:
        raise OperationalError("INSERT", {}, ConnectionRefusedError("database down"))

    monkeypatch.setattr(SeenKeyStore, "first_time", unreachable)
    caplog.set_level(logging.INFO)
    body, _path = slack.command_body('new churn "Churn model"', "U1")
    assert (await slack.post(body, FORM)).status == 503
    event = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    assert (await slack.event(event, "Ev1")).status == 503  # Slack retries it later
    assert fake.called("respond") == [] and fake.called("views.publish") == []
    assert all(r.exc_info is None for r in caplog.records)
    refusals = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert refusals == [
        "slack: replay check failed (OperationalError)",
        "slack: event dedupe failed (OperationalError)",
    ]
