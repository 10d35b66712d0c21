"""A Teams channel's pilots are for its roster: someone Teams does not list in the
steering channel, and who sits on no committee, is told "no pilot" exactly as for an
unknown key; those on the roster read. Through golive's real /api/messages, asked of the
fake Bot Connector through the channel's saved conversation reference."""

from __future__ import annotations

import json
from typing import Any

import teams_activities as act
from fake_connector import FakeConnector
from teams_harness import Golive


async def ask(golive: Golive, connector: FakeConnector, user: act.User, text: str) -> str:
    """``user`` types ``text`` in their personal chat; golive's answer there, as JSON."""
    before = len(connector.calls)
    status, _ = await golive.post(act.personal_message(connector.url, user, text))
    assert status == 201
    [answer] = [c for c in connector.calls[before:] if c.method == "POST"]
    assert answer.conversation_id == user.personal_chat
    body: dict[str, Any] = answer.body
    return json.dumps(body.get("attachments") or body.get("text"), ensure_ascii=False)


async def test_only_the_channels_roster_reads_its_pilots(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    for user in (act.AMAL, act.SARA, act.OMAR):
        connector.add_member(user.id, user.name, installed=True)
    connector.rosters[act.TEAM_CHANNEL] = {act.AMAL.id, act.SARA.id}
    status, _ = await golive.post(
        act.channel_message(connector.url, act.AMAL, 'new board "Board pack"')
    )
    assert status == 201

    hidden = await ask(golive, connector, act.OMAR, "status board")
    unknown = await ask(golive, connector, act.OMAR, "status nosuch")
    assert "No pilot" in hidden and "board" in hidden and "Board pack" not in hidden
    assert hidden.replace("board", "nosuch") == unknown
    assert "Board pack" not in await ask(golive, connector, act.OMAR, "list")

    assert "Board pack" in await ask(golive, connector, act.SARA, "status board")
    assert "Board pack" in await ask(golive, connector, act.SARA, "list")
    checks = [c.path for c in connector.calls if c.method == "GET" and "/members/" in c.path]
    assert checks == [
        f"/v3/conversations/{act.TEAM_CHANNEL}/members/{act.OMAR.id}",  # then remembered
        f"/v3/conversations/{act.TEAM_CHANNEL}/members/{act.SARA.id}",
    ]
