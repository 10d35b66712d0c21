"""Buttons carry typed actions through Slack's real HTTP path: a Done button on an item
whose title is full of ``<``, ``>`` and ``&`` opens its modal and closes the item, and a
forged or tampered payload is refused and changes nothing."""

from __future__ import annotations

import json
from typing import Any

from slack_harness import TEAM, Slack
from slack_sdk.models.blocks import ActionsBlock
from slack_sdk.models.views import View

from bot.pilots.models import ItemStatus

TITLE = 'Check <b> & "quotes" > all'
REFUSED = "That button is not golive's, or no longer works."


async def item_status(slack: Slack, title: str) -> ItemStatus:
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", TEAM)
        assert workspace is not None and workspace.id is not None
        pilot = await uow.pilots.get_by_key(workspace.id, "churn")
        assert pilot is not None
        [item] = [i for i in pilot.items if i.title == title]
        return item.status


async def checklist_with(slack: Slack, title: str) -> tuple[list[dict[str, Any]], str]:
    """churn with an item titled ``title`` that needs evidence; the checklist's blocks and
    the label of that item's Done button."""
    await slack.command('new churn "Churn model"')
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    added = await slack.command(f'checklist churn add "{quoted}" evidence')
    assert added["response_type"] == "in_channel", added
    checklist = await slack.raw_command("checklist churn")
    return checklist["blocks"], "Done 7"


async def test_a_done_button_on_a_title_full_of_markup_closes_the_item(slack: Slack) -> None:
    blocks, done = await checklist_with(slack, TITLE)
    for block in blocks:
        if block["type"] == "actions":
            ActionsBlock(**block).validate_json()
            assert all(len(e["value"]) <= 2000 for e in block["elements"])

    assert await slack.click(blocks, done) is None  # the form is asked of the core
    modal = slack.fake.called("views.open")[-1].body["view"]
    View(**modal).validate_json()
    assert modal["blocks"][0]["text"]["text"] == 'Check &lt;b&gt; &amp; "quotes" &gt; all'
    refused = await slack.submit(modal, {"evidence": ""})
    assert refused["response_action"] == "errors"  # evidence needed: shown in the modal
    assert await item_status(slack, TITLE) == ItemStatus.OPEN

    posted = len(slack.fake.called("chat.postMessage"))
    assert await slack.submit(modal, {"evidence": "https://wiki.example/check"}) == {}
    announced = (await slack.fake.wait_for("chat.postMessage", posted + 1))[-1].body
    assert 'Check &lt;b&gt; &amp; "quotes" &gt; all' in announced["blocks"][0]["text"]["text"]
    assert await item_status(slack, TITLE) == ItemStatus.DONE


async def test_a_title_past_any_button_size_still_opens_its_form(slack: Slack) -> None:
    """The whole form used to ride in the button: a long title full of markup (6 characters
    each once JSON-escaped for Slack) pushed it past 2000 and the button failed."""
    title = "<&>" * 166  # 498 characters, under the 500 a title may have
    blocks, done = await checklist_with(slack, title)
    [button] = [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == done
    ]
    assert len(button["value"]) < 100
    assert await slack.click(blocks, done) is None
    modal = slack.fake.called("views.open")[-1].body["view"]
    assert await slack.submit(modal, {"evidence": "drill passed"}) == {}
    assert await item_status(slack, title) == ItemStatus.DONE


FORGED = [
    "checklist churn done 7",  # command text, as buttons carried before
    '{"v":2,"c":"ChecklistDone","a":{"key":"churn","number":7}}',  # another version
    '{"v":1,"c":"DropTables","a":{}}',  # no such command
    '{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":"7; drop"}}',  # a bad field
    '{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":7,"by":"U9"}}',  # an extra one
    '{"v":1,"c":"CastVote","a":{"key":"churn","choice":"no-go"}}',  # no reason
    '{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":7}',  # cut short
]


async def test_a_forged_or_tampered_action_is_refused_and_changes_nothing(slack: Slack) -> None:
    blocks, done = await checklist_with(slack, "Rollback drill")
    go = await slack.command("poll churn")
    assert go["response_type"] == "ephemeral"
    for value in FORGED:
        payload = slack.block_actions(blocks, done, user="U1", where=f"forged-{len(value)}")
        payload["actions"][0]["action_id"] = "golive:1"
        payload["actions"][0]["value"] = value
        assert (await slack.interact(payload)).status == 200
        answer = (await slack.answer(f"/respond/forged-{len(value)}")).body
        assert answer["response_type"] == "ephemeral", value
        assert answer["text"] == REFUSED, value
    assert await item_status(slack, "Rollback drill") == ItemStatus.OPEN
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", TEAM)
        assert workspace is not None and workspace.id is not None
        pilot = await uow.pilots.get_by_key(workspace.id, "churn")
        assert pilot is not None and pilot.id is not None
        poll = await uow.polls.get_open(pilot.id)
        assert poll is not None and all(not vote.choice for vote in poll.votes)


async def test_a_tampered_form_button_opens_nothing(slack: Slack) -> None:
    blocks, done = await checklist_with(slack, "Rollback drill")
    opened = len(slack.fake.called("views.open"))
    for value, expected in (
        ('{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":7},"f":"no-such-form"}', REFUSED),
        ('{"v":1,"c":"Status","a":{"key":"churn"},"f":"checklist-done"}', REFUSED),
        (
            '{"v":1,"c":"ChecklistDone","a":{"key":"churn","number":99},"f":"checklist-done"}',
            "Pilot churn has no item 99; `checklist churn` shows them.",
        ),
    ):
        payload = slack.block_actions(blocks, done, user="U1", where=f"form-{len(value)}")
        payload["actions"][0]["value"] = value
        assert (await slack.interact(payload)).status == 200
        answer = (await slack.answer(f"/respond/form-{len(value)}")).body
        assert (answer["response_type"], answer["text"]) == ("ephemeral", expected)
    assert len(slack.fake.called("views.open")) == opened


async def test_a_tampered_modal_is_refused_in_the_modal(slack: Slack) -> None:
    blocks, done = await checklist_with(slack, "Rollback drill")
    assert await slack.click(blocks, done) is None
    modal = slack.fake.called("views.open")[-1].body["view"]
    metadata = json.loads(modal["private_metadata"])
    metadata["action"] = metadata["action"].replace('"number":7', '"number":"seven"')
    tampered = {**modal, "private_metadata": json.dumps(metadata)}
    answer = await slack.submit(tampered, {"evidence": "https://wiki.example/drill"})
    assert answer == {"response_action": "errors", "errors": {"evidence": REFUSED}}
    assert await item_status(slack, "Rollback drill") == ItemStatus.OPEN
