"""The App Home tab: overdue items, polls waiting for a vote, pilots owned."""

from __future__ import annotations

import json
from datetime import timedelta

from slack_harness import TEAM, Slack, assert_shown_literally
from slack_sdk.models.views import View

from adapters.slack import render
from bot.clock import MovableClock
from bot.commands import Home
from bot.context import Caller

ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &amp; co"


async def open_home(slack: Slack, user: str, event_id: str) -> dict[str, object]:
    before = len(slack.fake.called("views.publish"))
    await slack.event({"type": "app_home_opened", "user": user, "tab": "home"}, event_id)
    calls = await slack.fake.wait_for("views.publish", before + 1)
    call = calls[-1]
    assert call.body["user_id"] == user
    return dict(call.body["view"])


async def test_home_lists_overdue_items_polls_and_owned_pilots(slack: Slack) -> None:
    await slack.raw_command('new churn "Churn model"')
    await slack.raw_command("committee churn add <@U2|badr> security")
    await slack.raw_command(f'checklist churn add "{ESCAPED}" owner:<@U2|badr> due:tomorrow')
    await slack.raw_command("poll churn")
    clock = slack.runtime.clock
    assert isinstance(clock, MovableClock)
    clock.move(timedelta(days=3))

    badr = json.dumps(await open_home(slack, "U2", "EvH1"))
    assert f"#7 {ESCAPED}" in badr  # overdue, shown literally
    assert "Should Churn model go to production?" in badr  # waiting for Badr's vote
    assert "You own no pilot." in badr

    amal_view = await open_home(slack, "U1", "EvH2")
    amal = json.dumps(amal_view)
    assert "Nothing overdue" in amal  # item 7 is Badr's; template items are not due yet
    assert "*churn* Churn model" in amal

    # A button in the Home tab has no response_url: the answer comes as a direct message
    # and the tab is refreshed.
    blocks = amal_view["blocks"]
    assert isinstance(blocks, list)
    payload = slack.block_actions(blocks, "Status churn", user="U1", where="home")
    payload.pop("response_url")
    payload.pop("channel")
    payload["container"] = {"type": "view", "view_id": "V1"}
    published = len(slack.fake.called("views.publish"))
    assert (await slack.interact(payload)).status == 200
    await slack.fake.wait_for("views.publish", published + 1)
    dm = [c for c in slack.fake.called("chat.postMessage") if c.body["channel"] == "DU1"]
    assert dm and "churn" in dm[-1].body["text"]
    assert slack.fake.called("conversations.open")[-1].body["users"] == "U1"
    assert_shown_literally(slack.fake.calls)


async def test_the_home_tab_is_the_cores_home_view_as_valid_block_kit(slack: Slack) -> None:
    await slack.raw_command('new churn "Churn model"')
    await slack.raw_command(f'checklist churn add "{ESCAPED}" due:tomorrow')
    clock = slack.runtime.clock
    assert isinstance(clock, MovableClock)
    clock.move(timedelta(days=2))

    view = await open_home(slack, "U1", "EvH5")

    View(**view).validate_json()
    amal = Caller(platform="slack", workspace_id=TEAM, user_id="U1")
    typed = await slack.runtime.golive.execute(amal, Home())  # `/golive home`
    assert view == render.home_view(typed.blocks)
    assert "Status churn" in json.dumps(view) and "Checklist churn" in json.dumps(view)


async def test_someone_golive_has_never_met_is_welcomed_and_nothing_is_stored(
    slack: Slack,
) -> None:
    view = await open_home(slack, "U3", "EvH6")

    View(**view).validate_json()
    assert "Nothing here yet" in json.dumps(view)
    async with slack.runtime.golive.uow_factory() as uow:
        assert await uow.workspaces.get_by_external("slack", TEAM) is None

    await slack.raw_command('new churn "Churn model"')  # Amal meets golive; Chen does not
    assert "Nothing here yet" in json.dumps(await open_home(slack, "U3", "EvH7"))
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", TEAM)
        assert workspace is not None and workspace.id is not None
        assert await uow.people.get_by_external(workspace.id, "U3") is None
