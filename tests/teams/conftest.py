"""Fixtures: the fake Bot Connector and golive's real HTTP server, on loopback ports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_connector import FakeConnector
from teams_harness import Golive, start_golive

# Registers the table on the shared metadata before the migrated template is built (the
# root conftest creates declared tables that no migration creates yet).
import storage.teams  # noqa: F401
from bot.clock import MovableClock


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def golive_teams(sqlite_url: str, clock: MovableClock) -> AsyncIterator[Golive]:
    running = await start_golive(sqlite_url, clock)
    yield running
    await running.stop()
