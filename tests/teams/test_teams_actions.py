"""Card actions carry typed actions through Teams' /api/messages: a Done button on an item
whose title is full of ``<``, ``>`` and ``&`` closes it, a forged or tampered payload is
refused and changes nothing, and mentions reach the core as references. Through golive's
real server, core and store, against the fake Bot Connector."""

from __future__ import annotations

import json
from typing import Any

import teams_activities as act
from botbuilder.schema import Activity
from fake_connector import FakeConnector
from teams_harness import Golive
from teams_story import churn_with_committee, mention

from adapters.teams.inbound import to_typed
from bot.parsing import Reference
from bot.pilots.models import ItemStatus

TITLE = 'Check <b> & "quotes" > all'
REFUSED = "That button is not golive's, or no longer works."


async def item_status(golive: Golive, title: str) -> ItemStatus:
    async with golive.runtime.database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("teams", act.TENANT)
        assert workspace is not None and workspace.id is not None
        pilot = await uow.pilots.get_by_key(workspace.id, "churn")
        assert pilot is not None
        [item] = [i for i in pilot.items if i.title == title]
        return item.status


def done_form(card: dict[str, Any], label: str) -> dict[str, Any]:
    """The ShowCard form of the button labelled ``label`` on a card."""
    for element in card["body"]:
        for action in element.get("actions", []):
            if action["title"] == label:
                assert action["type"] == "Action.ShowCard"
                form: dict[str, Any] = action["card"]
                return form
    raise AssertionError(f"no button {label!r} in {json.dumps(card)}")


async def invoke(
    golive: Golive, connector: FakeConnector, data: dict[str, Any], conversation: dict[str, Any]
) -> dict[str, Any]:
    status, body = await golive.post(
        act.card_invoke(connector.url, act.AMAL, data, conversation=conversation)
    )
    assert status == 200
    result: dict[str, Any] = body
    return result


async def checklist_card(golive: Golive, connector: FakeConnector, title: str) -> dict[str, Any]:
    """churn, with an item titled ``title`` that needs evidence; Amal's checklist card."""
    await churn_with_committee(golive, connector)
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    await mention(golive, connector, act.AMAL, f'checklist churn add "{quoted}" evidence')
    before = len(connector.calls)
    await golive.post(act.personal_message(connector.url, act.AMAL, "checklist churn"))
    [reply] = connector.calls[before:]
    assert reply.conversation_id == act.AMAL.personal_chat
    return reply.card


async def test_a_done_button_on_a_title_full_of_markup_closes_the_item(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    card = await checklist_card(golive, connector, TITLE)
    form = done_form(card, "Done 7")
    assert 'Check <\u200bb> & "quotes" >' in form["body"][0]["text"]  # shown, never obeyed
    [submit] = form["actions"]
    evidence = next(e["id"] for e in form["body"] if e.get("type") == "Input.Text")
    data = {**submit["data"], evidence: "https://wiki.example/check"}

    answer = await invoke(golive, connector, data, act.PERSONAL(act.AMAL))

    assert answer["type"] == "application/vnd.microsoft.card.adaptive"  # the card's new face
    assert "marked item 7 of churn done" in json.dumps(answer["value"])
    assert await item_status(golive, TITLE) == ItemStatus.DONE


async def test_a_forged_or_tampered_action_is_refused_and_changes_nothing(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    golive = golive_teams
    card = await checklist_card(golive, connector, "Rollback drill")
    [submit] = done_form(card, "Done 7")["actions"]
    draft = submit["data"]["action"]
    forged = [
        {"command": "checklist churn done 7"},  # command text, as cards carried before
        {"action": '{"v":2,"c":"ChecklistDone","a":{"key":"churn","number":7}}'},
        {"action": '{"v":1,"c":"DropTables","a":{}}'},
        {"action": '{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":"7; drop"}}'},
        {"action": draft[:-5]},  # cut short
        {"action": draft.replace('"number":7', '"number":"x"'), "form": "f0", "f0.evidence": "x"},
        {"action": draft.replace("ChecklistDone", "Nope"), "form": "f0", "f0.evidence": "x"},
    ]
    for data in forged:
        answer = await invoke(golive, connector, data, act.CHANNEL("77"))
        assert answer == {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": REFUSED,
        }, data
    assert await item_status(golive, "Rollback drill") == ItemStatus.OPEN


def test_mentions_become_references_and_golives_own_is_dropped() -> None:
    tag, sara = act.mention_of(act.SARA)
    golive_tag, golive = act.mention_of(act.BOT)
    activity = Activity().deserialize(
        {
            "type": "message",
            "text": f"{golive_tag}  committee churn add {tag}\u00a0 security {tag}",
            "recipient": act.BOT,
            "entities": [golive, sara],
        }
    )
    assert to_typed(activity) == (
        "committee churn add @Sara Kim security @Sara Kim",
        [
            Reference(20, 29, act.SARA.id, "Sara Kim"),
            Reference(39, 48, act.SARA.id, "Sara Kim"),
        ],
    )
