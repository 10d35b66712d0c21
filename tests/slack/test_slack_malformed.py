"""Malformed bodies at golive's real /slack/events: every one gets a 4xx and at most one
line of log, never a traceback — signed ones 400, unsigned ones 401 (as before), oversized
ones 413 before they are read. A payload naming no workspace is refused and creates none."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from slack_harness import TEAM, Slack, sign_bytes
from sqlalchemy import text

from adapters.slack import wire

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"


async def post_raw(
    slack: Slack, raw: bytes, content_type: str, *, signed: bool = True
) -> tuple[int, str]:
    headers = {"Content-Type": content_type, **(sign_bytes(raw) if signed else {})}
    async with slack.session.post(f"{slack.url}/slack/events", data=raw, headers=headers) as r:
        return r.status, await r.text()


def payload(data: object) -> bytes:
    return urlencode({"payload": json.dumps(data)}).encode()


def user() -> dict[str, str]:
    return {"id": "U1", "username": "u1", "team_id": TEAM}


def block_actions(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": user(),
        "trigger_id": "t1",
        "actions": [{"action_id": "golive:x", "value": "{}"}],
    }
    return {**base, **fields}


def view_submission(state: object, **view: object) -> dict[str, object]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": user(),
        "view": {
            "type": "modal",
            "callback_id": "golive:form",
            "private_metadata": "{}",
            "state": state,
            **view,
        },
    }


def event(inner: object, **fields: object) -> bytes:
    body = {"type": "event_callback", "team_id": TEAM, "event_id": "Ev1", "event": inner}
    return json.dumps({**body, **fields}).encode()


DEEP = b"[" * 100_000 + b"]" * 100_000
SIGNED_MALFORMED: dict[str, tuple[bytes, str]] = {
    "invalid JSON": (b'{"type": "event_callback", ', JSON_TYPE),
    "JSON that is a list": (b"[1, 2]", JSON_TYPE),
    "payload that is a list": (payload([1, 2]), FORM),
    "payload that is null": (payload(None), FORM),
    "payload that is not JSON": (b"payload=%7Bnot+json", FORM),
    "actions that are not a list": (payload(block_actions(actions="golive:x")), FORM),
    "actions that are empty": (payload(block_actions(actions=[])), FORM),
    "actions that hold a number": (payload(block_actions(actions=[7])), FORM),
    "action id that is a number": (payload(block_actions(actions=[{"action_id": 7}])), FORM),
    "a button value nested deep": (
        payload(block_actions(actions=[{"action_id": "golive:x", "value": "[" * 3000}])),
        FORM,
    ),
    "team that is a number": (payload(block_actions(team=5)), FORM),
    "user that is a list": (payload(block_actions(user=["U1"])), FORM),
    "state values that are a list": (payload(view_submission({"values": [1]})), FORM),
    "state input that is text": (payload(view_submission({"values": {"b": "x"}})), FORM),
    "state option that is text": (
        payload(
            view_submission(
                {"values": {"b": {"value": {"type": "static_select", "selected_option": "x"}}}}
            )
        ),
        FORM,
    ),
    "state that is a number": (payload(view_submission(7)), FORM),
    "view that is text": (payload({**view_submission({}), "view": "v"}), FORM),
    "invalid UTF-8": (b"payload=\xff\xfe{}", FORM),
    "invalid UTF-8 in JSON": (b'{"type": "\xff"}', JSON_TYPE),
    "event that is a list": (event([{"type": "app_home_opened"}]), JSON_TYPE),
    "event that is null": (event(None), JSON_TYPE),
    "event without a type": (event({"user": "U1"}), JSON_TYPE),
    "authorizations that are text": (event({"type": "x"}, authorizations="all"), JSON_TYPE),
    "deeply nested JSON": (DEEP, JSON_TYPE),
    "deeply nested payload": (b"payload=" + b"%5B" * 50_000, FORM),
    "slash command without a response_url": (
        urlencode({"command": "/golive", "team_id": TEAM, "user_id": "U1"}).encode(),
        FORM,
    ),
}


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_one_line_at_most(log: pytest.LogCaptureFixture) -> None:
    """What the request wrote to the log: no traceback, and at most one warning."""
    for record in log.records:
        assert record.exc_info is None and not record.exc_text, record.getMessage()
        assert "Traceback" not in record.getMessage()
        assert "\n" not in record.getMessage(), record.getMessage()
    warnings = [r for r in log.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 1, [r.getMessage() for r in warnings]
    assert "Traceback" not in log.text


@pytest.mark.parametrize("case", list(SIGNED_MALFORMED))
async def test_a_signed_malformed_body_gets_400_and_one_log_line(
    slack: Slack, log: pytest.LogCaptureFixture, case: str
) -> None:
    raw, content_type = SIGNED_MALFORMED[case]
    status, _ = await post_raw(slack, raw, content_type)
    assert status == 400
    assert_one_line_at_most(log)
    [refusal] = [r for r in log.records if r.levelno >= logging.WARNING]
    assert refusal.getMessage().startswith("slack: refused a malformed request")
    assert slack.fake.calls == []


@pytest.mark.parametrize("case", list(SIGNED_MALFORMED))
async def test_the_same_body_unsigned_gets_401(
    slack: Slack, log: pytest.LogCaptureFixture, case: str
) -> None:
    raw, content_type = SIGNED_MALFORMED[case]
    status, _ = await post_raw(slack, raw, content_type, signed=False)
    assert status == 401
    assert_one_line_at_most(log)
    assert slack.fake.calls == []


async def test_a_body_over_the_limit_gets_413_before_its_signature_is_checked(
    slack: Slack, log: pytest.LogCaptureFixture
) -> None:
    raw = b"payload=" + b"a" * wire.MAX_BODY_BYTES
    status, _ = await post_raw(slack, raw, FORM)
    assert status == 413
    assert_one_line_at_most(log)


async def test_a_chunked_body_over_the_limit_gets_413(
    slack: Slack, log: pytest.LogCaptureFixture
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(wire.MAX_BODY_BYTES // 65536 + 2):
            yield b"a" * 65536

    headers = {"Content-Type": FORM}
    async with slack.session.post(f"{slack.url}/slack/events", data=chunks(), headers=headers) as r:
        assert r.status == 413
    assert_one_line_at_most(log)


async def test_a_deep_action_inside_form_metadata_is_refused_in_the_modal(
    slack: Slack, log: pytest.LogCaptureFixture
) -> None:
    """private_metadata's typed action is JSON inside a JSON string: the body's depth scan
    cannot see it, so the listener bounds it before the core decodes it."""
    metadata = json.dumps({"action": "[" * 3000})
    body = view_submission({"values": {"text": {"value": {"type": "plain_text_input"}}}})
    body["view"]["private_metadata"] = metadata  # type: ignore[index]
    answer = await slack.interact(body)
    assert answer.status == 200
    assert json.loads(answer.text)["response_action"] == "errors"
    assert_one_line_at_most(log)


# --- no workspace ----------------------------------------------------------------------


async def workspaces(slack: Slack) -> int:
    async with slack.runtime.database.engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM workspaces"))).scalar())


def command_without_team(slack: Slack, team: str | None) -> str:
    fields = {
        "command": "/golive",
        "text": 'new churn "Churn model"',
        "user_id": "U1",
        "user_name": "u1",
        "channel_id": "C1",
        "response_url": slack.fake.response_url("noteam"),
        "trigger_id": "t1",
    }
    if team is not None:
        fields["team_id"] = team
    return urlencode(fields)


@pytest.mark.parametrize("team", [None, ""], ids=["missing", "empty"])
async def test_a_slash_command_naming_no_workspace_is_refused(
    slack: Slack, log: pytest.LogCaptureFixture, team: str | None
) -> None:
    answer = await slack.post(command_without_team(slack, team), FORM)
    assert answer.status == 400
    assert await workspaces(slack) == 0
    assert slack.fake.calls == []
    assert_one_line_at_most(log)


async def test_a_click_naming_no_workspace_is_refused(
    slack: Slack, log: pytest.LogCaptureFixture
) -> None:
    await slack.command('new churn "Churn model"')
    before = await workspaces(slack)
    click = block_actions(team=None, user={"id": "U1", "username": "u1"})
    click["response_url"] = slack.fake.response_url("noteam")
    answer = await slack.interact(click)
    assert answer.status == 400
    assert await workspaces(slack) == before == 1
    assert [c for c in slack.fake.calls if c.path.endswith("noteam")] == []


async def test_an_event_naming_no_workspace_is_refused(slack: Slack) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev404",
            "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
        }
    )
    answer = await slack.post(body, JSON_TYPE)
    assert answer.status == 400
    assert await workspaces(slack) == 0
    assert slack.fake.called("views.publish") == []


async def test_well_formed_requests_still_work(slack: Slack) -> None:
    """The checks refuse nothing Slack sends: a command, an event and Slack's URL check."""
    created = await slack.command('new churn "Churn model"')
    assert created["response_type"] == "in_channel"
    opened = await slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, "Ev7")
    assert opened.status == 200
    await slack.fake.wait_for("views.publish")
    check = json.dumps({"token": "legacy", "challenge": "abc", "type": "url_verification"})
    verified = await slack.post(check, JSON_TYPE)
    assert verified.status == 200
    assert json.loads(verified.text) == {"challenge": "abc"}
    ssl_check = await slack.post("ssl_check=1&token=legacy", FORM)
    assert ssl_check.status == 200
