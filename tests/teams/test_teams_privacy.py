"""Teams has no ephemeral messages: an answer for the caller alone, asked for in a channel
or group chat, goes to their personal chat with golive and the shared conversation only
hears where it went. Through golive's real server, core and store, against the fake Bot
Connector."""

from __future__ import annotations

import teams_activities as act
from fake_connector import Call, FakeConnector
from teams_harness import Golive
from teams_story import churn_with_committee, deliver, mention, texts

GROUP_CHAT = {"id": "19:chat@thread.v2", "conversationType": "groupChat", "isGroup": True}


def in_shared(calls: list[Call]) -> list[Call]:
    """What golive said in the steering channel or the group chat."""
    return [
        c
        for c in calls
        if c.conversation_id is not None
        and (
            c.conversation_id.startswith(act.TEAM_CHANNEL) or c.conversation_id == GROUP_CHAT["id"]
        )
    ]


def note_text(call: Call) -> str:
    [block] = call.card["body"]
    text: str = block["text"]
    return text


def mentions_of(call: Call) -> list[str]:
    return [e["mentioned"]["id"] for e in call.card["msteams"].get("entities", [])]


async def polling(golive: Golive, connector: FakeConnector) -> None:
    """churn with its committee, Sara with golive installed personally, the poll open and
    Amal's No-go in."""
    await churn_with_committee(golive, connector)
    connector.add_member(act.SARA.id, act.SARA.name, installed=True)
    await golive.post(act.personal_installation(connector.url, act.SARA))
    await mention(golive, connector, act.AMAL, 'poll churn "Ship it?"')
    await mention(golive, connector, act.AMAL, 'vote churn no-go "No DPIA yet"')
    await deliver(golive, connector)


async def test_a_vote_typed_in_the_channel_is_confirmed_in_the_voters_personal_chat(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    await polling(golive, connector)

    answer, note = await mention(golive, connector, act.SARA, "vote churn go")

    # Sara alone sees her vote and the tally so far (Amal's No-go, with its reason).
    assert answer.conversation_id == act.SARA.personal_chat
    assert "replyToId" not in answer.body
    said = texts(answer.card)
    assert "You voted Go on churn." in said
    assert "No DPIA yet" in said
    assert "You asked for this in the steering channel." in said
    # The channel thread hears only where the answer went.
    assert note.conversation_id == act.TEAM_CHANNEL
    assert note.body["replyToId"]
    assert note_text(note) == "<at>Sara Kim</at>, I've sent you the answer in our personal chat."
    assert mentions_of(note) == [act.SARA.id]

    # Nothing golive said in the channel, replies or the poll card, tells how anyone voted.
    shared = " ".join(
        texts(c.card) for c in in_shared(connector.calls + await deliver(golive, connector))
    )
    for secret in ("No DPIA yet", "You voted", "Go: 1", "No-go: 1"):
        assert secret not in shared


async def test_someone_golive_is_installed_for_through_the_team_gets_a_new_personal_chat(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    await polling(golive, connector)
    connector.add_member(act.OMAR.id, act.OMAR.name, installed=True)  # never wrote to golive

    create, answer, note = await mention(golive, connector, act.OMAR, 'vote churn no-go "Risky"')

    assert (create.method, create.path) == ("POST", "/v3/conversations")
    assert create.body["members"] == [{"id": act.OMAR.id}]
    assert answer.conversation_id == act.OMAR.personal_chat
    assert "You voted No-go on churn." in texts(answer.card)
    assert note_text(note) == "<at>Omar Said</at>, I've sent you the answer in our personal chat."
    assert await golive.gateway.store.personal(act.TENANT, act.OMAR.id) is not None


async def test_someone_golive_cannot_reach_privately_is_told_how_to_fix_it_and_nothing_else(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    await polling(golive, connector)  # Omar has not installed golive in any way

    calls = await mention(golive, connector, act.OMAR, 'vote churn conditional "After the DPIA"')

    [note] = in_shared(calls)
    assert [c for c in calls if "/activities" in c.path] == [note]  # nothing else sent
    assert note_text(note) == (
        "<at>Omar Said</at>, your command ran, but its answer is for you alone and I cannot "
        "message you privately. Install golive for yourself in Teams (Apps, search for "
        "golive, Add), then ask me again in our personal chat."
    )
    assert "No DPIA yet" not in texts(note.card)

    # The vote counted: once Omar installs golive, changing it says so.
    connector.add_member(act.OMAR.id, act.OMAR.name, installed=True)
    await golive.post(act.personal_installation(connector.url, act.OMAR))
    before = len(connector.calls)
    await golive.post(act.personal_message(connector.url, act.OMAR, "vote churn abstain"))
    [changed] = connector.sent()[-1:]
    assert connector.calls[before:] == [changed]
    assert changed.conversation_id == act.OMAR.personal_chat
    assert "You changed your vote on churn to Abstain." in texts(changed.card)


async def test_help_and_refusals_stay_in_the_thread(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    """They only repeat what the caller typed in front of everyone."""
    golive = golive_teams
    await polling(golive, connector)

    [help_reply] = await mention(golive, connector, act.SARA, "")
    assert help_reply.conversation_id == act.TEAM_CHANNEL
    assert "help checklist" in texts(help_reply.card)

    [refusal] = await mention(golive, connector, act.SARA, "vote churn conditional")
    assert refusal.conversation_id == act.TEAM_CHANNEL
    assert "A conditional vote needs the condition" in texts(refusal.card)
    assert "Usage: " in texts(refusal.card)


async def test_a_private_answer_in_a_group_chat_goes_to_the_personal_chat_too(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    await polling(golive, connector)

    answer, note = await mention(
        golive, connector, act.SARA, "vote churn go", conversation=GROUP_CHAT
    )

    assert answer.conversation_id == act.SARA.personal_chat
    assert "You asked for this in a group chat." in texts(answer.card)
    assert note.conversation_id == GROUP_CHAT["id"]
    assert note_text(note) == "<at>Sara Kim</at>, I've sent you the answer in our personal chat."


async def test_when_teams_fails_the_personal_chat_the_answer_is_not_posted_in_the_channel(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    await polling(golive, connector)

    connector.fail_next(500)
    failed, note = await mention(golive, connector, act.SARA, "vote churn go")

    assert failed.conversation_id == act.SARA.personal_chat  # refused by the fault
    assert note.conversation_id == act.TEAM_CHANNEL
    assert note_text(note) == (
        "<at>Sara Kim</at>, your command ran, but I could not reach our personal chat just "
        "now to show you the answer. Ask me again there in a moment."
    )
