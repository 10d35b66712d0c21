"""The Slack ChatGateway against the fake Web API: posts, DMs, updates, 429s, failures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_slack import FakeSlack
from slack_harness import ESCAPED, NASTY, Slack, deliver
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.gateway import SlackGateway, make_client
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.delivery.service import enqueue
from bot.messages import Image, Message, Paragraph, bold, spans


@pytest.fixture
async def gateway(fake: FakeSlack) -> AsyncIterator[SlackGateway]:
    client = make_client("xoxb-test", fake.api_url)

    async def client_for(team_id: str) -> AsyncWebClient:
        assert team_id == "T1"
        return client

    yield SlackGateway(client_for)


def card(title: str) -> Message:
    return Message(text=title, blocks=[Paragraph(spans=spans("Item ", bold(title)))])


async def test_post_to_a_channel_returns_the_ref_to_update(
    gateway: SlackGateway, fake: FakeSlack
) -> None:
    to = Conversation(platform="slack", workspace_id="T1", channel_id="C1")
    ref = await gateway.post(to, card(NASTY))
    [posted] = fake.called("chat.postMessage")
    assert posted.body["channel"] == "C1"
    assert posted.body["text"] == ESCAPED
    assert ref == MessageRef(
        platform="slack", workspace_id="T1", channel_id="C1", message_id=posted.answer["ts"]
    )
    await gateway.update(ref, card("later"))
    [updated] = fake.called("chat.update")
    assert (updated.body["channel"], updated.body["ts"]) == ("C1", ref.message_id)
    assert updated.body["blocks"][0]["text"]["text"] == "Item *later*"


async def test_direct_message_goes_to_the_dm_channel(
    gateway: SlackGateway, fake: FakeSlack
) -> None:
    ref = await gateway.post(
        Conversation(platform="slack", workspace_id="T1", user_id="U2"), card("x")
    )
    [opened] = fake.called("conversations.open")
    assert opened.body["users"] == "U2"
    assert fake.called("chat.postMessage")[0].body["channel"] == "DU2"
    assert ref.channel_id == "DU2"  # chat.update needs the D… id, never the user id
    await gateway.post(Conversation(platform="slack", workspace_id="T1", user_id="U2"), card("y"))
    assert len(fake.called("conversations.open")) == 1  # the DM's id is remembered
    assert [c.body["channel"] for c in fake.called("chat.postMessage")] == ["DU2", "DU2"]


async def test_a_429_is_retried_after_retry_after_and_arrives_once(
    gateway: SlackGateway, fake: FakeSlack
) -> None:
    fake.fail("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
    ref = await gateway.post(
        Conversation(platform="slack", workspace_id="T1", channel_id="C1"), card("x")
    )
    attempts = fake.called("chat.postMessage")
    assert [a.status for a in attempts] == [429, 200]
    assert ref.message_id == attempts[1].answer["ts"]


async def test_errors_surface_as_delivery_failed(gateway: SlackGateway, fake: FakeSlack) -> None:
    to = Conversation(platform="slack", workspace_id="T1", channel_id="C404")
    fake.fail("chat.postMessage", 200, {"ok": False, "error": "channel_not_found"})
    with pytest.raises(DeliveryFailed) as gone:
        await gateway.post(to, card("x"))
    assert gone.value.permanent
    fake.fail("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
    with pytest.raises(DeliveryFailed) as flaky:
        await gateway.post(to, card("x"))
    assert not flaky.value.permanent
    # Slack kept answering 429: the outbox is told how long to wait.
    for _ in range(4):
        fake.fail("chat.update", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
    ref = MessageRef(platform="slack", workspace_id="T1", channel_id="C1", message_id="1.0")
    with pytest.raises(DeliveryFailed) as limited:
        await gateway.update(ref, card("x"))
    assert limited.value.retry_after == 0
    assert len(fake.called("chat.update")) == 4


async def test_lookup_person_reads_users_info_once(gateway: SlackGateway, fake: FakeSlack) -> None:
    fake.add_user("U7", "Farah", tz="Asia/Riyadh", locale="ar-SA")
    expected = PersonInfo(name="Farah", timezone="Asia/Riyadh", locale="ar-SA")
    assert await gateway.lookup_person("T1", "U7") == expected
    assert await gateway.lookup_person("T1", "U7") == expected
    assert len(fake.called("users.info")) == 1
    assert await gateway.lookup_person("T1", "UNOBODY") is None


async def test_charts_are_uploaded_into_the_thread(gateway: SlackGateway, fake: FakeSlack) -> None:
    message = Message(text="Digest", blocks=[Image(png=b"\x89PNG-data", alt="KPI trend")])
    ref = await gateway.post(
        Conversation(platform="slack", workspace_id="T1", channel_id="C1"), message
    )
    [complete] = await fake.wait_for("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C1"
    assert complete.body["thread_ts"] == ref.message_id
    assert [c.body["size"] for c in fake.called("upload")] == [len(b"\x89PNG-data")]


async def test_outbox_delivery_honours_a_429_end_to_end(slack: Slack) -> None:
    """A message queued by the core reaches the channel exactly once despite a 429."""
    fake = slack.fake
    await slack.raw_command('new churn "Churn"')
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "T1")
        assert workspace is not None
        await enqueue(
            uow,
            workspace=workspace,
            key="test:429",
            to=Conversation(platform="slack", workspace_id="T1", channel_id="C1"),
            message=card(NASTY),
            now=slack.runtime.clock.now(),
        )
        await uow.commit()
    fake.fail("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
    assert await deliver(slack) == 1
    assert await deliver(slack) == 0
    attempts = fake.called("chat.postMessage")
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[1].body["text"] == ESCAPED


async def test_slack_unreachable_is_a_transient_failure() -> None:
    closed_port = make_client("xoxb-test", "http://127.0.0.1:1/api/")

    async def client_for(team_id: str) -> AsyncWebClient:
        return closed_port

    gateway = SlackGateway(client_for)
    to = Conversation(platform="slack", workspace_id="T1", channel_id="C1")
    with pytest.raises(DeliveryFailed) as down:
        await gateway.post(to, card("x"))
    assert not down.value.permanent
    assert down.value.reason.startswith("network")


def long_message(paragraphs: int) -> Message:
    return Message(
        text="Weekly digest",
        blocks=[Paragraph(spans=spans(f"Pilot {n}")) for n in range(1, paragraphs + 1)],
    )


async def test_a_message_past_fifty_blocks_continues_in_its_thread(
    gateway: SlackGateway, fake: FakeSlack
) -> None:
    to = Conversation(platform="slack", workspace_id="T1", channel_id="C1")
    ref = await gateway.post(to, long_message(120))
    first, *rest = fake.called("chat.postMessage")
    assert len(first.body["blocks"]) == 50
    assert first.body["blocks"][-1]["elements"][0]["text"] == "Continued in the thread."
    assert [len(part.body["blocks"]) for part in rest] == [50, 21]
    assert {part.body["thread_ts"] for part in rest} == {ref.message_id}
    shown = [
        block["text"]["text"]
        for call in (first, *rest)
        for block in call.body["blocks"]
        if block["type"] == "section"
    ]
    assert shown == [f"Pilot {n}" for n in range(1, 121)]  # nothing lost, nothing twice


async def test_an_update_past_fifty_blocks_is_shortened_and_says_so(
    gateway: SlackGateway, fake: FakeSlack
) -> None:
    to = Conversation(platform="slack", workspace_id="T1", channel_id="C1")
    ref = await gateway.post(to, long_message(3))
    await gateway.update(ref, long_message(60))
    [updated] = fake.called("chat.update")
    assert len(updated.body["blocks"]) == 50
    assert "at most 50 blocks" in updated.body["blocks"][-1]["elements"][0]["text"]


async def test_a_429_with_retry_after_2_waits_two_seconds_and_the_message_arrives_once(
    fake: FakeSlack,
) -> None:
    from adapters.slack.gateway import RateLimitRetry

    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    client = make_client("xoxb-test", fake.api_url)
    [handler] = [h for h in client.retry_handlers if isinstance(h, RateLimitRetry)]
    handler.sleep = record  # type: ignore[method-assign]

    async def client_for(team_id: str) -> AsyncWebClient:
        return client

    fake.fail("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
    await SlackGateway(client_for).post(
        Conversation(platform="slack", workspace_id="T1", channel_id="C1"), card("x")
    )
    assert [a.status for a in fake.called("chat.postMessage")] == [429, 200]
    [waited] = waits
    assert 2.0 <= waited <= 2.0 + RateLimitRetry.JITTER_SECONDS
