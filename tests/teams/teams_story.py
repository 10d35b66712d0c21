"""Steps shared by the Teams conversation tests: commands typed in the steering channel,
the outbox run once, and a pilot with a committee and an open poll."""

from __future__ import annotations

import json
from typing import Any

import teams_activities as act
from fake_connector import Call, FakeConnector
from teams_harness import Golive

from bot.delivery.worker import deliver_due


def texts(card: dict[str, Any]) -> str:
    """Every text in a card, for reading what it says."""
    return json.dumps(card, ensure_ascii=False)


async def mention(
    golive: Golive,
    connector: FakeConnector,
    user: act.User,
    text: str,
    mentions: list[act.User] | None = None,
    *,
    conversation: dict[str, Any] | None = None,
) -> list[Call]:
    """``@golive <text>`` in the steering channel (or ``conversation``); every call golive
    made to the Bot Connector while answering."""
    before = len(connector.calls)
    activity = act.channel_message(connector.url, user, text, mentions=mentions)
    if conversation is not None:
        activity["conversation"] = {**conversation, "tenantId": act.TENANT}
        activity["channelData"] = {"tenant": {"id": act.TENANT}}
    status, _ = await golive.post(activity)
    assert status == 201
    return connector.calls[before:]


async def deliver(golive: Golive, connector: FakeConnector) -> list[Call]:
    """Run the outbox once, as the delivery job does; what reached the connector."""
    before = len(connector.calls)
    runtime = golive.runtime
    await deliver_due(
        uow_factory=runtime.database.uow, gateways=runtime.gateways, clock=runtime.clock
    )
    return connector.calls[before:]


async def churn_with_committee(golive: Golive, connector: FakeConnector) -> None:
    """Amal (golive installed personally) creates churn in the steering channel and seats
    Sara (security) and Omar (legal); who of them golive can reach is up to the test."""
    connector.add_member(act.AMAL.id, act.AMAL.name, installed=True)
    await golive.post(act.personal_installation(connector.url, act.AMAL))
    await golive.post(act.team_conversation_update(connector.url, act.AMAL))
    await mention(golive, connector, act.AMAL, 'new churn "Churn model"')
    await mention(golive, connector, act.AMAL, "committee churn add {sara} security", [act.SARA])
    await mention(golive, connector, act.AMAL, "committee churn add {omar} legal", [act.OMAR])
