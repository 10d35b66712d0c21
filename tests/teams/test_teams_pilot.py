"""A whole pilot in Teams, from `new` to a closed go/no-go poll with buttons, through
golive's real server, the real core and the outbox, against the fake Bot Connector."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import teams_activities as act
from fake_connector import Call, FakeConnector
from teams_harness import Golive

from bot.clock import MovableClock
from bot.delivery.worker import deliver_due


def texts(card: dict[str, Any]) -> str:
    """Every text in a card, for reading what it says."""
    return json.dumps(card, ensure_ascii=False)


def action(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The button titled ``title`` on a card."""
    for element in card["body"]:
        for candidate in element.get("actions", []):
            if candidate["title"] == title:
                found: dict[str, Any] = candidate
                return found
    raise AssertionError(f"no button {title!r} in {texts(card)}")


async def say(
    golive: Golive,
    connector: FakeConnector,
    user: act.User,
    text: str,
    mentions: list[act.User] | None = None,
) -> Call:
    """``@golive <text>`` in the steering channel; golive's reply in the thread."""
    before = len(connector.calls)
    activity = act.channel_message(connector.url, user, text, mentions=mentions)
    status, _ = await golive.post(activity)
    assert status == 201
    [reply] = connector.calls[before:]
    assert reply.body["replyToId"] == activity["id"]
    return reply


async def deliver(golive: Golive, connector: FakeConnector) -> list[Call]:
    """Run the outbox once, as the delivery job does; what reached the connector."""
    before = len(connector.calls)
    runtime = golive.runtime
    await deliver_due(
        uow_factory=runtime.database.uow, gateways=runtime.gateways, clock=runtime.clock
    )
    return connector.calls[before:]


async def click(
    golive: Golive,
    connector: FakeConnector,
    user: act.User,
    button: dict[str, Any],
    card_id: str,
    inputs: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``user`` presses ``button`` (an Action.Execute, or the Execute inside a ShowCard
    form, filled with ``inputs``) on the channel card ``card_id``."""
    if button["type"] == "Action.ShowCard":
        form = button["card"]
        ids = {element["label"]: element["id"] for element in form["body"] if "id" in element}
        [button] = form["actions"]
        data = {**button["data"], **{ids[label]: value for label, value in (inputs or {}).items()}}
    else:
        data = button["data"]
    assert button["type"] == "Action.Execute" and button["verb"] == "golive"
    assert button["fallback"]["type"] == "Action.Submit"
    invoke = act.card_invoke(connector.url, user, data, conversation=act.CHANNEL(card_id))
    status, body = await golive.post(invoke)
    assert status == 200
    result: dict[str, Any] = body
    return result


async def test_a_pilot_from_new_to_a_closed_poll(
    golive_teams: Golive, connector: FakeConnector, clock: MovableClock
) -> None:
    golive = golive_teams
    for user in (act.AMAL, act.SARA, act.OMAR):
        connector.add_member(user.id, user.name, installed=True)
        await golive.post(act.personal_installation(connector.url, user))
    await golive.post(act.team_conversation_update(connector.url, act.AMAL))

    created = await say(golive, connector, act.AMAL, 'new churn "Churn model"')
    assert "Churn model" in texts(created.card)

    added = await say(
        golive, connector, act.AMAL, "committee churn add {sara} security", mentions=[act.SARA]
    )
    assert added.card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Sara Kim</at>",
            "mentioned": {"id": act.SARA.id, "name": "Sara Kim"},
        }
    ]
    await say(golive, connector, act.AMAL, "committee churn add {omar} legal", mentions=[act.OMAR])

    # The owner's confirmation is for them alone: it goes to their personal chat, and the
    # channel thread only hears where it went.
    before = len(connector.calls)
    await golive.post(act.channel_message(connector.url, act.AMAL, 'poll churn "Ship it?"'))
    opened, note = connector.calls[before:]
    assert opened.conversation_id == act.AMAL.personal_chat
    assert "Poll opened on churn" in texts(opened.card)
    assert note.conversation_id == act.TEAM_CHANNEL
    assert "Poll opened" not in texts(note.card)

    [poll_post] = await deliver(golive, connector)
    assert poll_post.path == f"/v3/conversations/{act.TEAM_CHANNEL}/activities"
    assert "replyToId" not in poll_post.body
    poll_card = poll_post.card
    assert "Ship it?" in texts(poll_card)
    card_id = poll_post.result_id
    assert card_id is not None

    # Sara votes Go with the button: only she sees her confirmation; the card shows turnout.
    answer = await click(golive, connector, act.SARA, action(poll_card, "Go"), card_id)
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "Go" in answer["value"]
    [turnout] = await deliver(golive, connector)
    assert turnout.method == "PUT"
    assert turnout.path == f"/v3/conversations/{act.TEAM_CHANNEL}/activities/{card_id}"
    assert "Sara Kim" in texts(turnout.card)

    # Omar's No-go needs a reason: the button opens a form inside the card.
    no_go = action(turnout.card, "No-go")
    assert no_go["type"] == "Action.ShowCard"
    answer = await click(
        golive,
        connector,
        act.OMAR,
        no_go,
        card_id,
        inputs={no_go["card"]["body"][0]["label"]: "No DPIA yet"},
    )
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    await deliver(golive, connector)

    # The owner's vote is the last one: the poll closes and the channel sees the result.
    await click(golive, connector, act.AMAL, action(turnout.card, "Go"), card_id)
    closing = await deliver(golive, connector)
    # Updates of one card are spaced out (Teams throttles edits): a moment later, it comes.
    clock.move(timedelta(seconds=5))
    closing += await deliver(golive, connector)
    everything = " ".join(texts(c.card) for c in closing)
    assert "NO-GO" in everything.upper()
    assert "No DPIA yet" in everything
    assert all(
        c.conversation_id
        in (
            act.TEAM_CHANNEL,
            act.AMAL.personal_chat,
            act.SARA.personal_chat,
            act.OMAR.personal_chat,
        )
        for c in closing
    )
    final = [c for c in closing if c.method == "PUT" and c.activity_id == card_id]
    assert final, "the poll card is updated in place at close"
    assert all(b.get("type") != "ActionSet" for b in final[-1].card["body"])
