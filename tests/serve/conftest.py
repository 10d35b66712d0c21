"""Fixtures for `golive serve` as a subprocess: the fake Slack Web API and the fake Bot
Connector (the Slack and Teams test folders' fakes), an HTTP client session, and an empty
PostgreSQL database for replicas."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from psycopg import sql

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


PG_SERVER = os.environ.get("GOLIVE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("GOLIVE_TEST_SKIP_PG") == "1":
            pytest.skip(f"PostgreSQL not reachable: {error}")
        raise


@pytest.fixture
def pg_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (the replicas create the schema)."""
    name = f"golive_serve_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with _admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
