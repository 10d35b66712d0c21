"""The shared test fixtures do what the other tests rely on."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from bot.clock import MovableClock
from bot.context import Caller
from bot.service import Golive
from storage.db import Database


def test_the_clock_starts_on_a_tuesday_morning_in_utc(clock: MovableClock) -> None:
    assert clock.now() == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert clock.now().strftime("%A") == "Tuesday"


def test_reaching_beyond_loopback_is_refused_and_recorded(_offline: list[str]) -> None:
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="offline"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
    with pytest.raises(ConnectionRefusedError, match="offline"):
        socket.getaddrinfo("slack.com", 443)
    assert len(_offline) == 2
    _offline.clear()  # recorded on purpose here; any other test would now fail


def test_loopback_stays_reachable(_offline: list[str]) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()):
            pass
    assert _offline == []


async def test_the_core_finds_or_creates_callers_in_the_database(
    golive: Golive, database: Database
) -> None:
    caller = Caller(platform="slack", workspace_id="T1", user_id="U1", user_name="Noura")
    async with database.uow() as uow:
        workspace = await golive.workspace_for(uow, caller)
        person = await golive.person_for(uow, workspace, caller)
        await uow.commit()
    async with database.uow() as uow:
        again = await golive.workspace_for(uow, caller)
        same = await golive.person_for(uow, again, caller)
    assert (again.id, same.id) == (workspace.id, person.id)
    assert (same.name, again.timezone) == ("Noura", "UTC")
