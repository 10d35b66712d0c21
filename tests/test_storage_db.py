"""The database object: URLs, SQLite settings, readiness, the unit of work's transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.pilots.models import Workspace
from storage.db import Database, async_url


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("sqlite:///golive.db", ("sqlite+aiosqlite", None, "golive.db")),
        ("sqlite://", ("sqlite+aiosqlite", None, None)),
        ("sqlite:///:memory:", ("sqlite+aiosqlite", None, ":memory:")),
        ("postgresql://user@db.internal/golive", ("postgresql+psycopg", "db.internal", "golive")),
        ("postgres://user@db.internal/golive", ("postgresql+psycopg", "db.internal", "golive")),
        ("postgresql+asyncpg://user@h/g", ("postgresql+psycopg", "h", "g")),
    ],
)
def test_plain_urls_get_golive_s_async_driver(
    plain: str, expected: tuple[str, str | None, str | None]
) -> None:
    url = async_url(plain)
    assert (url.drivername, url.host, url.database) == expected


def test_other_databases_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="mysql"):
        async_url("mysql://user@host/golive")


def test_a_postgres_url_is_postgres_without_connecting() -> None:
    database = Database("postgres://user@db.internal/golive")
    assert database.is_postgres
    assert not Database("sqlite://").is_postgres


async def test_sqlite_runs_with_foreign_keys_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'golive.db'}")
    try:
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one() >= 1000
    finally:
        await database.dispose()


async def test_an_in_memory_database_is_shared_by_all_units_of_work() -> None:
    database = Database("sqlite://")
    try:
        await database.upgrade()
        async with database.uow() as uow:
            await uow.workspaces.add(Workspace(platform="slack", external_id="T1"))
            await uow.commit()
        async with database.uow() as uow:
            found = await uow.workspaces.get_by_external("slack", "T1")
        assert found is not None
    finally:
        await database.dispose()


async def test_check_reports_an_unreachable_database() -> None:
    database = Database("postgresql://golive@127.0.0.1:1/golive")  # nothing listens there
    try:
        problems = await database.check()
    finally:
        await database.dispose()
    assert len(problems) == 1
    assert problems[0].startswith("database unreachable")


async def test_a_migrated_database_is_ready(database: Database) -> None:
    assert await database.check() == []


async def test_leaving_without_commit_rolls_back(database: Database) -> None:
    async with database.uow() as uow:
        await uow.workspaces.add(Workspace(platform="slack", external_id="T1"))
        await uow.flush()
    async with database.uow() as uow:
        assert await uow.workspaces.get_by_external("slack", "T1") is None


async def test_an_error_inside_the_unit_of_work_rolls_back_and_propagates(
    database: Database,
) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with database.uow() as uow:
            await uow.workspaces.add(Workspace(platform="slack", external_id="T1"))
            await uow.flush()
            raise RuntimeError("boom")
    async with database.uow() as uow:
        assert await uow.workspaces.get_by_external("slack", "T1") is None


async def test_explicit_rollback_discards_pending_work(database: Database) -> None:
    async with database.uow() as uow:
        await uow.workspaces.add(Workspace(platform="slack", external_id="T1"))
        await uow.flush()
        await uow.rollback()
        await uow.workspaces.add(Workspace(platform="slack", external_id="T2"))
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.workspaces.get_by_external("slack", "T1") is None
        assert await uow.workspaces.get_by_external("slack", "T2") is not None


async def test_a_unit_of_work_must_be_opened_before_use(sqlite_database: Database) -> None:
    uow = sqlite_database.uow()
    with pytest.raises(RuntimeError, match="not open"):
        uow.add(Workspace(platform="slack", external_id="T1"))


async def test_committed_objects_stay_readable_after_the_unit_of_work_closes(
    database: Database,
) -> None:
    async with database.uow() as uow:
        workspace = Workspace(platform="teams", external_id="tenant-1", name="Acme")
        await uow.workspaces.add(workspace)
        await uow.commit()
    assert workspace.id is not None
    assert (workspace.name, workspace.timezone) == ("Acme", "UTC")
