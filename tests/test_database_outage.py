"""A database outage: every command is told the database is away for now and that nothing
changed (not "something went wrong"), and a read is tried once more by itself.

First with a unit of work that fails as storage does (no database at all), then storage's
own translation of a driver's error, then a real outage: PostgreSQL behind a small TCP proxy
on loopback that the test cuts and restores (the shared server itself is never stopped)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import pytest
from db_proxy import Proxy, through
from memory import MemoryStore
from pilot_support import caller, snapshot
from sqlalchemy import event, make_url

from bot import commands as c
from bot.actions import Draft
from bot.clock import MovableClock
from bot.errors import StoreUnavailable
from bot.messages import Message
from bot.service import Golive
from storage.db import Database

UNAVAILABLE = (
    "golive cannot reach its database right now; nothing was changed — try again in a minute."
)


# --- the facade, over a unit of work that cannot reach its database ----------------------------


class FlakyStore:
    """A memory store whose next ``down`` units of work fail to open as storage's do when
    the database cannot be reached (``down`` < 0: every one)."""

    def __init__(self, fail_with: type[Exception] = StoreUnavailable) -> None:
        self.store = MemoryStore()
        self.down = 0
        self.opened = 0  # units of work asked for while down
        self.fail_with = fail_with

    def uow(self) -> Any:
        return _FlakyUnitOfWork(self)


class _FlakyUnitOfWork:
    def __init__(self, flaky: FlakyStore) -> None:
        self.flaky = flaky
        self.inner = flaky.store.uow()

    async def __aenter__(self) -> Any:
        if self.flaky.down != 0:
            self.flaky.down -= 1
            self.flaky.opened += 1
            raise self.flaky.fail_with("connection refused (port 5432)")
        return await self.inner.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.inner.__aexit__(exc_type, exc, tb)


@pytest.fixture
def flaky() -> FlakyStore:
    return FlakyStore()


@pytest.fixture
def golive(flaky: FlakyStore, clock: MovableClock) -> Golive:
    golive = Golive(uow_factory=flaky.uow, clock=clock)
    golive.OUTAGE_RETRY_SECONDS = 0  # the retry's pause is not what these tests are about
    return golive


def unavailable(reply: Message) -> bool:
    return reply.text == UNAVAILABLE and reply.refused and reply.private


async def test_a_command_is_told_the_database_is_away_and_nothing_changed(
    golive: Golive, flaky: FlakyStore
) -> None:
    flaky.down = -1
    reply = await golive.run(caller("amal"), 'new churn "Churn model"')
    assert unavailable(reply), reply.text
    assert flaky.opened == 1  # a change is not tried again
    assert flaky.store.snapshot() == FlakyStore().store.snapshot()


async def test_an_internal_error_still_reads_as_one(clock: MovableClock) -> None:
    broken = FlakyStore(fail_with=RuntimeError)
    broken.down = -1
    golive = Golive(uow_factory=broken.uow, clock=clock)
    reply = await golive.run(caller("amal"), "status churn")
    assert reply.text.startswith("Something went wrong on our side (incident ")
    assert broken.opened == 1  # not an outage: not tried again


async def test_a_read_is_tried_once_more_and_answered(golive: Golive, flaky: FlakyStore) -> None:
    await golive.run(caller("amal"), 'new churn "Churn model"')
    flaky.down = 1
    reply = await golive.run(caller("amal"), "status churn")
    assert not reply.refused and "Churn model (churn)" in reply.text
    assert flaky.opened == 1
    flaky.down = 1  # a button's read too
    clicked = await golive.execute(caller("amal"), c.ChecklistShow(key="churn"))
    assert not clicked.refused and clicked.text.startswith("Checklist of churn")


@pytest.mark.parametrize(
    "line", ["help", "list", "status churn", "checklist churn", "decisions churn", "home"]
)
async def test_a_read_that_fails_twice_is_told_the_database_is_away(
    golive: Golive, flaky: FlakyStore, line: str
) -> None:
    flaky.down = -1
    assert unavailable(await golive.run(caller("amal"), line))
    assert flaky.opened == 2


@pytest.mark.parametrize(
    "line",
    ['checklist churn add "Pen test"', "vote churn go", "poll churn", "stage churn pilot"],
)
async def test_a_change_is_not_tried_again(golive: Golive, flaky: FlakyStore, line: str) -> None:
    flaky.down = -1
    assert unavailable(await golive.run(caller("amal"), line))
    assert flaky.opened == 1


def test_the_reads_are_marked_and_the_changes_are_not() -> None:
    reads = {kind.__name__ for kind in c.Command.__subclasses__() if kind.READ_ONLY}
    assert reads == {
        "Help",
        "Home",
        "ListPilots",
        "Status",
        "ChecklistShow",
        "Decisions",
        "DigestPreview",
        "Export",
    }


async def test_home_and_forms_say_the_same(golive: Golive, flaky: FlakyStore) -> None:
    await golive.run(caller("amal"), 'new churn "Churn model"')
    flaky.down = -1
    home = await golive.home(caller("amal"))
    assert home is not None and unavailable(home)
    form = await golive.form(caller("amal"), Draft.of(c.ChecklistDone, key="churn", number=1), None)
    assert isinstance(form, Message) and unavailable(form)


# --- storage: a driver's connection error becomes StoreUnavailable ---------------------------


async def test_an_unreachable_postgresql_is_store_unavailable(clock: MovableClock) -> None:
    database = Database("postgresql://golive@127.0.0.1:1/golive")  # nothing listens there
    try:
        with pytest.raises(StoreUnavailable):
            async with database.uow():
                pass
        golive = Golive(uow_factory=database.uow, clock=clock)
        golive.OUTAGE_RETRY_SECONDS = 0
        assert unavailable(await golive.run(caller("amal"), "help"))
    finally:
        await database.dispose()


# --- a real outage: PostgreSQL behind a proxy the test cuts ----------------------------------


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture
async def proxied(database_url: str, proxy: Proxy) -> AsyncIterator[Database]:
    database = Database(through(proxy, database_url), secret_key=os.environ["GOLIVE_SECRET_KEY"])
    yield database
    await database.dispose()


@pytest.fixture
async def direct(database_url: str) -> AsyncIterator[Database]:
    """The same database, not through the proxy: to see what an outage left."""
    database = Database(database_url, secret_key=os.environ["GOLIVE_SECRET_KEY"])
    yield database
    await database.dispose()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_outage_is_said_to_be_temporary_and_golive_recovers_by_itself(
    proxied: Database, direct: Database, proxy: Proxy, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=proxied.uow, clock=clock)
    golive.OUTAGE_RETRY_SECONDS = 0
    assert "created" in (await golive.run(caller("amal"), 'new churn "Churn model"')).text
    before = await snapshot(direct)

    proxy.cut()
    for line in ("status churn", 'checklist churn add "Pen test"', "vote churn go", "help"):
        reply = await golive.run(caller("amal"), line)
        assert reply.text == UNAVAILABLE, (line, reply.text)
    assert await snapshot(direct) == before

    proxy.restore()
    reply = await golive.run(caller("amal"), 'checklist churn add "Pen test"')
    assert not reply.refused, reply.text
    assert "Churn model (churn)" in (await golive.run(caller("amal"), "status churn")).text


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_blip_is_ridden_out_by_a_read_and_refused_for_a_change(
    proxied: Database, direct: Database, proxy: Proxy, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=proxied.uow, clock=clock)
    golive.OUTAGE_RETRY_SECONDS = 0
    await golive.run(caller("amal"), 'new churn "Churn model"')

    proxy.refuse_next(1)
    reply = await golive.run(caller("amal"), "status churn")
    assert not reply.refused and "Churn model (churn)" in reply.text, reply.text
    assert proxy.refused == 1

    before = await snapshot(direct)
    proxy.refuse_next(1)
    reply = await golive.run(caller("amal"), 'checklist churn add "Pen test"')
    assert reply.text == UNAVAILABLE
    assert proxy.refused == 2  # not tried again: it would change something
    assert await snapshot(direct) == before


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_connection_lost_in_the_middle_of_a_change_changes_nothing(
    proxied: Database, direct: Database, proxy: Proxy, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=proxied.uow, clock=clock)
    await golive.run(caller("amal"), 'new churn "Churn model"')
    before = await snapshot(direct)

    cuts: list[str] = []

    def cut_at_the_insert(*args: Any) -> None:
        statement = args[2]
        if statement.startswith("INSERT INTO checklist_items") and not cuts:
            cuts.append(statement)
            proxy.cut()

    event.listen(proxied.engine.sync_engine, "before_cursor_execute", cut_at_the_insert)
    reply = await golive.run(caller("amal"), 'checklist churn add "Pen test"')
    assert reply.text == UNAVAILABLE
    assert len(cuts) == 1 and proxy.refused == 0  # lost mid-command, not at connect
    proxy.restore()
    assert await snapshot(direct) == before
