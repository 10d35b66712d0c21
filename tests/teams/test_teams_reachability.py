"""Before a poll opens, the owner hears which eligible voters golive cannot message in
Teams (no personal chat, and golive not installed for them), and how to fix it. Through
golive's real server, core and store, against the fake Bot Connector."""

from __future__ import annotations

import teams_activities as act
from fake_connector import Call, FakeConnector
from teams_harness import Golive
from teams_story import churn_with_committee, deliver, mention, texts

FIX = "Ask them to install golive in Teams for themselves (Apps, search for golive, Add)."


async def open_poll(golive: Golive, connector: FakeConnector) -> Call:
    """Amal opens the churn poll in the channel; the answer in her personal chat."""
    calls = await mention(golive, connector, act.AMAL, "poll churn")
    [answer] = [c for c in calls if c.conversation_id == act.AMAL.personal_chat]
    assert "Poll opened on churn" in texts(answer.card)
    return answer


def heads_up(answer: Call) -> list[str]:
    return [b["text"] for b in answer.card["body"] if b.get("text", "").startswith("**Heads-up")]


async def test_the_owner_is_warned_about_voters_golive_cannot_reach_once(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    await churn_with_committee(golive, connector)
    # Sara has golive through the team (a chat with her can be opened); Omar has nothing.
    connector.add_member(act.SARA.id, act.SARA.name, installed=True)

    answer = await open_poll(golive, connector)

    assert heads_up(answer) == [
        "**Heads-up:** golive cannot send direct messages to <at>Omar Said</at> (they will get "
        f"no reminder to vote, nor any other direct message). {FIX}"
    ]
    assert [e["mentioned"]["id"] for e in answer.card["msteams"]["entities"]] == [act.OMAR.id]
    # Checking did not keep a chat it opened: the first direct message opens it for good.
    assert await golive.gateway.store.personal(act.TENANT, act.SARA.id) is None

    # The business owner is also told directly, once per person.
    sent = await deliver(golive, connector)
    [notice] = [c for c in sent if c.conversation_id == act.AMAL.personal_chat]
    assert "golive cannot send direct messages to <at>Omar Said</at>" in texts(notice.card)
    assert FIX in texts(notice.card)

    await mention(golive, connector, act.AMAL, "poll churn cancel")
    again = await open_poll(golive, connector)
    assert len(heads_up(again)) == 1
    assert not [
        c for c in await deliver(golive, connector) if c.conversation_id == act.AMAL.personal_chat
    ]


async def test_once_they_install_golive_there_is_nothing_to_warn_about(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    await churn_with_committee(golive, connector)
    for user in (act.SARA, act.OMAR):
        connector.add_member(user.id, user.name)
        await golive.post(act.personal_installation(connector.url, user))

    answer = await open_poll(golive, connector)

    assert heads_up(answer) == []
    assert "Heads-up" not in texts(answer.card)
    assert not [c for c in connector.calls if c.path == "/v3/conversations"]  # nothing to probe
