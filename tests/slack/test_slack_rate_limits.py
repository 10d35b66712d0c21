"""A 429 whose Retry-After does not fit in the outbox's send timeout is not slept through
inside the call (where the timeout would cut it off and golive's back-off could be shorter
than Slack asked): it surfaces at once with Slack's wait, and the outbox waits that long.
A short one is still waited out within the call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fake_slack import FakeSlack
from slack_harness import Slack, deliver
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.gateway import RateLimitRetry, SlackGateway, make_client
from bot.clock import MovableClock
from bot.delivery.models import Conversation, DeliveryFailed, OutboxStatus
from bot.delivery.service import enqueue
from bot.messages import Message

C1 = Conversation(platform="slack", workspace_id="T1", channel_id="C1")


def gateway_over(fake: FakeSlack, waits: list[float], send_timeout: float) -> SlackGateway:
    client = make_client("xoxb-test", fake.api_url)
    [handler] = [h for h in client.retry_handlers if isinstance(h, RateLimitRetry)]

    async def record(seconds: float) -> None:
        waits.append(seconds)

    handler.sleep = record  # type: ignore[method-assign]

    async def client_for(team_id: str) -> AsyncWebClient:
        return client

    return SlackGateway(client_for, send_timeout=send_timeout)


async def test_a_retry_after_longer_than_the_send_timeout_fails_at_once(fake: FakeSlack) -> None:
    waits: list[float] = []
    gateway = gateway_over(fake, waits, send_timeout=3.0)
    fake.rate_limit("chat.postMessage", 30)
    with pytest.raises(DeliveryFailed) as limited:
        await gateway.post(C1, Message(text="x"))
    assert limited.value.retry_after == 30
    assert not limited.value.permanent
    assert waits == []  # nothing slept through inside the call
    assert [c.status for c in fake.called("chat.postMessage")] == [429]


async def test_short_waits_are_taken_until_they_no_longer_fit(fake: FakeSlack) -> None:
    waits: list[float] = []
    gateway = gateway_over(fake, waits, send_timeout=3.0)
    # 1 s fits, 1 s more still fits (about 2.4 s in all), a third would not.
    fake.rate_limit("chat.postMessage", 1, times=3)
    with pytest.raises(DeliveryFailed) as limited:
        await gateway.post(C1, Message(text="x"))
    assert limited.value.retry_after == 1
    assert len(waits) == 2 and sum(waits) < 3.0
    assert [c.status for c in fake.called("chat.postMessage")] == [429, 429, 429]


async def test_a_listener_client_still_waits_as_long_as_slack_asks(fake: FakeSlack) -> None:
    """Only the outbox's clients are cut: a listener's answer has no send timeout."""
    client = make_client("xoxb-test", fake.api_url)
    [handler] = [h for h in client.retry_handlers if isinstance(h, RateLimitRetry)]
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    handler.sleep = record  # type: ignore[method-assign]
    fake.rate_limit("chat.postMessage", 30)
    await client.chat_postMessage(channel="C1", text="x")
    assert len(waits) == 1 and waits[0] >= 30


async def test_the_outbox_waits_as_long_as_slack_asks(slack: Slack, clock: MovableClock) -> None:
    fake = slack.fake
    await slack.raw_command('new churn "Churn"')
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "T1")
        assert workspace is not None
        await enqueue(
            uow,
            workspace=workspace,
            key="test:long-429",
            to=C1,
            message=Message(text="Go-live on Monday"),
            now=clock.now(),
        )
        await uow.commit()
    fake.rate_limit("chat.postMessage", 45, times=2)
    started = clock.now()
    assert await deliver(slack) == 0
    async with slack.runtime.golive.uow_factory() as uow:
        row = await uow.outbox.get_by_key("test:long-429")
        assert row is not None
        assert row.status == OutboxStatus.PENDING
        assert row.last_error == "ratelimited"
        assert row.next_attempt_at >= started + timedelta(seconds=45)
    assert [c.status for c in fake.called("chat.postMessage")] == [429]

    clock.move(timedelta(seconds=30))
    assert await deliver(slack) == 0  # not due yet: nothing is sent
    assert len(fake.called("chat.postMessage")) == 1
    clock.move(timedelta(seconds=20))
    assert await deliver(slack) == 0  # Slack is still limiting: 429 again, at once
    clock.move(timedelta(seconds=50))
    assert await deliver(slack) == 1
    statuses = [c.status for c in fake.called("chat.postMessage")]
    assert statuses == [429, 429, 200]
