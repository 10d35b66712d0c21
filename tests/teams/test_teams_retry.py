"""The backoff between Bot Connector retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest

from adapters.teams.retry import RetryPolicy, retry_after_of, status_of


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
