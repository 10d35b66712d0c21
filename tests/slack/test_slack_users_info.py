"""`committee add` in Slack while users.info fails for the person it names (rate limited,
or the app lacks the users:read scope): the person is added by their id and the channel
hears it, instead of "Something went wrong on our side"."""

from __future__ import annotations

import pytest
from slack_harness import Slack, start_pilot

JSON = dict[str, object]

RATELIMITED = (429, {"Retry-After": "0"}, {"ok": False, "error": "ratelimited"})
MISSING_SCOPE = (200, {}, {"ok": False, "error": "missing_scope", "needed": "users:read"})


@pytest.mark.parametrize(
    ("answer", "times"),
    # The client waits out a 429 three times before it gives up.
    [(RATELIMITED, 4), (MISSING_SCOPE, 1)],
    ids=["ratelimited", "missing_scope"],
)
async def test_committee_add_when_users_info_fails_adds_the_person_by_id(
    slack: Slack, answer: tuple[int, dict[str, str], JSON], times: int
) -> None:
    await start_pilot(slack)  # the caller's users.info is cached by now
    asked = len(slack.fake.called("users.info"))
    status, headers, body = answer
    for _ in range(times):
        slack.fake.fail("users.info", status, body, headers)

    added = await slack.raw_command("committee churn add <@U9|nine> legal")

    looked_up = slack.fake.called("users.info")[asked:]
    assert [c.body["user"] for c in looked_up] == ["U9"] * times
    assert [c.status for c in looked_up] == [status] * times
    assert added["response_type"] == "in_channel"
    assert added["text"] == "@U9 joined the churn committee as legal (voting)."
    assert added["blocks"][0]["text"]["text"].startswith("<@U9> joined the churn committee")
    async with slack.runtime.golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "T1")
        assert workspace is not None
        person = await uow.people.get_by_external(workspace.stored_id, "U9")
        assert person is not None
        assert (person.name, person.timezone) == ("U9", None)
        pilot = await uow.pilots.get_by_key(workspace.stored_id, "churn")
        assert pilot is not None
        assert pilot.member(person.stored_id) is not None
