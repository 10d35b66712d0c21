"""With MICROSOFT_APP_ID set, only requests carrying a valid Bot Framework token run."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
import teams_activities as act
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdConfig
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_connector import FakeConnector
from scripted_core import ScriptedCore
from teams_harness import Golive, start_golive

from bot import commands as c
from bot.clock import MovableClock

APP_ID = "8d0b3c2e-golive-test-app"
MICROSOFT_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeBotFrameworkKeys:
    """Stands in for the Bot Framework's published signing keys (no network in tests)."""

    async def get(self, key_id: str) -> _OpenIdConfig | None:
        if key_id != "bf-key-1":
            return None
        return _OpenIdConfig(MICROSOFT_KEY.public_key(), ["msteams"])


@pytest.fixture(autouse=True)
def bot_framework_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    url = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    monkeypatch.setitem(JwtTokenExtractor.metadataCache, url, FakeBotFrameworkKeys())


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore()


@pytest.fixture
async def golive(sqlite_url: str, clock: MovableClock, core: ScriptedCore) -> AsyncIterator[Golive]:
    running = await start_golive(sqlite_url, clock, app_id=APP_ID, core=core)
    yield running
    await running.stop()


def token(service_url: str, *, key: Any = MICROSOFT_KEY, audience: str = APP_ID) -> str:
    now = int(time.time())
    claims = {
        "iss": AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        "aud": audience,
        "serviceurl": service_url,
        "nbf": now - 60,
        "exp": now + 3600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bf-key-1"})


async def assert_nothing_changed(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    assert core.asked == []
    assert connector.calls == []
    assert await golive.gateway.store.any_in_tenant(act.TENANT) is None


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer " + jwt.encode({"iss": "https://evil.example", "aud": APP_ID}, "s" * 32),
    ],
    ids=["missing", "garbage", "not-bearer", "foreign-issuer"],
)
async def test_a_request_without_a_valid_token_gets_401_and_changes_nothing(
    golive: Golive, connector: FakeConnector, core: ScriptedCore, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    status, _ = await golive.post(
        act.personal_message(connector.url, act.AMAL, 'new churn "Churn"'), headers=headers
    )
    assert status == 401
    await assert_nothing_changed(golive, connector, core)


async def test_a_token_signed_with_another_key_gets_401(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    forged = token(connector.url, key=ATTACKER_KEY)
    status, _ = await golive.post(
        act.personal_message(connector.url, act.AMAL, "list"),
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert status == 401
    await assert_nothing_changed(golive, connector, core)


async def test_a_token_for_another_bot_gets_401(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    other = token(connector.url, audience="another-bot")
    status, _ = await golive.post(
        act.personal_message(connector.url, act.AMAL, "list"),
        headers={"Authorization": f"Bearer {other}"},
    )
    assert status == 401
    await assert_nothing_changed(golive, connector, core)


async def test_a_token_from_another_service_url_gets_401(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    elsewhere = token("https://smba.example/other/")
    status, _ = await golive.post(
        act.personal_message(connector.url, act.AMAL, "list"),
        headers={"Authorization": f"Bearer {elsewhere}"},
    )
    assert status == 401
    await assert_nothing_changed(golive, connector, core)


async def test_a_valid_token_is_accepted(
    golive: Golive, connector: FakeConnector, core: ScriptedCore
) -> None:
    # An invoke answers in its HTTP response: no outbound call, so no Entra token needed.
    invoke = act.card_invoke(
        connector.url,
        act.SARA,
        act.clicked(c.CastVote(key="churn", choice="go")),
        conversation=act.CHANNEL("9"),
    )
    status, body = await golive.post(
        invoke, headers={"Authorization": f"Bearer {token(connector.url)}"}
    )
    assert status == 200
    assert body["value"] == "ran vote churn go"
    assert core.texts == ["vote churn go"]
