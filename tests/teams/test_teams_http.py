"""The /api/messages endpoint with a scripted core: what Teams sends becomes the right
command and caller, and every answer reaches the fake Bot Connector the right way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import teams_activities as act
from fake_connector import FakeConnector
from scripted_core import ScriptedCore
from teams_harness import Golive, start_golive

from adapters.teams.render import render_card
from bot import actions
from bot import commands as c
from bot.actions import Draft
from bot.clock import MovableClock
from bot.messages import Actions, Button, Message, Paragraph, say, spans
from bot.parsing import Reference


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore()


@pytest.fixture
async def golive(sqlite_url: str, clock: MovableClock, core: ScriptedCore) -> AsyncIterator[Golive]:
    running = await start_golive(sqlite_url, clock, core=core)
    yield running
    await running.stop()


GO = act.clicked(c.CastVote(key="churn", choice="go"))

POLL = Message(
    text="Go/no-go: churn",
    blocks=[
        Paragraph(spans=spans("Go/no-go: churn — 1 of 3 voted")),
        Actions(buttons=[Button(label="Go", action=c.CastVote(key="churn", choice="go"))]),
    ],
)


async def test_personal_chat_takes_plain_text_and_the_callers_zone(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    activity = act.personal_message(connector.url, act.AMAL, " status churn ")
    status, _ = await golive.post(activity)

    assert status == 201
    [(caller, text)] = core.asked
    assert text == "status churn"
    assert caller.model_dump() == {
        "platform": "teams",
        "workspace_id": act.TENANT,
        "user_id": "29:amal",
        "user_name": "Amal Haddad",
        "channel_id": act.AMAL.personal_chat,
        "channel_name": None,
        "is_admin": False,
        "timezone": "Asia/Dubai",
        "locale": "en-US",
    }
    [reply] = connector.sent()
    assert reply.path == f"/v3/conversations/{act.AMAL.personal_chat}/activities/{activity['id']}"
    assert reply.card == render_card(say("ran status churn"))


async def test_channel_mention_strips_golive_and_turns_other_mentions_into_tokens(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    activity = act.channel_message(
        connector.url, act.AMAL, "committee churn add {sara} security", mentions=[act.SARA]
    )
    await golive.post(activity)

    [(caller, text)] = core.asked
    assert text == "committee churn add @Sara Kim security"
    assert core.references == [[Reference(20, 29, "29:sara", "Sara Kim")]]
    assert caller.channel_id == act.TEAM_CHANNEL
    assert caller.channel_name == "steering"
    [reply] = connector.sent()
    assert reply.conversation_id == act.TEAM_CHANNEL  # replied in the thread of the mention
    assert reply.body["replyToId"] == activity["id"]


async def test_a_bare_mention_asks_for_help(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    await golive.post(act.channel_message(connector.url, act.AMAL, ""))
    assert core.texts == ["help"]


async def test_action_execute_replaces_the_card_with_the_new_one(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    """The invoke fix: botbuilder 4.17 answers 500 here."""
    core.answers["vote churn go"] = POLL
    invoke = act.card_invoke(connector.url, act.SARA, GO, conversation=act.CHANNEL("77"))

    status, body = await golive.post(invoke)

    assert status == 200
    assert body == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.card.adaptive",
        "value": render_card(POLL),
    }
    assert core.texts == ["vote churn go"]
    assert core.asked[0][0].user_id == "29:sara"
    assert connector.sent() == []  # the invoke response is the only answer


async def test_a_private_answer_to_a_click_goes_to_the_clicker_only(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    invoke = act.card_invoke(connector.url, act.OMAR, GO, conversation=act.CHANNEL("77"))
    status, body = await golive.post(invoke)

    assert status == 200
    assert body == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": "ran vote churn go",
    }
    assert connector.calls == []


async def test_form_values_become_the_forms_command(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    data = {
        "action": actions.encode(Draft.of(c.CastVote, key="churn", choice="conditional")),
        "form": "f1",
        "f1.text": 'after the "DPIA" sign-off',
        "f0.other": "ignored",
    }
    await golive.post(
        act.card_invoke(connector.url, act.SARA, data, conversation=act.CHANNEL("77"))
    )
    assert core.texts == ['vote churn conditional text:"after the \\"DPIA\\" sign-off"']


async def test_an_unknown_verb_changes_nothing(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    invoke = act.card_invoke(connector.url, act.SARA, {}, conversation=act.CHANNEL("77"))
    invoke["value"]["action"]["verb"] = "other"
    status, body = await golive.post(invoke)
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert core.asked == []


async def test_action_submit_updates_the_clicked_card_in_place(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    core.answers["vote churn go"] = POLL
    submit = act.card_submit(
        connector.url,
        act.SARA,
        GO,
        conversation=act.CHANNEL("77"),
        reply_to="card-77",
    )
    status, _ = await golive.post(submit)

    assert status == 201
    [update] = connector.updates()
    assert update.conversation_id == act.TEAM_CHANNEL + ";messageid=77"  # the thread
    assert update.activity_id == "card-77"
    assert update.card == render_card(POLL)
    assert connector.sent() == []


async def test_action_submit_with_a_private_answer_in_a_channel_goes_to_the_personal_chat(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    connector.add_member(act.SARA.id, act.SARA.name, installed=True)
    submit = act.card_submit(
        connector.url,
        act.SARA,
        GO,
        conversation=act.CHANNEL("77"),
        reply_to="card-77",
    )
    await golive.post(submit)
    assert connector.updates() == []
    [answer] = connector.sent(act.SARA.personal_chat)
    assert answer.card["body"][0]["text"] == "ran vote churn go"
    [note] = connector.sent(act.TEAM_CHANNEL + ";messageid=77")
    assert "ran vote churn go" not in str(note.body)


async def test_in_a_personal_chat_even_a_private_answer_replaces_the_clicked_card(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    """A reminder's Mark done becomes its confirmation; nobody else sees the chat."""
    done = act.card_invoke(
        connector.url,
        act.SARA,
        act.clicked(c.ChecklistDone(key="churn", number=3)),
        conversation=act.PERSONAL(act.SARA),
    )
    status, body = await golive.post(done)
    assert status == 200
    assert body == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.card.adaptive",
        "value": render_card(say("ran checklist churn done 3")),
    }

    submit = act.card_submit(
        connector.url,
        act.SARA,
        act.clicked(c.ChecklistDone(key="churn", number=4)),
        conversation=act.PERSONAL(act.SARA),
        reply_to="card-5",
    )
    await golive.post(submit)
    [update] = connector.updates()
    assert update.path == f"/v3/conversations/{act.SARA.personal_chat}/activities/card-5"
    assert update.card == render_card(say("ran checklist churn done 4"))
    assert connector.sent() == []


async def test_throttled_replies_are_retried_after_the_wait_teams_asks_for(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    connector.fail_next(429, retry_after="7")
    connector.fail_next(502)
    connector.fail_next(412)
    await golive.post(act.personal_message(connector.url, act.AMAL, "list"))

    assert len(connector.sent()) == 4  # three refused, the fourth delivered
    assert golive.waits[0] == 7.0
    assert len(golive.waits) == 3


async def test_a_refusal_that_retrying_cannot_fix_is_not_retried(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    connector.fail_next(400)
    await golive.post(act.personal_message(connector.url, act.AMAL, "list"))
    assert len(connector.sent()) == 1
    assert golive.waits == []


async def test_local_mode_refuses_a_service_url_off_this_machine(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    """Without an app id nothing is authenticated: golive must not be steered into
    calling, or acting for, anything but a local Emulator or Playground."""
    activity = act.personal_message("https://smba.example.net/emea/", act.AMAL, "list")
    status, _ = await golive.post(activity)

    assert status == 401
    assert core.asked == []
    assert await golive.gateway.store.any_in_tenant(act.TENANT) is None


async def test_requests_that_are_not_activities_are_refused(golive: Golive) -> None:
    async with golive.session.post(golive.url + "/api/messages", data="nope") as response:
        assert response.status == 415
    async with golive.session.post(
        golive.url + "/api/messages", data="{", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    status, _ = await golive.post({"text": "no type"})
    assert status == 400


async def test_group_chat_mentions_work_like_a_channel(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    core.answers["status churn"] = say("ran status churn", private=False)
    activity = act.channel_message(connector.url, act.OMAR, "status churn")
    activity["conversation"] = {
        "id": "19:chat@thread.v2",
        "conversationType": "groupChat",
        "isGroup": True,
        "tenantId": act.TENANT,
    }
    activity["channelData"] = {"tenant": {"id": act.TENANT}}
    await golive.post(activity)

    [(caller, text)] = core.asked
    assert (text, caller.channel_id, caller.channel_name) == (
        "status churn",
        "19:chat@thread.v2",
        None,
    )
    [reply] = connector.sent("19:chat@thread.v2")
    assert reply.card == render_card(say("ran status churn", private=False))
    saved = await golive.gateway.store.by_conversation(act.TENANT, "19:chat@thread.v2")
    assert saved is not None and saved["conversation"]["conversationType"] == "groupChat"
