"""Teams throttling (429) never loses a message: a reply in a turn waits it out within the
turn, and a scheduled message that outlasts the outbox's send timeout is left to the outbox,
which comes back when Teams said. Five 429s in a row used to lose a Teams reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import teams_activities as act
from fake_connector import FakeConnector
from scripted_core import ScriptedCore
from teams_harness import Golive, start_golive

from adapters.teams.render import render_card
from bot.clock import MovableClock
from bot.context import Caller
from bot.delivery.models import Conversation, OutboxStatus
from bot.delivery.service import enqueue
from bot.delivery.worker import deliver_due
from bot.messages import say

REMINDER = say("2 checklist items are overdue", private=False)


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore()


@pytest.fixture
async def golive(sqlite_url: str, clock: MovableClock, core: ScriptedCore) -> AsyncIterator[Golive]:
    running = await start_golive(sqlite_url, clock, core=core)
    yield running
    await running.stop()


async def test_a_reply_that_meets_five_429s_is_still_delivered(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    connector.fail_next(429, retry_after="1", times=5)
    status, _ = await golive.post(act.personal_message(connector.url, act.AMAL, "list"))

    assert status == 201
    sends = connector.sent(act.AMAL.personal_chat)
    assert len(sends) == 6  # five refused, the sixth delivered
    assert sends[-1].card == render_card(say("ran list"))
    assert golive.waits == [1.0] * 5


async def test_a_scheduled_message_that_meets_five_429s_is_delivered_by_the_outbox(
    golive_teams: Golive, connector: FakeConnector, clock: MovableClock
) -> None:
    golive = golive_teams  # the real core: the message is queued as the core queues it
    await golive.post(act.personal_installation(connector.url, act.AMAL))
    owner = Caller(platform="teams", workspace_id=act.TENANT, user_id=act.AMAL.id)
    runtime = golive.runtime
    async with runtime.database.uow() as uow:
        workspace = await runtime.golive.workspace_for(uow, owner)
        to = Conversation(platform="teams", workspace_id=act.TENANT, user_id=act.AMAL.id)
        await enqueue(
            uow, workspace=workspace, key="t:dm", to=to, message=REMINDER, now=clock.now()
        )
        await uow.commit()
    connector.calls.clear()
    connector.fail_next(429, retry_after="1", times=5)

    async def deliver() -> int:
        return await deliver_due(
            uow_factory=runtime.database.uow,
            gateways=runtime.gateways,
            clock=clock,
            send_timeout=runtime.settings.golive_send_timeout_seconds,
        )

    assert await deliver() == 0  # two 1 s waits fit in the 3 s send timeout, a third not
    assert len(connector.sent()) == 3
    async with runtime.database.uow() as uow:
        row = await uow.outbox.get_by_key("t:dm")
    assert row is not None and row.status == OutboxStatus.PENDING

    clock.move(timedelta(hours=1))
    assert await deliver() == 1
    sends = connector.sent(act.AMAL.personal_chat)
    assert len(sends) == 6  # five refused, the sixth delivered, nothing twice
    assert sends[-1].card == render_card(REMINDER)
    async with runtime.database.uow() as uow:
        row = await uow.outbox.get_by_key("t:dm")
    assert row is not None and row.status == OutboxStatus.SENT
