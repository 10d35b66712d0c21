"""Local mode (no MICROSOFT_APP_ID, no authentication) serves only this machine: golive
must listen on loopback, and the request must come from loopback. The attack it stops:
golive on 0.0.0.0, a request to the host's network address with a loopback serviceUrl ran
`new evil` as a person the caller made up."""

from __future__ import annotations

from typing import Any

import pytest
import teams_activities as act
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from fake_connector import FakeConnector
from scripted_core import ScriptedCore
from teams_harness import Golive, start_golive, start_server

from adapters import serve as serve_module
from adapters.settings import load_settings
from adapters.teams import local
from bot.clock import MovableClock

EVIL = act.User("29:invented", "Nobody Real")
SOMEWHERE_ELSE = "203.0.113.7"  # TEST-NET-3: never routed; only ever a forged peer here


@web.middleware
async def from_afar(request: web.Request, handler: Any) -> web.StreamResponse:
    """The connection arrives as if from another machine (nothing leaves loopback)."""
    response: web.StreamResponse = await handler(request.clone(remote=SOMEWHERE_ELSE))
    return response


async def nothing_happened(golive: Golive, connector: FakeConnector, core: ScriptedCore) -> None:
    assert core.asked == []
    assert connector.calls == []
    assert await golive.gateway.store.any_in_tenant(act.TENANT) is None


async def test_bound_to_loopback_a_loopback_peer_is_served(
    sqlite_url: str, clock: MovableClock, connector: FakeConnector
) -> None:
    core = ScriptedCore()
    golive = await start_golive(sqlite_url, clock, core=core, host="127.0.0.1")
    try:
        assert "Teams: /api/messages (LOCAL MODE" in " ".join(golive.runtime.notes)
        status, _ = await golive.post(act.personal_message(connector.url, act.AMAL, "list"))
        assert status == 201
        assert core.texts == ["list"]
        assert len(connector.sent(act.AMAL.personal_chat)) == 1
    finally:
        await golive.stop()


async def test_a_peer_off_this_machine_is_refused_even_with_a_loopback_service_url(
    sqlite_url: str, clock: MovableClock, connector: FakeConnector
) -> None:
    core = ScriptedCore()
    golive = await start_golive(sqlite_url, clock, core=core, middlewares=[from_afar])
    try:
        status, _ = await golive.post(act.personal_message(connector.url, EVIL, 'new evil "Evil"'))
        assert status == 403
        await nothing_happened(golive, connector, core)
    finally:
        await golive.stop()


async def test_a_request_relayed_by_a_proxy_on_this_machine_is_refused(
    golive_teams: Golive, connector: FakeConnector
) -> None:
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        status, _ = await golive_teams.post(
            act.personal_message(connector.url, EVIL, 'new evil "Evil"'),
            headers={header: SOMEWHERE_ELSE},
        )
        assert status == 403, header
    assert connector.calls == []
    assert await golive_teams.gateway.store.any_in_tenant(act.TENANT) is None


async def test_bound_to_every_interface_without_an_app_id_teams_is_off_and_says_why(
    sqlite_url: str, clock: MovableClock, connector: FakeConnector
) -> None:
    core = ScriptedCore()
    # Told it listens on 0.0.0.0; the test's own socket stays on loopback.
    golive = await start_server(sqlite_url, clock, core=core, host="0.0.0.0")
    try:
        status, _ = await golive.post(act.personal_message(connector.url, EVIL, 'new evil "Evil"'))
        assert status in (404, 503)
        assert core.asked == []
        assert connector.calls == []
        assert "teams" not in golive.runtime.gateways
        [note] = [n for n in golive.runtime.notes if n.startswith("Teams")]
        assert note.startswith("Teams: off")
        assert "MICROSOFT_APP_ID" in note and "0.0.0.0" in note and "loopback" in note
    finally:
        await golive.stop()


async def test_bound_to_every_interface_with_an_app_id_teams_authenticates(
    sqlite_url: str, clock: MovableClock, connector: FakeConnector
) -> None:
    golive = await start_server(
        sqlite_url, clock, core=ScriptedCore(), host="0.0.0.0", app_id="an-app-id"
    )
    try:
        assert "teams" in golive.runtime.gateways
        status, _ = await golive.post(act.personal_message(connector.url, act.AMAL, "list"))
        assert status == 401  # served, and refused without a token
    finally:
        await golive.stop()


async def test_serve_tells_teams_the_address_it_binds(monkeypatch: pytest.MonkeyPatch) -> None:
    """`golive serve --host 0.0.0.0` wins over GOLIVE_HOST=127.0.0.1: Teams must see it."""
    seen = []

    class Stop(Exception):
        pass

    async def build_runtime(settings: Any) -> Any:
        seen.append(settings)
        raise Stop

    monkeypatch.setattr(serve_module, "build_runtime", build_runtime)
    with pytest.raises(Stop):
        await serve_module.serve(load_settings(GOLIVE_HOST="127.0.0.1"), "0.0.0.0", 4000)
    assert (seen[0].golive_host, seen[0].golive_port) == ("0.0.0.0", 4000)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("golive.example.com", False),
    ],
)
def test_which_bind_addresses_are_loopback(host: str, loopback: bool) -> None:
    assert local.is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("peer", "headers", "served"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("10.0.0.5", {}, False),
        ("::ffff:10.0.0.5", {}, False),
        ("fe80::1%eth0", {}, False),
        ("", {}, False),
        ("127.0.0.1", {"X-Forwarded-For": "10.0.0.5"}, False),
    ],
)
def test_which_peers_local_mode_serves(peer: str, headers: dict[str, str], served: bool) -> None:
    request = make_mocked_request("POST", "/api/messages", headers=headers).clone(remote=peer)
    assert (local.refusal(request) is None) is served
