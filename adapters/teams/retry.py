"""Retries of Bot Connector calls: 429, 412, 502 and 504 are retried with jittered
exponential backoff, honouring ``Retry-After`` (botbuilder itself retries nothing).

A call may have a budget: the seconds it may take with its retries (the outbox cuts each
send at ``GOLIVE_SEND_TIMEOUT_SECONDS``). A wait that would not fit is not waited here:
:class:`DeliveryFailed` carries it to the outbox, which comes back after it."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from msrest.exceptions import HttpOperationError

from bot.delivery.models import DeliveryFailed

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE = frozenset({412, 429, 502, 504})
Sleep = Callable[[float], Awaitable[Any]]


class RetryPolicy:
    """How often and how long to wait; ``sleep`` and ``clock`` are injectable so tests
    never wait."""

    def __init__(
        self,
        *,
        attempts: int = 6,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        reserve: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.reserve = reserve  # kept for the attempt after a wait: a call takes a moment
        self.sleep = sleep
        self.clock = clock

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    async def run(
        self, call: Callable[[], Awaitable[T]], *, what: str, budget: float | None = None
    ) -> T:
        """Run ``call``, retrying the statuses Teams asks us to retry, within ``budget``
        seconds if given."""
        started = self.clock()
        waited = 0.0  # counted apart: an injected sleep does not move the clock
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
                wait = self.delay(attempt - 1, retry_after)
                spent = max(self.clock() - started, waited)
                too_long = retry_after is not None and retry_after > self.max_delay
                if too_long or (budget is not None and spent + wait + self.reserve > budget):
                    # The outbox comes back after the wait; an inbound turn gives up.
                    raise DeliveryFailed(
                        f"Teams answered {status} to {what} and asked for a {wait:.1f}s wait",
                        retry_after=wait,
                    ) from error
                log.warning(
                    "Bot Connector %s answered %s; retry %d in %.1fs", what, status, attempt, wait
                )
                await self.sleep(wait)
                waited += wait


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
