"""The migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, inspect, text

from adapters import migrate
from adapters.slack import oauth as slack_oauth
from storage.base import metadata
from storage.db import Database, alembic_config, head_revision


def _declared() -> MetaData:
    """Every table golive's code declares: storage's own and slack_sdk's OAuth stores."""
    declared = MetaData()
    for source in (metadata, slack_oauth.METADATA):
        for table in source.tables.values():
            table.to_metadata(declared)
    return declared


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, _declared()))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade_to_base(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_an_empty_database_upgrades_to_exactly_the_declared_schema(
    empty_database_url: str,
) -> None:
    database = Database(empty_database_url)
    try:
        assert await database.revision() is None
        await database.upgrade()
        assert await database.revision() == head_revision()
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
            tables = await connection.run_sync(_tables)
        assert set(_declared().tables) <= tables
    finally:
        await database.dispose()


async def test_check_asks_for_migrate_until_the_database_is_upgraded(
    empty_database_url: str,
) -> None:
    database = Database(empty_database_url)
    try:
        problems = await database.check()
        assert len(problems) == 1
        assert "run migrate" in problems[0]
        await database.upgrade()
        assert await database.check() == []
    finally:
        await database.dispose()


async def test_upgrading_twice_changes_nothing_and_downgrade_removes_every_table(
    empty_database_url: str,
) -> None:
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await database.upgrade()
        assert await database.revision() == head_revision()
        async with database.engine.begin() as connection:
            await connection.run_sync(_downgrade_to_base)
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}
        await database.upgrade()
        assert await database.check() == []
    finally:
        await database.dispose()


def test_golive_migrate_creates_then_reports_an_up_to_date_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env file
    monkeypatch.setenv("DATABASE_URL", "sqlite:///golive.db")
    parser = argparse.ArgumentParser()
    migrate.add_arguments(parser)

    assert migrate.run(parser.parse_args(["--check"])) == 1
    assert "revision: none (empty database)" in capsys.readouterr().out

    assert migrate.run(parser.parse_args([])) == 0
    assert f"upgraded to {head_revision()}" in capsys.readouterr().out
    assert (tmp_path / "golive.db").exists()

    assert migrate.run(parser.parse_args([])) == 0
    assert "already up to date" in capsys.readouterr().out
    assert migrate.run(parser.parse_args(["--check"])) == 0


def test_golive_migrate_explains_a_bad_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://golive:secret@127.0.0.1:1/golive")
    parser = argparse.ArgumentParser()
    migrate.add_arguments(parser)
    assert migrate.run(parser.parse_args([])) == 1
    err = capsys.readouterr().err
    assert "cannot migrate postgresql+psycopg://golive:***@127.0.0.1:1/golive" in err
    assert "secret" not in err


@pytest.mark.postgres
@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
async def test_replicas_starting_together_migrate_once(empty_database_url: str) -> None:
    replicas = [Database(empty_database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(replica.upgrade() for replica in replicas))
        assert [await replica.check() for replica in replicas] == [[], [], []]
    finally:
        for replica in replicas:
            await replica.dispose()


async def test_a_failed_upgrade_leaves_the_database_as_it_was(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        async with database.engine.begin() as connection:
            # A stray table the migration will try to create after the workspaces.
            await connection.execute(text("CREATE TABLE kpi_measurements (stray INTEGER)"))
        with pytest.raises(Exception, match="kpi_measurements"):
            await database.upgrade()
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) == {"kpi_measurements"}
        assert await database.revision() is None
    finally:
        await database.dispose()


async def test_sqlite_foreign_keys_are_back_on_after_an_upgrade(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'golive.db'}")
    try:
        await database.upgrade()
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    finally:
        await database.dispose()
