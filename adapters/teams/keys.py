"""The Bot Framework's signing keys, fetched with aiohttp under a timeout and cached.

botbuilder 4.17 fetches them with ``requests`` and no timeout, on the event loop, inside
the request that carries a token: one forged token during a slow key endpoint froze the
whole process. Here a fetch never blocks the loop, concurrent requests share one fetch,
keys in hand are used while a fresh set is fetched in the background, and a request that
needs keys nobody can fetch right now is refused with :class:`KeysUnavailable` (503).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from botframework.connector.auth import AuthenticationConstants, GovernmentConstants
from botframework.connector.auth.jwt_token_extractor import (
    JwtTokenExtractor,
    _OpenIdConfig,
    _OpenIdMetadata,
)
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0
"""Seconds for the OpenID configuration and the key set together."""
FRESH_FOR = 24 * 3600.0  # as botbuilder: a day, then refreshed in the background
UNKNOWN_KEY_REFRESH = 3600.0  # a key id not in the set refetches at most once an hour
AFTER_FAILURE = 30.0  # after a failed fetch, refuse at once instead of fetching again
MAX_DOCUMENT_BYTES = 1024 * 1024

METADATA_URLS = (
    AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
)


class KeysUnavailable(Exception):
    """No signing key can be had right now: the request is refused with 503, not 401."""


class SigningKeys:
    """One OpenID metadata document's keys, in the shape botbuilder's token extractor asks
    for (``await get(key_id)``)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = FETCH_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.clock = clock
        self._keys: dict[str, _OpenIdConfig] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._fetch: asyncio.Task[None] | None = None

    async def get(self, key_id: str | None) -> _OpenIdConfig | None:
        """The key ``key_id`` names; None when the key set has no such key."""
        now = self.clock()
        resting = self._failed_recently(now) and self._running() is None
        if self._fetched_at is not None:
            if now - self._fetched_at > FRESH_FOR and not resting:
                self._start()  # keep using these meanwhile
            key = self._keys.get(key_id or "")
            if key is not None or resting or now - self._fetched_at < UNKNOWN_KEY_REFRESH:
                return key
        elif resting:
            raise KeysUnavailable(f"the signing keys at {self.url} could not be fetched")
        await self._wait()  # the first keys, or a key id Microsoft may have just added
        return self._keys.get(key_id or "")

    def _failed_recently(self, now: float) -> bool:
        return self._failed_at is not None and now - self._failed_at < AFTER_FAILURE

    async def _wait(self) -> None:
        fetch = self._start()
        try:
            async with asyncio.timeout(self.timeout):
                await asyncio.shield(fetch)  # one caller leaving does not stop the fetch
        except TimeoutError:
            raise KeysUnavailable(f"the signing keys at {self.url} did not come in time") from None
        if self._fetched_at is None:
            raise KeysUnavailable(f"the signing keys at {self.url} could not be fetched")

    def _running(self) -> asyncio.Task[None] | None:
        fetch = self._fetch
        if fetch is None or fetch.done() or fetch.get_loop() is not asyncio.get_running_loop():
            return None
        return fetch

    def _start(self) -> asyncio.Task[None]:
        fetch = self._running()
        if fetch is None:
            fetch = self._fetch = asyncio.create_task(self._refresh())
        return fetch

    async def _refresh(self) -> None:
        try:
            keys = await self._download()
        except Exception as error:  # any failure: logged once here, callers get 503
            self._failed_at = self.clock()
            log.warning("Teams signing keys not fetched from %s: %s", self.url, _describe(error))
            return
        self._keys = keys
        self._fetched_at = self.clock()
        self._failed_at = None

    async def _download(self) -> dict[str, _OpenIdConfig]:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with asyncio.timeout(self.timeout), aiohttp.ClientSession(timeout=timeout) as http:
            configuration = await _get_json(http, self.url)
            jwks_uri = configuration.get("jwks_uri") if isinstance(configuration, dict) else None
            if not isinstance(jwks_uri, str):
                raise ValueError("the OpenID configuration names no jwks_uri")
            key_set = await _get_json(http, jwks_uri)
        keys = to_keys(key_set)
        if not keys:
            raise ValueError("the key set holds no usable key")
        return keys


def to_keys(key_set: Any) -> dict[str, _OpenIdConfig]:
    """A JWKS document's RSA keys by key id, with their endorsements; others skipped."""
    found: dict[str, _OpenIdConfig] = {}
    entries = key_set.get("keys") if isinstance(key_set, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(entry))
        except Exception:  # not an RSA key, or a broken one: not one golive can check with
            continue
        endorsements = entry.get("endorsements")
        found[entry["kid"]] = _OpenIdConfig(
            public_key, endorsements if isinstance(endorsements, list) else []
        )
    return found


def install(*, timeout: float = FETCH_TIMEOUT) -> None:
    """Put :class:`SigningKeys` where botbuilder looks its key sources up, in place of its
    own blocking ones; a source already set (golive's, or a test's fake) stays."""
    cache = JwtTokenExtractor.metadataCache
    for url in METADATA_URLS:
        current = cache.get(url)
        if current is None or type(current) is _OpenIdMetadata:
            cache[url] = SigningKeys(url, timeout=timeout)


async def _get_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        response.raise_for_status()
        body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    return json.loads(body)


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
