"""A secret vote that fails on a database error leaves no trace of the choice or the reason
in any log line: statement parameters are hidden on every engine (``hide_parameters``).

The failure is forced in the database itself, by a trigger on ``poll_votes``, so the vote
goes through the whole real path (parse, handler, flush, driver) and fails where a broken
disk or a bad migration would make it fail."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import pytest
from pilot_support import caller
from poll_support import ok, pilot_with_committee
from sqlalchemy import text

from bot.service import Golive
from storage.db import Database

REASON = "the rollback plan is missing, ref 7f3a9c"
CHOICE = "no-go"

SQLITE_TRIGGER = [
    "CREATE TRIGGER golive_test_fail BEFORE INSERT ON {table} "
    "BEGIN INSERT INTO golive_test_missing VALUES (NEW.id); END"
]
POSTGRES_TRIGGER = [
    "CREATE FUNCTION golive_test_fail() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'forced failure'; END $$",
    "CREATE TRIGGER golive_test_fail BEFORE INSERT ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION golive_test_fail()",
]
POSTGRES_CLEANUP = [
    "DROP TRIGGER IF EXISTS golive_test_fail ON {table}",
    "DROP FUNCTION IF EXISTS golive_test_fail()",
]


@contextlib.asynccontextmanager
async def failing_inserts(database: Database, table: str) -> AsyncIterator[None]:
    """Every insert into ``table`` fails inside the database, until the block ends."""
    create = POSTGRES_TRIGGER if database.is_postgres else SQLITE_TRIGGER
    async with database.engine.begin() as connection:
        for statement in create:
            await connection.execute(text(statement.format(table=table)))
    try:
        yield
    finally:
        if database.is_postgres:  # the PostgreSQL database outlives the test
            async with database.engine.begin() as connection:
                for statement in POSTGRES_CLEANUP:
                    await connection.execute(text(statement.format(table=table)))


def every_line(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Each captured record as a handler would write it: message, arguments, traceback."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) for record in caplog.records]


async def test_a_failed_secret_vote_logs_neither_choice_nor_reason(
    golive: Golive, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn secret")
    caplog.set_level(logging.DEBUG)  # every logger, every level
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # statements and their parameters

    async with failing_inserts(database, "poll_votes"):
        reply = await golive.run(caller("sam"), f'vote churn {CHOICE} "{REASON}"')

    assert reply.text.startswith("Something went wrong on our side"), reply.text
    lines = every_line(caplog)
    failed = [line for line in lines if "golive_test" in line or "forced failure" in line]
    assert failed, "the vote did not fail in the database: " + "\n".join(lines[-5:])
    assert any("poll_votes" in line for line in lines)  # the statement itself is logged
    leaks = [line for line in lines if REASON in line or CHOICE in line]
    assert leaks == []


async def test_no_statement_parameter_reaches_a_log_line(
    golive: Golive, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever the column (here a waiver's reason, stored in plain text), a failed
    statement's parameters are not in its log lines."""
    await pilot_with_committee(golive)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")

    async with failing_inserts(database, "item_events"):
        reply = await golive.run(caller("amal"), f'checklist churn waive 2 reason:"{REASON}"')

    assert reply.text.startswith("Something went wrong on our side"), reply.text
    lines = every_line(caplog)
    assert any("item_events" in line for line in lines)
    assert [line for line in lines if REASON in line] == []
