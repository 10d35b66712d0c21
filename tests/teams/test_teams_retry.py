"""The backoff between Bot Connector retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from msrest.exceptions import HttpOperationError

from adapters.teams.retry import RetryPolicy, retry_after_of, status_of
from bot.delivery.models import DeliveryFailed


def failure(status: int, headers: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(response=SimpleNamespace(status=status, headers=headers))


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_of(failure(429, {"Retry-After": "12"})) == 12.0
    later = datetime.now(UTC) + timedelta(seconds=90)
    seconds = retry_after_of(failure(429, {"Retry-After": format_datetime(later, usegmt=True)}))
    assert seconds is not None and 80 <= seconds <= 90
    assert retry_after_of(failure(429, {})) is None
    assert retry_after_of(failure(429, {"Retry-After": "soon"})) is None


def test_status_from_aiohttp_or_requests_responses() -> None:
    assert status_of(failure(502, {})) == 502
    requests_like = SimpleNamespace(response=SimpleNamespace(status_code=504, headers={}))
    assert status_of(requests_like) == 504


@pytest.mark.parametrize("attempt", range(6))
def test_backoff_grows_with_jitter_and_a_ceiling(attempt: int) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    ceiling = min(4.0, 0.5 * 2**attempt)
    for _ in range(20):
        assert ceiling / 2 <= policy.delay(attempt, None) <= ceiling
    assert policy.delay(attempt, 3.0) == 3.0  # Teams' own wait wins


class Throttled(HttpOperationError):  # type: ignore[misc]
    """A Bot Connector refusal as msrest raises it, without an HTTP exchange."""

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        Exception.__init__(self, f"answered {status}")
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.response = SimpleNamespace(status=status, headers=headers)


class Connector:
    """Refuses every call with ``status``; each call takes ``takes`` seconds on ``now``."""

    def __init__(self, status: int, retry_after: str | None, *, takes: float = 0.0) -> None:
        self.status, self.retry_after, self.takes = status, retry_after, takes
        self.calls = 0
        self.now = 0.0

    async def call(self) -> str:
        self.calls += 1
        self.now += self.takes
        raise Throttled(self.status, self.retry_after)


def policy(waits: list[float], connector: Connector) -> RetryPolicy:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return RetryPolicy(sleep=sleep, clock=lambda: connector.now)


async def test_a_wait_that_would_pass_the_budget_is_left_to_the_outbox() -> None:
    connector, waits = Connector(429, "2"), []
    with pytest.raises(DeliveryFailed) as failure:
        await policy(waits, connector).run(connector.call, what="send", budget=3.0)
    assert failure.value.retry_after == 2.0 and not failure.value.permanent
    assert connector.calls == 2
    assert waits == [2.0]


async def test_time_spent_in_calls_counts_against_the_budget() -> None:
    connector, waits = Connector(502, "0.5", takes=1.5), []
    with pytest.raises(DeliveryFailed):
        await policy(waits, connector).run(connector.call, what="send", budget=3.0)
    assert connector.calls == 2  # 1.5 s + 0.5 s wait fit; after the second call, 3 s are gone
    assert waits == [0.5]


async def test_without_a_budget_the_attempts_bound_the_retries() -> None:
    connector, waits = Connector(429, "1"), []
    with pytest.raises(HttpOperationError):
        await policy(waits, connector).run(connector.call, what="send")
    assert connector.calls == 6
    assert waits == [1.0] * 5


async def test_a_refusal_that_retrying_cannot_fix_is_raised_at_once() -> None:
    connector, waits = Connector(400, None), []
    with pytest.raises(HttpOperationError):
        await policy(waits, connector).run(connector.call, what="send", budget=3.0)
    assert connector.calls == 1 and waits == []
