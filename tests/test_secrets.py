"""Secrets at rest (issue 14, items 3 and 10): open ballots and OAuth tokens are encrypted
with GOLIVE_SECRET_KEY on SQLite and PostgreSQL; the key is checked at start-up, made
beside a SQLite file when unset, required with PostgreSQL, and rotated by
`golive rotate-key`. The Slack install itself is in tests/slack/test_slack_oauth.py."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from cryptography.fernet import Fernet
from memory import MemoryStore, Store
from poll_support import decisions, ok, pilot_with_committee, record, the_poll
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import Connection, inspect, text

from adapters import cli, rotate_key
from adapters.app import build_runtime
from adapters.settings import SettingsError, load_settings
from adapters.slack import oauth
from bot.clock import MovableClock
from bot.service import Golive
from storage.db import Database, alembic_config
from storage.secrets import PAD_BYTES, EncryptedText, KeySource, looks_encrypted

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
REASON = "rollback untested"
CONDITION = "pen test first"
BALLOTS = [("amal", "go"), ("sam", "abstain"), ("lee", f'no-go "{REASON}"')]
TOKENS = ("xoxb-1-bot-secret", "xoxp-1-user-secret", "xoxe-1-refresh-secret")
REPO = Path(__file__).resolve().parents[1]


# --- reading the database as a thief would -------------------------------------------


def _every_value(connection: Connection) -> list[tuple[str, Any]]:
    found = []
    for table in inspect(connection).get_table_names():
        for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
            found += [(table, value) for value in row]
    return found


async def raw_values(database: Database) -> list[tuple[str, Any]]:
    """Every value of every row of every table, as the database file or a backup holds it."""
    async with database.engine.connect() as connection:
        return await connection.run_sync(_every_value)


async def raw_votes(database: Database) -> list[tuple[Any, Any]]:
    async with database.engine.connect() as connection:
        rows = await connection.exec_driver_sql("SELECT choice, text FROM poll_votes ORDER BY id")
        return [(row[0], row[1]) for row in rows]


def leaked(values: list[tuple[str, Any]], secrets: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(t, v) for t, v in values if isinstance(v, str) and any(s in v for s in secrets)]


# --- the conversation: an open secret poll ----------------------------------------------


async def open_secret_poll(golive: Golive) -> None:
    """amal's pilot churn, a secret poll, three ballots in: Go, Abstain, No-go with a reason."""
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn secret")
    for handle, line in BALLOTS:
        await ok(golive, handle, f"vote churn {line}")


async def close_with_last_vote(golive: Golive) -> None:
    await ok(golive, "ola", f'vote churn conditional "{CONDITION}"')


async def decided(store: Store) -> dict[str, Any]:
    (decision,) = await decisions(store)
    kept = record(decision)
    return {"outcome": decision.outcome, "counts": kept["counts"], "why": kept["rationales"]}


async def test_an_open_secret_ballot_cannot_be_read_from_the_database(
    golive: Golive, database: Database, clock: MovableClock
) -> None:
    await open_secret_poll(golive)

    stored = await raw_votes(database)
    assert len(stored) == 3
    for choice, reason in stored:
        assert looks_encrypted(choice) and looks_encrypted(reason)
    # Nothing tells the ballots apart: not the choice, not whether there is a reason.
    assert len({len(choice) for choice, _ in stored}) == 1
    assert len({len(reason) for _, reason in stored}) == 1
    assert leaked(await raw_values(database), (REASON,)) == []

    # golive itself still reads them: the count and, at close, the decision are right.
    poll = await the_poll(database)
    assert poll.counts() == {"go": 1, "conditional": 0, "no-go": 1, "abstain": 1}
    await close_with_last_vote(golive)
    unencrypted = MemoryStore()
    reference = Golive(uow_factory=unencrypted.uow, clock=MovableClock(clock.now()))
    await open_secret_poll(reference)
    await close_with_last_vote(reference)
    assert await decided(database) == await decided(unencrypted)
    assert (await decided(database))["counts"] == {
        "go": 1,
        "conditional": 1,
        "no-go": 1,
        "abstain": 1,
    }
    # Closed: the choices are erased, as before encryption.
    assert [choice for choice, _ in await raw_votes(database)] == [None] * 4
    assert {(v.choice, v.text) for v in (await the_poll(database)).votes} == {(None, None)}


async def test_a_long_reason_is_padded_to_a_whole_number_of_blocks(
    golive: Golive, database: Database
) -> None:
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn secret")
    await ok(golive, "amal", "vote churn go")
    await ok(golive, "lee", f'vote churn no-go "{"x" * (PAD_BYTES - 2)}"')
    await ok(golive, "sam", f'vote churn no-go "{"y" * PAD_BYTES}"')
    (_, none), (_, longest_padded), (_, longer) = await raw_votes(database)
    assert len(none) == len(longest_padded) < len(longer)
    poll = await the_poll(database)
    assert sorted(len(v.text or "") for v in poll.votes) == [0, PAD_BYTES - 2, PAD_BYTES]


# --- the key at start-up ----------------------------------------------------------------


def test_a_bad_key_stops_start_up_naming_the_variable_never_the_value() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(GOLIVE_SECRET_KEY=f"{NEW}, not-a-fernet-key")
    assert str(error.value).startswith("GOLIVE_SECRET_KEY: ")
    assert "key 2 of 2 is not a Fernet key" in str(error.value)
    assert "not-a-fernet-key" not in str(error.value) and NEW not in str(error.value)
    assert load_settings(GOLIVE_SECRET_KEY=f" {NEW} ,{OLD}, ").secret_key == f"{NEW},{OLD}"


def clean_env(**values: str) -> dict[str, str]:
    prefixes = ("GOLIVE_", "SLACK_", "MICROSOFT_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return {**env, "PYTHONPATH": str(REPO), **values}


def test_golive_serve_refuses_postgresql_without_a_key(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL="postgresql://golive@127.0.0.1:1/golive", GOLIVE_PORT="1")
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "serve"],
        cwd=tmp_path,  # no .env
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "golive: configuration error: GOLIVE_SECRET_KEY is not set: with PostgreSQL, golive "
        "needs it to encrypt OAuth tokens and open ballots (see docs/security.md)"
    )


async def test_sqlite_without_a_key_gets_a_key_file_beside_the_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, clock: MovableClock
) -> None:
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'golive.db'}", GOLIVE_SECRET_KEY=""
    )
    key_file = tmp_path / "golive.key"
    with caplog.at_level(logging.WARNING):
        runtime = await build_runtime(settings, clock=clock)
    try:
        await open_secret_poll(runtime.golive)
    finally:
        await runtime.close()

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    Fernet(key)
    [warning] = [r.getMessage() for r in caplog.records if r.name == "storage.secrets"]
    assert f"generated a secret key in {key_file}: back it up apart from the database" in warning
    assert key not in caplog.text
    assert f"secrets at rest: encrypted with the key in {key_file}" in " ".join(runtime.notes)

    # The next start finds the key: no new one, no warning, the ballots still read.
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = await build_runtime(settings, clock=clock)
    try:
        assert (await the_poll(again.database)).counts()["no-go"] == 1
    finally:
        await again.close()
    assert key_file.read_text().strip() == key
    assert [r for r in caplog.records if r.name == "storage.secrets"] == []


def test_an_in_memory_database_needs_no_key_file(tmp_path: Path) -> None:
    source = KeySource(Database("sqlite://").url)
    assert source.key_file is None
    assert source.decrypt(source.encrypt("x")) == "x"
    assert list(tmp_path.iterdir()) == []


# --- the migration that encrypts what is already there --------------------------------


def _migrate_to(revision: str, keys: KeySource | None) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        if keys is not None:  # as storage.db hands them over
            config.attributes["encrypt_secret"] = keys.encrypt
            config.attributes["decrypt_secret"] = keys.decrypt
        if revision == "head":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)

    return run


async def install_tokens(database: Database) -> None:
    store = oauth.installation_store("111.222", database.engine, secret_type=EncryptedText())
    bot, user, refresh = TOKENS
    installed = Installation(
        app_id="A1",
        enterprise_id=None,
        team_id="T2",
        user_id="U2",
        bot_token=bot,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        bot_refresh_token=refresh,
        user_token=user,
        installed_at=datetime(2026, 12, 1, tzinfo=UTC).timestamp(),
    )
    await store.async_save(installed)


async def stored_tokens(database: Database) -> tuple[str | None, str | None]:
    store = oauth.installation_store("111.222", database.engine, secret_type=EncryptedText())
    found = await store.async_find_installation(enterprise_id=None, team_id="T2")
    assert found is not None
    return found.bot_token, found.user_token


@pytest.fixture
async def old_database(empty_database_url: str, clock: MovableClock) -> AsyncIterator[Database]:
    """A database as the release before encryption left it: an open secret poll's ballots
    and an installation's tokens in plain text (written today, then migrated down)."""
    database = Database(empty_database_url, secret_key=OLD)
    await database.upgrade()
    await open_secret_poll(Golive(uow_factory=database.uow, clock=clock))
    await install_tokens(database)
    async with database.engine.begin() as connection:
        await connection.run_sync(_migrate_to("0003", database.secret_keys))
    await database.dispose()
    plain = Database(empty_database_url, secret_key=OLD)
    yield plain
    await plain.dispose()


async def test_upgrading_encrypts_the_ballots_and_tokens_already_stored(
    old_database: Database,
) -> None:
    before = await raw_values(old_database)
    assert leaked(before, (REASON, *TOKENS[:2])) != []
    assert ("no-go", REASON) in await raw_votes(old_database)

    await old_database.upgrade()

    assert leaked(await raw_values(old_database), (REASON, *TOKENS)) == []
    stored = await raw_votes(old_database)
    assert all(looks_encrypted(c) and looks_encrypted(t) for c, t in stored)
    assert len({len(t) for _, t in stored}) == 1  # a missing reason is padded too
    poll = await the_poll(old_database)
    assert sorted((str(v.choice), v.text) for v in poll.votes) == [
        ("abstain", None),
        ("go", None),
        ("no-go", REASON),
    ]
    assert await stored_tokens(old_database) == TOKENS[:2]


@pytest.mark.postgres
@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
async def test_postgresql_rows_without_a_key_stop_the_upgrade_and_change_nothing(
    old_database: Database, empty_database_url: str
) -> None:
    keyless = Database(empty_database_url)
    try:
        with pytest.raises(ValueError, match="GOLIVE_SECRET_KEY is not set"):
            await keyless.upgrade()
        assert await keyless.revision() == "0003"
    finally:
        await keyless.dispose()
    assert ("no-go", REASON) in await raw_votes(old_database)


# --- golive rotate-key ------------------------------------------------------------------


@pytest.fixture
async def under_old_key(database_url: str, clock: MovableClock) -> AsyncIterator[str]:
    """A database whose ballots and tokens are encrypted with OLD; its URL."""
    database = Database(database_url, secret_key=OLD)
    await open_secret_poll(Golive(uow_factory=database.uow, clock=clock))
    await install_tokens(database)
    await database.dispose()
    yield database_url


@pytest.fixture
def rotate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str, str], Awaitable[int]]:
    """`golive rotate-key` with DATABASE_URL and GOLIVE_SECRET_KEY set so."""
    monkeypatch.chdir(tmp_path)  # no stray .env file

    async def run(url: str, keys: str) -> int:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("GOLIVE_SECRET_KEY", keys)
        return await asyncio.to_thread(cli.main, ["rotate-key"])

    return run


async def test_rotate_key_moves_every_secret_to_the_new_key_once(
    under_old_key: str,
    rotate: Callable[[str, str], Awaitable[int]],
    capsys: pytest.CaptureFixture[str],
    clock: MovableClock,
) -> None:
    both = Database(under_old_key, secret_key=f"{NEW},{OLD}")
    try:
        # Before rotating, the new key first: old rows still read; a changed choice is
        # written with the new key (the unchanged empty reason is not rewritten).
        assert (await the_poll(both)).counts()["no-go"] == 1
        assert await stored_tokens(both) == TOKENS[:2]
        await ok(Golive(uow_factory=both.uow, clock=clock), "sam", "vote churn go")
    finally:
        await both.dispose()

    assert await rotate(under_old_key, f"{NEW},{OLD}") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "secrets at rest: encrypted with GOLIVE_SECRET_KEY (2 keys, the first encrypts)",
        "poll_votes: 5 re-encrypted, 0 encrypted from plain text, 1 already under the newest key",
        "slack_bots: 2 re-encrypted, 0 encrypted from plain text, 0 already under the newest key",
        "slack_installations: 3 re-encrypted, 0 encrypted from plain text, "
        "0 already under the newest key",
        "10 values now under the newest key, in one transaction",
    ]
    assert await rotate(under_old_key, f"{NEW},{OLD}") == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "nothing to change: every value is under the newest key"
    )

    # The old key can go: everything reads with the new one alone.
    only_new = Database(under_old_key, secret_key=NEW)
    try:
        assert (await the_poll(only_new)).counts() == {
            "go": 2,
            "conditional": 0,
            "no-go": 1,
            "abstain": 0,
        }
        assert await stored_tokens(only_new) == TOKENS[:2]
        assert leaked(await raw_values(only_new), (REASON, *TOKENS)) == []
    finally:
        await only_new.dispose()


async def test_rotate_key_without_the_old_key_changes_nothing(
    under_old_key: str,
    rotate: Callable[[str, str], Awaitable[int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    probe = Database(under_old_key, secret_key=OLD)
    before = await raw_values(probe)
    await probe.dispose()

    assert await rotate(under_old_key, NEW) == 1
    error = capsys.readouterr().err
    assert "does not decrypt with any key in GOLIVE_SECRET_KEY" in error
    assert "nothing changed" in error and OLD not in error and NEW not in error

    probe = Database(under_old_key, secret_key=OLD)
    try:
        assert await raw_values(probe) == before
    finally:
        await probe.dispose()


async def test_rotate_key_encrypts_a_value_left_in_plain_text(
    under_old_key: str,
    rotate: Callable[[str, str], Awaitable[int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = Database(under_old_key, secret_key=OLD)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE slack_bots SET bot_token = 'xoxb-plain'"))
        assert await rotate(under_old_key, OLD) == 0
        assert "slack_bots: 0 re-encrypted, 1 encrypted from plain text, 1 already" in (
            capsys.readouterr().out
        )
        assert leaked(await raw_values(database), ("xoxb-plain",)) == []
        async with database.engine.connect() as connection:
            token = (await connection.execute(text("SELECT bot_token FROM slack_bots"))).scalar()
        assert database.secret_keys.decrypt(token) == "xoxb-plain"
    finally:
        await database.dispose()


def test_rotate_key_generate_prints_a_new_key(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    rotate_key.add_arguments(parser)
    assert rotate_key.run(parser.parse_args(["--generate"])) == 0
    Fernet(capsys.readouterr().out.strip())
