"""Retries of Bot Connector calls: 429, 412, 502 and 504 are retried with jittered
exponential backoff, honouring ``Retry-After`` (botbuilder itself retries nothing)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from msrest.exceptions import HttpOperationError

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE = frozenset({412, 429, 502, 504})
Sleep = Callable[[float], Awaitable[Any]]


class RetryPolicy:
    """How often and how long to wait; ``sleep`` is injectable so tests never wait."""

    def __init__(
        self,
        *,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    async def run(self, call: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Run ``call``, retrying the statuses Teams asks us to retry."""
        attempt = 0
        while True:
            try:
                return await call()
            except HttpOperationError as error:
                status = status_of(error)
                attempt += 1
                if status not in RETRYABLE or attempt >= self.attempts:
                    raise
                retry_after = retry_after_of(error)
                if retry_after is not None and retry_after > self.max_delay:
                    raise  # too long to wait here: the outbox comes back when Teams said
                wait = self.delay(attempt - 1, retry_after)
                log.warning(
                    "Bot Connector %s answered %s; retry %d in %.1fs", what, status, attempt, wait
                )
                await self.sleep(wait)


def status_of(error: object) -> int | None:
    """The HTTP status of a failed Bot Connector call (aiohttp or requests response)."""
    response = getattr(error, "response", None)
    status = getattr(response, "status", None) or getattr(response, "status_code", None)
    return int(status) if status is not None else None


def retry_after_of(error: object) -> float | None:
    """``Retry-After`` in seconds (delta or HTTP date), if the response carried one."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
