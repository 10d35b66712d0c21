"""The database: engine, units of work, migrations and a readiness check."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

from storage import erasure, mapping, retention, secrets, turns
from storage.uow import SqlUnitOfWork

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 10
PG_POOL_SIZE = 10
PG_POOL_OVERFLOW = 10
PG_POOL_TIMEOUT_S = 600
MIGRATION_LOCK = 0x601_1FE_0001  # PostgreSQL advisory lock key held while migrating


def async_url(url: str) -> URL:
    """``url`` with golive's async driver: aiosqlite for SQLite, psycopg for PostgreSQL.

    Plain URLs (``sqlite:///golive.db``, ``postgres://...``) are what people write in
    ``DATABASE_URL``; an explicit driver is replaced because only these two work async.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def alembic_config() -> Config:
    """Alembic's configuration, in code: no alembic.ini to ship or find."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest migration shipped with this code (read once: it cannot change)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


UNREACHABLE = "database unreachable"
SCHEMA_BEHIND = "schema behind: run golive migrate"
SCHEMA_AHEAD = "schema newer than this golive: run the newer version"


@dataclass(frozen=True)
class Problem:
    """Why the database cannot serve: ``public`` names no host, port, database or user
    (what /readyz shows anyone); ``detail`` is for the log and the operator's commands."""

    public: str
    detail: str


def _known(revision: str | None) -> bool:
    """Whether ``revision`` is one of this code's migrations (so the database is behind)."""
    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic: not a revision it knows
        return False


class Database:
    """One database from a plain URL: the engine, units of work over it, migrations."""

    def __init__(
        self, url: str, *, secret_key: str | None = None, pool_size: int = PG_POOL_SIZE
    ) -> None:
        """``secret_key``: GOLIVE_SECRET_KEY, for the encrypted columns (see
        :class:`storage.secrets.KeySource` for what happens without it)."""
        mapping.configure()
        self._url = async_url(url)
        self._keys = secrets.KeySource(self._url, secret_key)
        options: dict[str, Any] = {}
        if self.is_sqlite and self._in_memory:
            # One shared connection, or every session would see its own empty database.
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        elif self.is_postgres:
            # Commands are acknowledged to Slack and Teams before they run, so under a
            # burst (a thousand votes in seconds) a command waits for a connection rather
            # than failing after SQLAlchemy's default 30 s: a vote is never dropped.
            options = {
                "pool_pre_ping": True,
                "pool_size": pool_size,
                "max_overflow": min(PG_POOL_OVERFLOW, pool_size),
                "pool_timeout": PG_POOL_TIMEOUT_S,
            }
            if "connect_timeout" not in self._url.query:
                # Fail a readiness check or start-up in seconds, not after the OS's minutes.
                options["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
        # Statement parameters (a secret vote's choice and reason, a token) never reach a
        # log line or an exception's text.
        self._engine = create_async_engine(self._url, hide_parameters=True, **options)
        if self.is_sqlite:
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
            _quiet_driver_log()
        secrets.bind(self._engine, self._keys)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        # One writer: on a SQLite file, units of work take turns (storage.turns).
        self._turns = (
            turns.for_file(self._url.database or "")
            if self.is_sqlite and not self._in_memory
            else None
        )

    @property
    def url(self) -> URL:
        return self._url

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def secret_keys(self) -> secrets.KeySource:
        return self._keys

    @property
    def is_postgres(self) -> bool:
        return self._url.get_backend_name() == "postgresql"

    @property
    def is_sqlite(self) -> bool:
        return self._url.get_backend_name() == "sqlite"

    @property
    def _in_memory(self) -> bool:
        return self._url.database in (None, "", ":memory:")

    def uow(self) -> SqlUnitOfWork:
        """A new unit of work (open it with ``async with``)."""
        return SqlUnitOfWork(self._sessions, turns=self._turns)

    async def upgrade(self) -> None:
        """Create the schema or upgrade it to the newest migration, all or nothing."""
        async with self._engine.connect() as connection:
            if self.is_sqlite:
                await connection.run_sync(_upgrade_sqlite, self._keys)
                return
            # Replicas starting together take turns; the later ones then find nothing to do.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
            await connection.run_sync(_upgrade, self._keys)
            await connection.commit()

    async def revision(self) -> str | None:
        """The migration the database is at (None for an empty database)."""
        async with self._engine.connect() as connection:
            return await connection.run_sync(current_revision)

    async def check(self) -> list[str]:
        """What keeps the database from serving, in detail (host, error, revisions: for an
        operator); empty when it is ready."""
        return [problem.detail for problem in await self.problems()]

    async def problems(self) -> list[Problem]:
        """What keeps the database from serving; empty when it is ready."""
        try:
            current = await self.revision()
        except Exception as error:  # any driver error means "not reachable" here
            detail = f"database unreachable: {type(error).__name__}: {error}".strip()
            return [Problem(UNREACHABLE, detail)]
        head = head_revision()
        if current != head:
            detail = f"database schema at {current or 'nothing'}, expected {head}: run migrate"
            return [Problem(SCHEMA_BEHIND if _known(current) else SCHEMA_AHEAD, detail)]
        return []

    async def erase_person(
        self, external_id: str, *, workspace: str | None, now: datetime
    ) -> list[erasure.Erasure]:
        """Replace a person's name and platform ids with a pseudonym everywhere
        (:mod:`storage.erasure`); :class:`storage.erasure.UnknownPerson` when none has it."""
        return await erasure.erase_person(
            self._engine, external_id=external_id, workspace=workspace, now=now
        )

    async def rotate_secrets(self) -> secrets.Rotation:
        """Encrypt every encrypted value with the newest key, in one transaction
        (:func:`storage.secrets.rotate`)."""
        return await secrets.rotate(self._engine, self._keys.keyring())

    async def prune_audit(self, *, before: datetime, limit: int) -> int:
        """Delete a batch of audit entries older than ``before`` (:mod:`storage.retention`)."""
        return await retention.prune_audit(self._engine, before=before, limit=limit)

    async def dispose(self) -> None:
        await self._engine.dispose()


def _upgrade(connection: Connection, keys: secrets.KeySource) -> None:
    config = alembic_config()
    # env.py runs the migrations on this connection, in its transaction.
    config.attributes["connection"] = connection
    # Migrations that encrypt or decrypt rows (0004) ask for the key only if they have
    # rows to change: an empty PostgreSQL database upgrades without one.
    config.attributes["encrypt_secret"] = keys.encrypt
    config.attributes["decrypt_secret"] = keys.decrypt
    command.upgrade(config, "head")


def _upgrade_sqlite(connection: Connection, keys: secrets.KeySource) -> None:
    """SQLite needs two things the driver does not do by itself: foreign keys off while a
    batch migration copies a table (dropping the old parent would cascade to its children),
    and an explicit BEGIN, since the driver runs DDL outside any transaction."""
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        connection.exec_driver_sql("BEGIN")
        try:
            _upgrade(connection, keys)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


class _NoStatements(logging.Filter):
    """aiosqlite logs every call it runs at DEBUG, the statement's parameters included."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_STATEMENTS = _NoStatements()


def _quiet_driver_log() -> None:
    driver = logging.getLogger("aiosqlite")
    if _NO_STATEMENTS not in driver.filters:
        driver.addFilter(_NO_STATEMENTS)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
