"""Malformed bodies posted to /api/messages: each gets a 4xx and one log line, never a
500 with a traceback. Size and nesting are checked before anything is parsed; with an app
id set, a request without a token is refused first, before its body is read."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
import teams_activities as act
from fake_connector import FakeConnector
from scripted_core import ScriptedCore
from teams_harness import Golive, start_golive

from adapters.teams.body import MAX_BODY_BYTES, MAX_DEPTH, nesting_depth
from bot.clock import MovableClock

DEEP = 20_000  # far past any parser's recursion limit, well under the size limit


def deep_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_in_an_activity(service_url: str, depth: int) -> bytes:
    activity = json.dumps(act.personal_message(service_url, act.AMAL, "list")).encode()
    return activity[:-1] + b', "value": ' + deep_array(depth) + b"}"


def bad_bodies(service_url: str) -> dict[str, tuple[bytes, int]]:
    """Name -> (body, the status it must get)."""
    activity = json.dumps(act.personal_message(service_url, act.AMAL, "list")).encode()
    return {
        "null": (b"null", 400),
        "array": (b"[]", 400),
        "number": (b"5", 400),
        "string": (b'"message"', 400),
        "empty": (b"", 400),
        "truncated": (activity[:-7], 400),
        "invalid utf-8": (activity[:-2] + b'\xff\xfe"}', 400),
        "deeply nested array": (deep_array(DEEP), 400),
        "deeply nested object": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, 400),
        "deep inside an activity": (deep_in_an_activity(service_url, DEEP), 400),
        "no type": (b'{"text": "list"}', 400),
        "type not a string": (b'{"type": 5, "text": "list"}', 400),
        "from not an object": (b'{"type": "message", "from": "x"}', 400),
        "too large": (activity[:-1] + b', "x": "' + b"a" * MAX_BODY_BYTES + b'"}', 413),
    }


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore()


@pytest.fixture
async def golive(sqlite_url: str, clock: MovableClock, core: ScriptedCore) -> AsyncIterator[Golive]:
    running = await start_golive(sqlite_url, clock, core=core)
    yield running
    await running.stop()


def assert_one_line_each(caplog: pytest.LogCaptureFixture, requests: int) -> None:
    refusals = [r for r in caplog.records if r.name.startswith("adapters.teams")]
    assert len(refusals) == requests, [r.getMessage() for r in refusals]
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "\n" not in record.getMessage()
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "name",
    list(bad_bodies("http://127.0.0.1:1/")),
)
async def test_a_malformed_body_gets_a_4xx_and_one_log_line(
    golive: Golive,
    connector: FakeConnector,
    core: ScriptedCore,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    body, expected = bad_bodies(connector.url)[name]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, _ = await golive.post_raw(body)
    assert status == expected
    assert core.asked == []
    assert connector.calls == []
    assert_one_line_each(caplog, 1)


async def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(
    golive: Golive, caplog: pytest.LogCaptureFixture
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    caplog.clear()
    async with golive.session.post(
        golive.url + "/api/messages", data=chunks(), headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 413
    assert_one_line_each(caplog, 1)


async def test_with_an_app_id_a_request_without_a_token_gets_401_before_its_body_is_read(
    sqlite_url: str,
    clock: MovableClock,
    connector: FakeConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = ScriptedCore()
    golive = await start_golive(sqlite_url, clock, core=core, app_id="an-app-id")
    try:
        caplog.clear()
        bodies = bad_bodies(connector.url)
        for name, (body, _) in bodies.items():
            for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}):
                status, _ = await golive.post_raw(body, headers=headers)
                assert status == 401, name
        assert core.asked == []
        assert_one_line_each(caplog, 2 * len(bodies))
        # With a token (any: it is checked after the body), a bad body is a 400.
        bearer = {"Authorization": "Bearer x.y.z"}
        assert (await golive.post_raw(b"null", headers=bearer))[0] == 400
        assert (await golive.post_raw(deep_array(DEEP), headers=bearer))[0] == 400
    finally:
        await golive.stop()


def test_nesting_is_measured_outside_strings() -> None:
    assert nesting_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert nesting_depth(b'{"a": "\\"[[[[", "b": []}') == 2
    assert nesting_depth(b"[" * (MAX_DEPTH + 1)) == MAX_DEPTH + 1
    assert nesting_depth(b"") == 0
    assert nesting_depth(b'"unterminated [[[[') == 0


def test_a_pathological_body_is_measured_in_one_pass() -> None:
    """Unterminated strings full of escaped quotes made a naive string pattern rescan the
    rest of the body from every quote: quadratic, a few such requests a denial of service."""
    body = b'"' + b'\\"' * (MAX_BODY_BYTES // 2) + b"\\"
    assert nesting_depth(body) == 0
