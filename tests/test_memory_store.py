"""The in-memory store (tests/memory.py) keeps and refuses what the databases do, so the
core's tests that run on it speak for production too: the same story told on both leaves
the same rows and sends the same messages, and the same clashes get the same refusals."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, get_type_hints

from digest_support import build_portfolio, utc
from fakes import FakeChatGateway
from memory import MemoryStore, Store
from pilot_support import run, snapshot

from bot import commands as c
from bot.clock import MovableClock
from bot.delivery.worker import deliver_due
from bot.digests.models import Digest
from bot.errors import Conflict
from bot.pilots.models import ChecklistItem, Person, Pilot, Workspace
from bot.ports import UnitOfWork
from bot.service import Golive
from bot.sweep import run_sweep
from storage.base import metadata
from storage.db import Database

SWEEPS = [utc(11, 10), utc(14, 9), utc(15, 10), utc(18, 18), utc(21, 9), utc(4, 9, month=1)]


# Not compared: ids (PostgreSQL spends one on a skipped insert, SQLite does not), the
# message ids of sends (concurrent sends finish in an order that depends on timing), and
# the decision log's salted records and hashes (random salts).
UNCOMPARED = {"id", "ref_json", "record_json", "prev_hash", "hash"}


async def story(store: Store) -> tuple[list[Any], Counter[Any], dict[str, Counter[Any]]]:
    """Pilots, checklists, KPIs, polls, votes and digests through the facade, then the
    sweeps of a few weeks (polls close, reminders and digests go out): the replies and
    sweep counts, the messages sent, and every table's rows."""
    clock = MovableClock(utc(1))
    golive = Golive(uow_factory=store.uow, clock=clock)
    gateway = FakeChatGateway(clock=clock)
    await build_portfolio(golive, clock)
    said: list[Any] = [(await run(golive, "amal", c.Status(key="churn"))).text]
    said.append((await run(golive, "sara", c.ChecklistDone(key="churn", number=6))).text)
    for instant in SWEEPS:
        clock.set(instant)
        said.append(await run_sweep(uow_factory=store.uow, clock=clock))
        while await deliver_due(uow_factory=store.uow, gateways={"console": gateway}, clock=clock):
            pass
    sent = Counter((s.to, s.message.model_dump_json(), s.at) for s in gateway.sent)
    tables = await snapshot(store)
    rows = {}
    for table in metadata.sorted_tables:
        kept = [i for i, column in enumerate(table.columns) if column.name not in UNCOMPARED]
        rows[table.name] = Counter(tuple(row[i] for i in kept) for row in tables[table.name])
    return said, sent, rows


async def test_a_story_leaves_the_same_rows_and_messages_as_on_the_database(
    database: Database,
) -> None:
    said, sent, rows = await story(MemoryStore())

    assert await story(database) == (said, sent, rows)
    assert len(rows["outbox"]) > 10 and rows["decisions"] and rows["digests"]


async def clashes(store: Store) -> list[str]:
    """Every unique constraint a user can run into, hit once; the refusals, then what the
    store holds afterwards."""
    refused = []

    async def refuse(*objects: object) -> None:
        async with store.uow() as uow:
            for obj in objects:
                uow.add(obj)
            try:
                await uow.commit()
            except Conflict as conflict:
                refused.append(conflict.message)

    async with store.uow() as uow:
        workspace = Workspace(platform="console", external_id="T-acme")
        uow.add(workspace)
        await uow.flush()
        amal = Person(workspace_id=workspace.stored_id, external_id="amal", name="Amal")
        uow.add(amal)
        await uow.flush()
        pilot = Pilot(
            workspace_id=workspace.stored_id,
            key="churn",
            name="Churn",
            owner_id=amal.stored_id,
            channel_id="C-steer",
        )
        pilot.items.append(ChecklistItem(number=1, title="A", category="general", owner_id=1))
        uow.add(pilot)
        digest = Digest(workspace.stored_id, "C-steer", "2026-W49", utc(7), message_json="{}")
        uow.add(digest)
        await uow.commit()
    await refuse(Workspace(platform="console", external_id="T-acme"))
    await refuse(Person(workspace_id=workspace.stored_id, external_id="amal", name="Again"))
    await refuse(Pilot(workspace.stored_id, "churn", "Other", amal.stored_id, "C-other"))
    await refuse(Digest(workspace.stored_id, "C-steer", "2026-W49", utc(8), message_json="{}"))
    async with store.uow() as uow:
        loaded = await uow.pilots.get_by_key(workspace.stored_id, "churn")
        assert loaded is not None
        loaded.items.append(ChecklistItem(number=1, title="B", category="general", owner_id=1))
        loaded.name = "Renamed with the clash"
        try:
            await uow.flush()
        except Conflict as conflict:
            refused.append(conflict.message)
        again = await uow.pilots.get_by_key(workspace.stored_id, "churn")  # still usable
        assert again is not None
        refused.append(f"{again.name}: {[i.title for i in again.items]}")
    async with store.uow() as uow:  # left without commit: changes nothing
        kept = await uow.pilots.get_by_key(workspace.stored_id, "churn")
        assert kept is not None
        kept.golive_target = date(2027, 1, 1)
        uow.add(Workspace(platform="console", external_id="T-other"))
    async with store.uow() as uow:
        kept = await uow.pilots.get_by_key(workspace.stored_id, "churn")
        other = await uow.workspaces.get_by_external("console", "T-other")
        refused.append(f"{kept and kept.golive_target}, {other}")
    return refused


async def test_the_same_clashes_get_the_same_refusals(database: Database) -> None:
    refused = await clashes(MemoryStore())

    assert await clashes(database) == refused
    assert refused == [
        "That workspace is already registered.",
        "That person is already known in this workspace.",
        "A pilot with key churn already exists in this workspace.",
        "This week's digest for that channel was already posted.",
        "Checklist item #1 already exists on this pilot.",
        "Churn: ['A']",
        "None, None",
    ]


async def test_every_method_of_every_repository_port_is_in_memory_too() -> None:
    async with MemoryStore().uow() as uow:
        for name, port in get_type_hints(UnitOfWork).items():
            wanted = {n for n, v in vars(port).items() if callable(v) and not n.startswith("_")}
            assert wanted <= set(dir(getattr(uow, name))), f"uow.{name} lacks a port method"
