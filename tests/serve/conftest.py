"""Fixtures for `golive serve` as a subprocess: the fake Slack Web API and the fake Bot
Connector (the Slack and Teams test folders' fakes), and an HTTP client session."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

HERE = Path(__file__).resolve().parent
for folder in ("slack", "teams"):  # their fakes are plain modules in those folders
    path = str(HERE.parent / folder)
    if path not in sys.path:
        sys.path.append(path)

from fake_connector import FakeConnector  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack(team_id="T1")
    slack.add_user("U1", "Amal", tz="Asia/Dubai")
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    # One connection per request: a request never rides a kept-alive connection into a
    # server that is shutting down.
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    async with aiohttp.ClientSession(connector=connector) as client:
        yield client
