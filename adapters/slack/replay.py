"""Replays and retries, refused or handled once across every replica.

A signed Slack request stays valid for the five minutes its timestamp is accepted, so the
same bytes sent again — to this replica, another one, or after a restart — would run
again; Slack itself retries an event it thinks was lost, to whichever replica. Both are
told apart by keys marked in a store every replica shares (the database, wired in by the
composition root): a request's signature, an event's id.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

# How far a request's timestamp may be from now, as Slack recommends.
MAX_SKEW_SECONDS = 300
# A signature is marked for as long as its timestamp could still be accepted.
SIGNATURE_TTL = timedelta(seconds=2 * MAX_SKEW_SECONDS)
# Slack retries an event three times within about an hour.
EVENT_TTL = timedelta(hours=1)


class SeenKeys(Protocol):
    """Keys marked as seen until they expire, shared by every replica."""

    async def first_time(self, key: str, *, now: datetime, ttl: timedelta) -> bool:
        """Mark ``key`` until ``now + ttl``; False when a live mark already existed."""
        ...


class ReplayGuard:
    """Admits a fresh, validly signed request once: a signature seen before, by any
    replica, is a replay."""

    def __init__(
        self, secret: str, seen: SeenKeys, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret.encode()
        self._seen = seen
        self._clock = clock

    def signed(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether ``body`` carries Slack's signature, made in the last five minutes (the
        HMAC is computed over the raw bytes, whatever they hold)."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        if abs(self._clock() - int(timestamp)) > MAX_SKEW_SECONDS:
            return False
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature) if signature.isascii() else False

    async def first_use(self, headers: Mapping[str, str]) -> bool:
        """Whether the (verified) signature of this request was never used before."""
        signature = headers.get("X-Slack-Signature", "")
        return await self._seen.first_time(
            f"slack:signature:{signature}", now=_now(self._clock), ttl=SIGNATURE_TTL
        )


class SeenEvents:
    """Event ids already taken, by any replica: Slack retries events it thinks were lost,
    and a retry can arrive while the first delivery is still being handled."""

    def __init__(self, seen: SeenKeys, *, clock: Callable[[], float] = time.time) -> None:
        self._seen = seen
        self._clock = clock

    async def first_time(self, event_id: str) -> bool:
        return await self._seen.first_time(
            f"slack:event:{event_id}", now=_now(self._clock), ttl=EVENT_TTL
        )


def _now(clock: Callable[[], float]) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)
