"""/readyz through golive's real HTTP server: the status code says whether the database
serves, the body says why not in words that name no host, port, database or file (anyone
can call it), and the details go to the log."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from db_proxy import Proxy, through
from sqlalchemy import make_url, text

from adapters.app import Runtime, build_runtime, build_web_app
from adapters.settings import load_settings
from bot.clock import MovableClock


async def serve(database_url: str, clock: MovableClock) -> tuple[Runtime, web.AppRunner, str]:
    runtime = await build_runtime(load_settings(DATABASE_URL=database_url), clock=clock)
    runner = web.AppRunner(build_web_app(runtime))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runtime, runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def ready(url: str) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as session, session.get(url + "/readyz") as response:
        body = await response.text()
        return response.status, body, await response.json()


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_unreachable_database_is_named_to_the_log_not_to_the_caller(
    database_url: str, proxy: Proxy, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    assert os.environ["GOLIVE_SECRET_KEY"]  # PostgreSQL needs one (tests/conftest.py)
    runtime, runner, url = await serve(through(proxy, database_url), clock)
    caplog.set_level(logging.INFO, logger="adapters.app")
    try:
        assert (await ready(url))[0] == 200

        proxy.cut()
        status, body, data = await ready(url)
        assert status == 503
        assert data == {"ready": False, "problems": ["database unreachable"]}
        database = make_url(database_url).database or ""
        for secret in ("127.0.0.1", str(proxy.port), database, "postgres", "psycopg"):
            assert secret not in body
        logged = [r.getMessage() for r in caplog.records if r.name == "adapters.app"]
        assert any(
            "not ready: database unreachable" in m and str(proxy.port) in m for m in logged
        ), logged
        await ready(url)  # the same problem again: logged once, not at every probe
        assert len([m for m in _app_lines(caplog) if "not ready" in m]) == 1

        proxy.restore()
        assert (await ready(url))[0] == 200
        assert "ready again" in _app_lines(caplog)
    finally:
        await runner.cleanup()
        await runtime.close()


def _app_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "adapters.app"]


@pytest.mark.parametrize(
    ("revision", "problem"),
    [
        ("0001", "schema behind: run golive migrate"),
        ("9999_not_yet_written", "schema newer than this golive: run the newer version"),
    ],
)
async def test_a_schema_at_another_revision_is_said_plainly(
    sqlite_url: str,
    clock: MovableClock,
    caplog: pytest.LogCaptureFixture,
    revision: str,
    problem: str,
) -> None:
    runtime, runner, url = await serve(sqlite_url, clock)
    caplog.set_level(logging.INFO, logger="adapters.app")
    try:
        async with runtime.database.engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": revision}
            )
        status, body, data = await ready(url)
        assert (status, data) == (503, {"ready": False, "problems": [problem]})
        assert sqlite_url.removeprefix("sqlite:///") not in body
        assert any(revision in m and "expected" in m for m in _app_lines(caplog))
    finally:
        await runner.cleanup()
        await runtime.close()
