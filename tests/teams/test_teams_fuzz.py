"""Random bodies posted to the real /api/messages in local mode, in front of the real core:
bytes, JSON of any shape and depth, and activity-shaped objects whose fields hold anything.
Every answer is below 500 and no traceback reaches the log."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import teams_activities as act
from fake_connector import FakeConnector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from teams_harness import Golive, start_golive

from adapters.teams.body import MAX_DEPTH
from bot import actions
from bot import commands as c
from bot.clock import MovableClock

CLOSED_PORT = "http://127.0.0.1:9/"  # nothing listens: sends fail fast, on loopback
ELSEWHERE = "https://smba.example.net/emea/"

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)


def short(max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(max_size=max_size)


def nested(depth: int, opener: str) -> str:
    if opener == "[":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


deep_json = st.builds(nested, st.integers(1, 4 * MAX_DEPTH), st.sampled_from("[{"))


def mostly(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the shape Teams sends, sometimes anything at all."""
    return st.one_of(shaped, shaped, shaped, any_json)


account = mostly(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["29:amal", "29:sara", "28:golive-bot"]) | short()},
        optional={"name": short(), "aadObjectId": short(), "role": short(5)},
    )
)
conversation = mostly(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["a:personal-29:amal", "19:steering@thread.tacv2"]) | short()},
        optional={
            "conversationType": st.sampled_from(["personal", "channel", "groupChat"]) | short(5),
            "tenantId": st.sampled_from(["tenant-1"]) | short(5),
            "isGroup": st.booleans(),
        },
    )
)
entity = (
    st.fixed_dictionaries(
        {"type": st.sampled_from(["mention", "clientInfo"]) | short(5)},
        optional={"text": st.just("<at>golive</at>") | any_json, "mentioned": account},
    )
    | any_json
)
channel_data = (
    st.fixed_dictionaries(
        {},
        optional={
            "tenant": st.fixed_dictionaries({"id": short(5)}) | any_json,
            "channel": st.fixed_dictionaries({"id": short(), "name": short()}) | any_json,
            "team": any_json,
            "eventType": short(),
        },
    )
    | any_json
)
card_data = (
    st.fixed_dictionaries(
        {},
        optional={
            "action": st.just(actions.encode(c.CastVote(key="churn", choice="go"))) | short(40),
            "form": short(5),
        },
    )
    | any_json
)
value = (
    st.fixed_dictionaries(
        {
            "action": st.fixed_dictionaries(
                {"type": st.just("Action.Execute"), "verb": st.sampled_from(["golive", "x"])},
                optional={"data": card_data},
            )
            | any_json
        },
        optional={"trigger": short(6)},
    )
    | card_data
)
texts = st.sampled_from(["help", "list", 'new churn "Churn"', "status churn", ""]) | short(40)


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "type": st.sampled_from(["message", "invoke", "conversationUpdate", "event"]) | short(10),
    "serviceUrl": st.sampled_from([CLOSED_PORT, ELSEWHERE, "h://127.0.0.1"]) | any_json,
    "id": short() | any_json,
    "channelId": st.sampled_from(["msteams", "emulator"]) | any_json,
    "from": account,
    "recipient": account,
    "conversation": conversation,
    "text": texts | any_json,
    "entities": st.lists(entity, max_size=3) | any_json,
    "channelData": channel_data,
    "value": value | any_json,
    "name": st.sampled_from(["adaptiveCard/action", "signin/verifyState"]) | short(5),
    "replyToId": short(6) | any_json,
    "locale": st.sampled_from(["en-US", "ar-SA"]) | short(6) | any_json,
    "localTimezone": st.sampled_from(["Asia/Dubai", "Not/A_Zone"]) | short(6) | any_json,
    "action": st.sampled_from(["add", "remove"]) | any_json,
    "membersAdded": st.lists(account, max_size=2) | any_json,
    "membersRemoved": st.lists(account, max_size=2) | any_json,
    "attachments": any_json,
    "timestamp": short(30) | any_json,
}


def activities(service_url: str) -> st.SearchStrategy[dict[str, Any]]:
    """An activity as Teams sends it, with up to three fields replaced by anything."""
    base = st.one_of(
        st.builds(act.personal_message, st.just(service_url), st.just(act.AMAL), texts),
        st.builds(act.channel_message, st.just(service_url), st.just(act.SARA), texts),
        st.builds(
            act.card_invoke,
            st.just(service_url),
            st.just(act.SARA),
            card_data,
            conversation=st.sampled_from([act.CHANNEL("9"), act.PERSONAL(act.SARA)]),
        ),
        st.builds(
            act.card_submit,
            st.just(service_url),
            st.just(act.AMAL),
            card_data,
            conversation=st.just(act.PERSONAL(act.AMAL)),
            reply_to=short(6),
        ),
        st.builds(act.personal_installation, st.just(service_url), st.just(act.OMAR)),
        st.builds(act.team_conversation_update, st.just(service_url), st.just(act.AMAL)),
    )
    changes = st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: FIELDS[name] for name in names})
    )
    return st.builds(lambda activity, changed: {**activity, **changed}, base, changes)


def bodies(service_url: str) -> st.SearchStrategy[bytes]:
    """Half activities (mostly well formed), half anything: bytes, JSON, deep nesting."""
    dumped = st.one_of(any_json, deep_json.map(json.loads)).map(json.dumps).map(str.encode)
    anything = st.one_of(st.binary(max_size=300), deep_json.map(str.encode), dumped)
    activity = activities(service_url).map(json.dumps).map(str.encode)
    return st.one_of(anything, activity)


class Recorded(logging.Handler):
    """Every log record, from every logger, while installed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def assert_no_traceback(records: list[logging.LogRecord]) -> None:
    for record in records:
        assert record.exc_info is None, f"{record.name}: {record.getMessage()}"
        assert "Traceback" not in record.getMessage(), record.getMessage()


def test_random_bodies_never_crash_the_teams_endpoint(sqlite_url: str, clock: MovableClock) -> None:
    log = Recorded()
    root = logging.getLogger()
    root.addHandler(log)
    with asyncio.Runner() as runner:
        connector = FakeConnector()
        runner.run(connector.start())
        golive: Golive = runner.run(start_golive(sqlite_url, clock))
        statuses: list[int] = []
        try:

            @settings(
                max_examples=300,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )
            @given(body=bodies(connector.url))
            def post(body: bytes) -> None:
                log.records.clear()
                status, answer = runner.run(golive.post_raw(body))
                statuses.append(status)
                assert status < 500, (status, answer[:300])
                assert_no_traceback(log.records)

            post()
        finally:
            runner.run(golive.stop())
            runner.run(connector.stop())
            root.removeHandler(log)

    assert {400, 401, 201} <= set(statuses)  # refused, steered elsewhere, and run
