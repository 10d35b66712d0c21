"""A fake Bot Framework key endpoint (OpenID configuration and JWKS) on a free loopback
port, in its own thread and event loop: were golive's key fetch to block its event loop
(botbuilder's own fetch does), this endpoint would still answer and the test would fail
instead of hanging. ``hold()`` makes the key set hang until ``release()``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from typing import Any

import jwt
from aiohttp import web
from botframework.connector.auth import AuthenticationConstants
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "8d0b3c2e-golive-test-app"
KEY_ID = "bf-key-1"
MICROSOFT_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SAFETY_SECONDS = 10.0  # a held key set answers after this even if never released


def token(
    service_url: str, *, key: Any = MICROSOFT_KEY, key_id: str = KEY_ID, audience: str = APP_ID
) -> str:
    """A Bot Framework channel token as Microsoft signs one."""
    now = int(time.time())
    claims = {
        "iss": AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        "aud": audience,
        "serviceurl": service_url,
        "nbf": now - 60,
        "exp": now + 3600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": key_id})


def key_set() -> dict[str, Any]:
    public = json.loads(RSAAlgorithm.to_jwk(MICROSOFT_KEY.public_key()))
    return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]}


class FakeKeyEndpoint:
    def __init__(self) -> None:
        self.url = ""
        self.key_requests = 0
        self.status = 200
        self._held = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gate: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        # Set on the test's loop when the key set is asked for and when it has answered.
        self.asked = asyncio.Event()
        self.answered = asyncio.Event()
        self._test_loop = asyncio.get_running_loop()

    @property
    def openid_url(self) -> str:
        return self.url + "/openid"

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        if self._loop is not None and self._gate is not None:
            self._loop.call_soon_threadsafe(self._gate.set)

    def start(self) -> None:
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the fake key endpoint did not start"

    def stop(self) -> None:
        self.release()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def _tell_test(self, event: asyncio.Event) -> None:
        self._test_loop.call_soon_threadsafe(event.set)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._gate = asyncio.Event()
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_get("/openid", self._openid)
        app.router.add_get("/keys", self._keys)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"issuer": "https://api.botframework.com", "jwks_uri": self.url + "/keys"}
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.key_requests += 1
        self._tell_test(self.asked)
        if self._held:
            assert self._gate is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._gate.wait(), SAFETY_SECONDS)
        self._tell_test(self.answered)
        if self.status != 200:
            return web.json_response({"error": "unavailable"}, status=self.status)
        return web.json_response(key_set())
