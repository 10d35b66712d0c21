"""With an app id set, the Bot Framework's signing keys are fetched off the event loop's
critical path, under a timeout, and cached. The fault it stops: one forged token while
the key endpoint was slow froze the whole process for 40 s (15 of 16 health checks
failed). Now a slow key endpoint costs the requests that need keys a 503, and nothing
else waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import teams_activities as act
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_connector import FakeConnector
from fake_keys import APP_ID, KEY_ID, FakeKeyEndpoint, key_set, token
from scripted_core import ScriptedCore
from teams_harness import Golive, start_golive

from adapters.teams import keys
from adapters.teams.keys import SigningKeys, to_keys
from bot import commands as c
from bot.clock import MovableClock

CHANNEL_URL = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
TIMEOUT = 1.0  # the key fetch's timeout in these tests
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def endpoint() -> AsyncIterator[FakeKeyEndpoint]:
    fake = FakeKeyEndpoint()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def source(endpoint: FakeKeyEndpoint, monkeypatch: pytest.MonkeyPatch) -> SigningKeys:
    """golive's key source for Microsoft's channel tokens, reading the fake endpoint."""
    keys_source = SigningKeys(endpoint.openid_url, timeout=TIMEOUT)
    monkeypatch.setitem(JwtTokenExtractor.metadataCache, CHANNEL_URL, keys_source)
    return keys_source


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore()


@pytest.fixture
async def golive(
    sqlite_url: str, clock: MovableClock, core: ScriptedCore, source: SigningKeys
) -> AsyncIterator[Golive]:
    running = await start_golive(sqlite_url, clock, app_id=APP_ID, core=core)
    yield running
    await running.stop()


def vote(connector: FakeConnector) -> dict[str, object]:
    """A click: answered in the HTTP response, so no outbound call needs an Entra token."""
    return act.card_invoke(
        connector.url,
        act.SARA,
        act.clicked(c.CastVote(key="churn", choice="go")),
        conversation=act.CHANNEL("9"),
    )


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def post(
    golive: Golive, activity: dict[str, object], headers: dict[str, str]
) -> tuple[int, str | None]:
    async with golive.session.post(
        golive.url + "/api/messages", json=activity, headers=headers
    ) as response:
        return response.status, response.headers.get("Retry-After")


async def test_a_hanging_key_endpoint_gets_503_and_never_stalls_other_requests(
    golive: Golive, connector: FakeConnector, core: ScriptedCore, endpoint: FakeKeyEndpoint
) -> None:
    endpoint.hold()
    forged = bearer(token(connector.url, key=ATTACKER_KEY))
    first = asyncio.create_task(post(golive, vote(connector), forged))
    await endpoint.asked.wait()

    async with golive.session.get(golive.url + "/healthz") as health:
        assert health.status == 200
    assert not endpoint.answered.is_set()  # answered while the key fetch was still blocked

    second = asyncio.create_task(post(golive, vote(connector), bearer(token(connector.url))))
    status, retry_after = await first
    assert status == 503
    assert retry_after is not None
    assert (await second)[0] == 503
    assert not endpoint.answered.is_set()  # refused by golive's timeout, not by an answer
    assert endpoint.key_requests == 1  # the waiting requests shared one fetch

    # Just after a failed fetch, requests are refused at once; the endpoint is not asked.
    assert (await post(golive, vote(connector), forged))[0] == 503
    assert endpoint.key_requests == 1
    assert core.asked == []


async def test_a_key_endpoint_that_fails_gets_503_not_401(
    golive: Golive, connector: FakeConnector, core: ScriptedCore, endpoint: FakeKeyEndpoint
) -> None:
    endpoint.status = 500
    assert (await post(golive, vote(connector), bearer(token(connector.url))))[0] == 503
    assert core.asked == []


async def test_keys_are_fetched_once_and_cached(
    golive: Golive, connector: FakeConnector, core: ScriptedCore, endpoint: FakeKeyEndpoint
) -> None:
    assert (await post(golive, vote(connector), bearer(token(connector.url))))[0] == 200
    assert (await post(golive, vote(connector), bearer(token(connector.url))))[0] == 200
    forged = token(connector.url, key=ATTACKER_KEY)
    assert (await post(golive, vote(connector), bearer(forged)))[0] == 401
    unknown_key = token(connector.url, key=ATTACKER_KEY, key_id="attacker-key")
    assert (await post(golive, vote(connector), bearer(unknown_key)))[0] == 401
    assert endpoint.key_requests == 1  # an unknown key id refetches at most once an hour
    assert core.texts == ["vote churn go", "vote churn go"]


async def test_stale_keys_serve_while_fresh_ones_are_fetched_in_the_background(
    endpoint: FakeKeyEndpoint,
) -> None:
    now = [0.0]
    source = SigningKeys(endpoint.openid_url, timeout=60.0, clock=lambda: now[0])
    first = await source.get(KEY_ID)
    assert first is not None and endpoint.key_requests == 1

    endpoint.hold()
    endpoint.asked.clear()
    endpoint.answered.clear()
    now[0] += keys.FRESH_FOR + 1
    assert await source.get(KEY_ID) is first  # at once, from the cache
    await endpoint.asked.wait()  # meanwhile the refresh started
    assert not endpoint.answered.is_set()
    endpoint.release()
    await endpoint.answered.wait()


def test_with_an_app_id_botbuilders_blocking_key_fetch_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for url in keys.METADATA_URLS:
        monkeypatch.setitem(JwtTokenExtractor.metadataCache, url, _OpenIdMetadata(url))
    keys.install()
    for url in keys.METADATA_URLS:
        assert isinstance(JwtTokenExtractor.metadataCache[url], SigningKeys), url
    installed = JwtTokenExtractor.metadataCache[CHANNEL_URL]
    keys.install()  # a second adapter keeps the keys already fetched
    assert JwtTokenExtractor.metadataCache[CHANNEL_URL] is installed


def test_a_key_set_keeps_only_usable_rsa_keys() -> None:
    good = key_set()["keys"][0]
    found = to_keys(
        {"keys": [good, {"kid": "ec", "kty": "EC"}, {"kty": "RSA"}, "junk", {"kid": 5}]}
    )
    assert list(found) == [KEY_ID]
    assert found[KEY_ID].endorsements == ["msteams"]
    assert to_keys(None) == {} and to_keys({"keys": "nope"}) == {}
