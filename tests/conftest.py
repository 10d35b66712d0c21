"""Shared fixtures: a migrated database on SQLite and PostgreSQL, a movable clock, the
core over them, and a guard that fails any test reaching beyond this machine."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from cryptography.fernet import Fernet
from psycopg import sql

from bot.clock import MovableClock
from bot.service import Golive
from storage.db import Database, alembic_config

PG_SERVER = os.environ.get("GOLIVE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
# GOLIVE_SECRET_KEY for the tests (PostgreSQL needs one): a fresh key each test process.
TEST_SECRET_KEY = Fernet.generate_key().decode()


# --- offline guard ---------------------------------------------------------------------


def _is_local(host: object) -> bool:
    if not isinstance(host, str) or host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.endswith(".localhost")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse connections and name look-ups beyond loopback; the test fails even if the
    code under test swallows the error (a retrying sender would)."""
    reached: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str) -> OSError:
        reached.append(what)
        return ConnectionRefusedError(f"tests must stay offline: {what}")

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise refuse(f"connect to {address!r}")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if not _is_local(host):
            try:
                ipaddress.ip_address(str(host).split("%")[0])  # a literal: connect decides
            except ValueError:
                raise refuse(f"look up {host!r}") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield reached
    if reached:
        pytest.fail("test tried to reach the network: " + "; ".join(reached))


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read in a test (and `golive serve` started by one) have the test key."""
    monkeypatch.setenv("GOLIVE_SECRET_KEY", TEST_SECRET_KEY)


# --- databases -------------------------------------------------------------------------


def _migrate(sync_url: str) -> None:
    """Upgrade to head: test databases are built by the migrations alone, so a table the
    migrations forget fails the tests that use it."""
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", sync_url)
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "golive.db"
    _migrate(f"sqlite:///{path}")
    return path


def pg_admin() -> psycopg.Connection[Any]:
    """An autocommit connection to the test server's maintenance database; fails the test
    run when the server is down, unless GOLIVE_TEST_SKIP_PG=1."""
    try:
        return psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("GOLIVE_TEST_SKIP_PG") == "1":
            pytest.skip(f"PostgreSQL not reachable (GOLIVE_TEST_SKIP_PG=1): {error}")
        pytest.fail(
            f"PostgreSQL not reachable at {PG_SERVER}: {error}\n"
            "Start it, or set GOLIVE_TEST_SKIP_PG=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )


def pg_url(database: str, driver: str = "postgresql") -> str:
    return PG_SERVER.replace("postgresql://", f"{driver}://").rsplit("/", 1)[0] + "/" + database


def create_pg_database() -> str:
    """A new, empty database on the test server; returns its name."""
    name = f"golive_test_{uuid.uuid4().hex[:12]}"
    with pg_admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_pg_database(name: str) -> None:
    with pg_admin() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole run, dropped at the end."""
    name = create_pg_database()
    try:
        _migrate(pg_url(name, "postgresql+psycopg"))
        yield name
    finally:
        drop_pg_database(name)


def _truncate_all(name: str) -> None:
    with psycopg.connect(pg_url(name), autocommit=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            names = sql.SQL(", ").join(sql.Identifier(table) for table in tables)
            connection.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(names))


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite file for this test."""
    path = tmp_path / "golive.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated, empty database: a SQLite copy, or the run's PostgreSQL
    database truncated."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    name = str(request.getfixturevalue("_pg_database"))
    _truncate_all(name)
    return pg_url(name)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new database with no tables at all (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = create_pg_database()
    try:
        yield pg_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url, secret_key=TEST_SECRET_KEY)
    yield db
    await db.dispose()


@pytest.fixture
async def sqlite_database(sqlite_url: str) -> AsyncIterator[Database]:
    """For tests that need a database but no PostgreSQL coverage."""
    db = Database(sqlite_url)
    yield db
    await db.dispose()


# --- the core --------------------------------------------------------------------------


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def golive(database: Database, clock: MovableClock) -> Golive:
    return Golive(uow_factory=database.uow, clock=clock, default_timezone="UTC")
