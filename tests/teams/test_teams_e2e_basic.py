"""Teams end to end: activities posted to golive's real server, replies read from the
fake Bot Connector."""

from __future__ import annotations

import teams_activities as act
from fake_connector import FakeConnector
from teams_harness import Golive

from adapters.teams.render import render_card
from bot.context import Caller


def caller(user: act.User, channel: str) -> Caller:
    return Caller(
        platform="teams",
        workspace_id=act.TENANT,
        user_id=user.id,
        user_name=user.name,
        channel_id=channel,
        timezone="Asia/Dubai",
        locale="en-US",
    )


async def test_personal_message_is_answered_in_the_personal_chat(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    status, _ = await golive_teams.post(act.personal_message(connector.url, act.AMAL, "help"))

    assert status == 201
    [reply] = connector.sent()
    assert reply.conversation_id == act.AMAL.personal_chat
    here = caller(act.AMAL, act.AMAL.personal_chat)
    expected = await golive_teams.runtime.golive.run(here, "help")
    assert reply.card == render_card(expected)
    assert reply.body["type"] == "message"
    assert reply.body["summary"] == expected.text
