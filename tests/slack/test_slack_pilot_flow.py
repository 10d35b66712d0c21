"""A whole pilot through Slack, from `new` to a closed go/no-go poll: slash commands, clicks
on the very buttons golive posted, the modals they open, and what the fake Slack received."""

from __future__ import annotations

import json

import pytest
from slack_harness import (
    ESCAPED,
    Slack,
    answer_of,
    assert_shown_literally,
    deliver,
    start_pilot,
)


async def test_pilot_from_new_to_a_closed_poll(any_slack: Slack) -> None:
    slack = any_slack
    fake = slack.fake
    await start_pilot(slack)

    # The checklist shows the item literally, with a Done button per item.
    checklist = await slack.raw_command("checklist churn")
    assert any(ESCAPED in json.dumps(b) for b in checklist["blocks"])

    # Chen may not close Badr's item: the modal shows the refusal inline and stays open.
    assert await slack.click(checklist["blocks"], "Done 7", user="U3") is None
    modal = fake.called("views.open")[-1].body["view"]
    assert modal["type"] == "modal"
    assert modal["blocks"][0]["text"]["text"] == ESCAPED
    refused = await slack.submit(modal, {"evidence": "done by chen"}, user="U3")
    assert refused["response_action"] == "errors"
    assert list(refused["errors"]) == [modal["blocks"][-1]["block_id"]]

    # Badr closes it with evidence through the same modal.
    assert await slack.click(checklist["blocks"], "Done 7", user="U2") is None
    modal = fake.called("views.open")[-1].body["view"]
    posted = len(fake.called("chat.postMessage"))
    assert await slack.submit(modal, {"evidence": "https://wiki.example/runbook"}, user="U2") == {}
    announced = (await fake.wait_for("chat.postMessage", posted + 1))[-1].body
    assert announced["channel"] == "C1"
    assert f"*{ESCAPED}*" in announced["blocks"][0]["text"]["text"]
    status = await slack.raw_command("checklist churn")
    lines = [b["text"]["text"] for b in status["blocks"] if b["type"] == "section"]
    assert any(line.startswith(f"7. [x] {ESCAPED}") for line in lines)

    # The owner opens the poll; the card goes to the steering channel through the outbox.
    opened = await slack.raw_command("poll churn")
    assert opened["response_type"] == "ephemeral"
    assert await deliver(slack) >= 1
    [card_post] = [c for c in fake.called("chat.postMessage") if "Go/no-go" in c.body["text"]]
    assert card_post.body["channel"] == "C1"
    card = card_post.body["blocks"]
    card_ts = card_post.answer["ts"]

    # Amal votes Go with the card's button: a private answer through the response_url.
    go = await slack.click(card, "Go", user="U1")
    assert go is not None
    assert go.body["response_type"] == "ephemeral"

    # Badr (security) votes No-go: the button opens a modal asking for the reason.
    assert await slack.click(card, "No-go", user="U2") is None
    nogo_modal = fake.called("views.open")[-1].body["view"]
    assert nogo_modal["title"]["text"] == "No-go"
    empty = await slack.submit(nogo_modal, {"reason": ""}, user="U2")
    assert empty.get("response_action") == "errors"
    assert await slack.submit(nogo_modal, {"reason": "Pen test not done"}, user="U2") == {}

    # Chen votes Go with conditions through the other modal; that is every voter.
    assert await slack.click(card, "Go with conditions", user="U3") is None
    cond_modal = fake.called("views.open")[-1].body["view"]
    assert await slack.submit(cond_modal, {"text": "Rollback drill first"}, user="U3") == {}
    closed = (await answer_of(slack, cond_modal)).body

    assert "*NO-GO* (vetoed by security)" in json.dumps(closed)
    await deliver(slack)
    decision = fake.called("chat.postMessage")[-1].body
    assert decision["channel"] == "C1"
    assert decision["text"] == "Decision on Churn model: NO-GO"
    # The card was updated in place (chat.update with the channel and ts it was posted at).
    updates = fake.called("chat.update")
    assert updates
    assert {(u.body["channel"], u.body["ts"]) for u in updates} == {("C1", card_ts)}
    assert_shown_literally(fake.calls)


async def test_a_slow_submission_closes_the_modal_and_answers_afterwards(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack closes a modal that is not answered within 3 seconds, so golive does not wait
    for a slow command: it acks at once and the refusal comes through the response_url."""
    from adapters.slack import listeners

    await start_pilot(slack)
    checklist = await slack.raw_command("checklist churn")
    assert await slack.click(checklist["blocks"], "Done 7", user="U3") is None
    modal = slack.fake.called("views.open")[-1].body["view"]
    monkeypatch.setattr(listeners, "FORM_INLINE_SECONDS", 0)
    assert await slack.submit(modal, {"evidence": "done by chen"}, user="U3") == {}
    refusal = (await answer_of(slack, modal)).body
    assert refusal["response_type"] == "ephemeral"
    assert refusal["text"].startswith("Only the item's owner")
