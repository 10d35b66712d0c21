"""Teams has no App Home: ``home`` in the personal chat answers with the same view."""

from __future__ import annotations

import json

import teams_activities as act
from fake_connector import FakeConnector
from teams_harness import Golive


async def test_home_in_the_personal_chat_answers_with_what_needs_me(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    await golive_teams.post(act.channel_message(connector.url, act.AMAL, 'new churn "Churn model"'))

    status, _ = await golive_teams.post(act.personal_message(connector.url, act.AMAL, "home"))

    assert status == 201
    reply = connector.sent(act.AMAL.personal_chat)[-1]
    card = json.dumps(reply.card)
    assert "Your overdue items" in card and "Nothing overdue. Well done." in card
    assert "No poll is waiting for you." in card
    assert "Churn model" in card and "Status churn" in card
