"""Proactive messages through saved conversation references: they survive a restart,
reach channels and people, and fail clearly for someone golive cannot reach."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import teams_activities as act
from fake_connector import FakeConnector
from scripted_core import ScriptedCore
from teams_harness import Golive, start_golive

from adapters.teams.render import render_card
from bot.clock import MovableClock
from bot.context import Caller
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.delivery.service import enqueue
from bot.delivery.worker import deliver_due
from bot.messages import Message, say

CHANNEL = Conversation(platform="teams", workspace_id=act.TENANT, channel_id=act.TEAM_CHANNEL)
DIGEST = say("Weekly digest: churn is on track", private=False)
REMINDER = say("2 checklist items are overdue", private=False)


def dm(user: act.User) -> Conversation:
    return Conversation(platform="teams", workspace_id=act.TENANT, user_id=user.id)


@pytest.fixture
async def installed(
    sqlite_url: str, clock: MovableClock, connector: FakeConnector
) -> AsyncIterator[Golive]:
    """golive after Amal installed it and it was added to the steering team — then
    restarted: a fresh runtime on the same database file."""
    first = await start_golive(sqlite_url, clock, core=ScriptedCore())
    assert (await first.post(act.personal_installation(connector.url, act.AMAL)))[0] == 201
    assert (await first.post(act.team_conversation_update(connector.url, act.AMAL)))[0] == 201
    await first.stop()
    connector.calls.clear()
    again = await start_golive(sqlite_url, clock, core=ScriptedCore())
    yield again
    await again.stop()


async def test_after_a_restart_a_digest_reaches_the_channel(
    installed: Golive, connector: FakeConnector
) -> None:
    ref = await installed.gateway.post(CHANNEL, DIGEST)

    [call] = connector.calls
    assert (call.method, call.path) == ("POST", f"/v3/conversations/{act.TEAM_CHANNEL}/activities")
    assert "replyToId" not in call.body  # a new post in the channel, not a thread reply
    assert call.card == render_card(DIGEST)
    assert call.body["conversation"]["id"] == act.TEAM_CHANNEL
    assert call.result_id is not None
    assert ref == MessageRef(
        platform="teams",
        workspace_id=act.TENANT,
        channel_id=act.TEAM_CHANNEL,
        message_id=call.result_id,
    )


async def test_after_a_restart_a_reminder_reaches_a_person_who_installed_golive(
    installed: Golive, connector: FakeConnector
) -> None:
    ref = await installed.gateway.post(dm(act.AMAL), REMINDER)

    [call] = connector.calls
    assert call.path == f"/v3/conversations/{act.AMAL.personal_chat}/activities"
    assert call.card == render_card(REMINDER)
    assert ref.channel_id == act.AMAL.personal_chat


async def test_a_posted_card_is_updated_in_place(
    installed: Golive, connector: FakeConnector
) -> None:
    ref = await installed.gateway.post(CHANNEL, DIGEST)
    closed = Message(text="Poll closed: GO")
    await installed.gateway.update(ref, closed)

    update = connector.updates()[0]
    assert update.path == f"/v3/conversations/{act.TEAM_CHANNEL}/activities/{ref.message_id}"
    assert update.card == render_card(closed)


async def test_a_person_in_the_team_gets_a_new_personal_chat(
    installed: Golive, connector: FakeConnector
) -> None:
    connector.add_member(act.SARA.id, act.SARA.name, installed=True)
    assert await installed.gateway.unreachable_people(act.TENANT, [act.AMAL.id, act.SARA.id]) == [
        act.SARA.id
    ]

    ref = await installed.gateway.post(dm(act.SARA), REMINDER)

    create, send = connector.calls
    assert (create.method, create.path) == ("POST", "/v3/conversations")
    assert create.body["members"] == [{"id": act.SARA.id}]
    assert create.body["channelData"] == {"tenant": {"id": act.TENANT}}
    assert create.body["bot"]["id"] == act.BOT["id"]
    assert send.path == f"/v3/conversations/{act.SARA.personal_chat}/activities"
    assert ref.channel_id == act.SARA.personal_chat
    # The new chat is remembered: no second create, and Sara now counts as reachable.
    await installed.gateway.post(dm(act.SARA), REMINDER)
    assert [c.path for c in connector.calls].count("/v3/conversations") == 1
    assert await installed.gateway.unreachable_people(act.TENANT, [act.SARA.id]) == []


async def test_someone_who_never_installed_golive_is_a_permanent_failure_naming_the_fix(
    installed: Golive, connector: FakeConnector
) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await installed.gateway.post(dm(act.OMAR), REMINDER)

    assert failure.value.permanent
    assert act.OMAR.id in failure.value.reason
    assert "ask them to install golive in Teams" in failure.value.reason
    assert await installed.gateway.unreachable_people(
        act.TENANT, [act.OMAR.id, act.AMAL.id, act.OMAR.id]
    ) == [act.OMAR.id]


async def test_a_channel_golive_was_never_added_to_is_a_permanent_failure(
    installed: Golive, connector: FakeConnector
) -> None:
    elsewhere = Conversation(platform="teams", workspace_id=act.TENANT, channel_id="19:x@thread")
    with pytest.raises(DeliveryFailed) as failure:
        await installed.gateway.post(elsewhere, DIGEST)
    assert failure.value.permanent
    assert connector.calls == []


async def test_throttling_that_outlasts_the_send_timeout_tells_the_outbox_when_to_come_back(
    installed: Golive, connector: FakeConnector
) -> None:
    """The outbox cuts a send at GOLIVE_SEND_TIMEOUT_SECONDS (3 s): a wait that would not
    fit is the outbox's to wait, not the gateway's."""
    connector.fail_next(429, retry_after="2", times=4)
    with pytest.raises(DeliveryFailed) as failure:
        await installed.gateway.post(CHANNEL, DIGEST)

    assert not failure.value.permanent
    assert failure.value.retry_after == 2.0
    assert len(connector.calls) == 2
    assert installed.waits == [2.0]  # the second 2 s wait would end past the 3 s cut-off


async def test_a_removed_bot_is_a_permanent_failure(
    installed: Golive, connector: FakeConnector
) -> None:
    connector.fail_next(403)
    with pytest.raises(DeliveryFailed) as failure:
        await installed.gateway.post(CHANNEL, DIGEST)
    assert failure.value.permanent
    assert len(connector.calls) == 1


async def test_names_come_from_the_roster(installed: Golive, connector: FakeConnector) -> None:
    connector.add_member(act.SARA.id, act.SARA.name)

    assert await installed.gateway.lookup_person(act.TENANT, act.SARA.id) == PersonInfo(
        name="Sara Kim"
    )
    assert connector.calls[-1].path.endswith(f"/members/{act.SARA.id}")
    assert await installed.gateway.lookup_person(act.TENANT, "29:nobody") is None
    assert await installed.gateway.lookup_person("other-tenant", act.SARA.id) is None


async def test_uninstalling_forgets_the_personal_chat(
    installed: Golive, connector: FakeConnector
) -> None:
    await installed.post(act.personal_installation(connector.url, act.AMAL, action="remove"))

    assert await installed.gateway.unreachable_people(act.TENANT, [act.AMAL.id]) == [act.AMAL.id]
    with pytest.raises(DeliveryFailed):
        await installed.gateway.post(dm(act.AMAL), REMINDER)


async def test_after_a_restart_the_outbox_delivers_to_a_channel_and_a_person(
    sqlite_url: str, clock: MovableClock, connector: FakeConnector
) -> None:
    first = await start_golive(sqlite_url, clock)
    await first.post(act.personal_installation(connector.url, act.AMAL))
    await first.post(act.team_conversation_update(connector.url, act.AMAL))
    owner = Caller(platform="teams", workspace_id=act.TENANT, user_id=act.AMAL.id)
    async with first.runtime.database.uow() as uow:
        workspace = await first.runtime.golive.workspace_for(uow, owner)
        for key, to, message in (("t:digest", CHANNEL, DIGEST), ("t:dm", dm(act.AMAL), REMINDER)):
            await enqueue(
                uow, workspace=workspace, key=key, to=to, message=message, now=clock.now()
            )
        await uow.commit()
    await first.stop()
    connector.calls.clear()

    again = await start_golive(sqlite_url, clock)
    try:
        runtime = again.runtime
        sent = await deliver_due(
            uow_factory=runtime.database.uow, gateways=runtime.gateways, clock=clock
        )
    finally:
        await again.stop()

    assert sent == 2
    assert {c.path: c.card for c in connector.calls} == {
        f"/v3/conversations/{act.TEAM_CHANNEL}/activities": render_card(DIGEST),
        f"/v3/conversations/{act.AMAL.personal_chat}/activities": render_card(REMINDER),
    }


async def test_a_long_retry_after_is_left_to_the_outbox(
    installed: Golive, connector: FakeConnector
) -> None:
    connector.fail_next(429, retry_after="120")
    with pytest.raises(DeliveryFailed) as failure:
        await installed.gateway.post(CHANNEL, DIGEST)
    assert failure.value.retry_after == 120.0
    assert not failure.value.permanent
    assert len(connector.calls) == 1
    assert installed.waits == []
