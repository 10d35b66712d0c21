"""The reminder's buttons, pressed: Snooze asks for a new date and records the slip,
Mark done asks for evidence when the item needs it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fakes import FakeChatGateway, Sent
from memory import MemoryStore
from reminders_support import WORKSPACE, Item, Who, build, kind, simulate

from bot import commands as c
from bot.clock import MovableClock
from bot.context import Caller
from bot.messages import Actions, Button
from bot.pilots.models import ItemStatus
from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


def as_(user: str) -> Caller:
    return Caller(platform="console", workspace_id=WORKSPACE, user_id=user, user_name=user)


def button(sent: Sent, label: str, number: int = 1) -> Button:
    found = [
        b
        for block in sent.message.blocks
        if isinstance(block, Actions)
        for b in block.buttons
        if b.label == label and number_of(b) == number
    ]
    assert len(found) == 1
    return found[0]


def number_of(button: Button) -> object:
    """The checklist item a button acts on."""
    fields = button.form.action.fields if button.form else dict(button.action or {})
    return fields.get("number")


async def item_state(database: MemoryStore) -> tuple[ItemStatus, date | None, list[str]]:
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", WORKSPACE)
        assert workspace is not None and workspace.id is not None
        pilot = await uow.pilots.get_by_key(workspace.id, "churn")
        assert pilot is not None
        item = pilot.items[0]
        return item.status, item.due, [e.kind for e in item.events]


async def test_snooze_moves_the_due_date_records_the_slip_and_quiets_reminders(
    database: MemoryStore, clock: MovableClock, golive: Golive
) -> None:
    await build(database, people=[Who("sara")], items=[Item("sara", date(2026, 11, 30))])
    gateway = FakeChatGateway(clock=clock)
    await simulate(database, gateway, clock, until=datetime(2026, 12, 1, 12, tzinfo=UTC))
    reminder = gateway.dm_log("sara")[-1]
    assert kind(reminder) == "remind"

    snooze = button(reminder, "Snooze")
    assert snooze.form is not None and [i.type for i in snooze.form.inputs] == ["date"]
    refused = await golive.submit(as_("sara"), snooze.form.action, {"due": "2026-11-02"})
    assert refused.private and "past" in refused.text
    assert (await item_state(database))[1] == date(2026, 11, 30)

    await golive.submit(as_("sara"), snooze.form.action, {"due": "2026-12-10"})
    status, due, events = await item_state(database)
    assert (status, due) == (ItemStatus.OPEN, date(2026, 12, 10)) and "slipped" in events

    before = len(gateway.dm_log("sara"))
    await simulate(database, gateway, clock, until=datetime(2026, 12, 12, tzinfo=UTC))
    later = [(s.at.date(), kind(s)) for s in gateway.dm_log("sara")[before:] if s.at]
    # Quiet until the new date nears: a heads-up two working days before, then reminders.
    assert later == [
        (date(2026, 12, 8), "headsup"),
        (date(2026, 12, 11), "remind"),
    ]


async def test_mark_done_asks_for_evidence_when_needed_and_stops_reminders(
    database: MemoryStore, clock: MovableClock, golive: Golive
) -> None:
    await build(
        database,
        people=[Who("sara")],
        items=[Item("sara", date(2026, 11, 30), needs_evidence=True)],
    )
    gateway = FakeChatGateway(clock=clock)
    await simulate(database, gateway, clock, until=datetime(2026, 12, 1, 12, tzinfo=UTC))
    done = button(gateway.dm_log("sara")[-1], "Mark done")
    assert done.form is not None and [i.name for i in done.form.inputs] == ["evidence"]
    refused = await golive.submit(as_("sara"), done.form.action, {})  # no evidence: refused
    assert refused.private and (await item_state(database))[0] == ItemStatus.OPEN
    await golive.submit(as_("sara"), done.form.action, {"evidence": "https://wiki/rollback"})
    assert (await item_state(database))[0] == ItemStatus.DONE

    before = len(gateway.dm_log("sara"))
    await simulate(database, gateway, clock, until=datetime(2026, 12, 5, tzinfo=UTC))
    assert gateway.dm_log("sara")[before:] == []


async def test_mark_done_is_one_click_when_no_evidence_is_needed(
    database: MemoryStore, clock: MovableClock
) -> None:
    await build(database, people=[Who("sara")], items=[Item("sara", date(2026, 11, 30))])
    gateway = FakeChatGateway(clock=clock)
    await simulate(database, gateway, clock, until=datetime(2026, 12, 1, 12, tzinfo=UTC))
    done = button(gateway.dm_log("sara")[-1], "Mark done")
    assert done.form is None and done.action == c.ChecklistDone(key="churn", number=1)
