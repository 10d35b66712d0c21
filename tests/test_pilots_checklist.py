"""The checklist and KPIs through the Golive facade: who may close, waive, reassign and
slip items, evidence, KPI measurements and progress. Refused commands change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from memory import MemoryStore
from pilot_support import audit_actions, load, run, snapshot, text

from bot import commands as c
from bot.clock import MovableClock
from bot.messages import Actions, Button, Progress, Table
from bot.parsing import command_line
from bot.pilots.models import ItemStatus, KpiKind, Role
from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


def line(button: Button) -> str:
    """What pressing ``button`` runs, as the line one would type."""
    return command_line(button.form.action if button.form else button.action)


async def _churn(golive: Golive) -> None:
    await run(golive, "amal", c.NewPilot(key="churn", name="Churn model"))
    await run(golive, "amal", c.CommitteeAdd(key="churn", person="sara", role=Role.SECURITY))
    await run(golive, "amal", c.CommitteeAdd(key="churn", person="dev", role=Role.ENGINEERING))
    await run(golive, "omar", c.ListPilots())  # omar exists, on no committee


async def test_item_owner_marks_done_with_evidence(golive: Golive, database: MemoryStore) -> None:
    await _churn(golive)
    before = await snapshot(database)

    no_evidence = await run(golive, "sara", c.ChecklistDone(key="churn", number=2))
    outsider = await run(golive, "omar", c.ChecklistDone(key="churn", number=2, evidence="x"))
    other_members = await run(golive, "dev", c.ChecklistDone(key="churn", number=2, evidence="x"))
    unknown = await run(golive, "sara", c.ChecklistDone(key="churn", number=9, evidence="x"))

    assert no_evidence.private and no_evidence.text == (
        "Item 2 needs evidence to be marked done: "
        '`checklist churn done 2 evidence:<link or "text">`'
    )
    assert outsider.text == (
        "Only the item's owner (@sara), the business owner (@amal) or a workspace admin can "
        "mark item 2 done."
    )
    assert other_members.text == outsider.text
    assert unknown.text == "Pilot churn has no item 9; `checklist churn` shows them."
    assert await snapshot(database) == before

    done = await run(
        golive, "sara", c.ChecklistDone(key="churn", number=2, evidence="https://wiki/sec-review")
    )
    assert not done.private
    assert text(done).splitlines()[1] == (
        "@sara marked item 2 of churn done: Security and compliance review completed. "
        "Evidence: https://wiki/sec-review"
    )
    assert next(b for b in done.blocks if isinstance(b, Progress)).done == 1
    again = await run(golive, "amal", c.ChecklistDone(key="churn", number=2, evidence="y"))
    assert again.text == "Item 2 is already done."

    pilot, _ = await load(database, "churn")
    item = pilot.items[1]
    assert (item.status, item.evidence) == (ItemStatus.DONE, "https://wiki/sec-review")
    assert [e.kind for e in item.events] == ["created", "assigned", "done"]
    assert "checklist.done item:churn#2" in await audit_actions(database)


async def test_owner_adds_waives_and_reassigns(golive: Golive, database: MemoryStore) -> None:
    await _churn(golive)

    added = await run(
        golive,
        "amal",
        c.ChecklistAdd(
            key="churn", title="DPIA signed", owner="lina", due=date(2026, 12, 10), blocking=True
        ),
    )
    assert text(added).splitlines()[1] == (
        "Item 7 added to churn: DPIA signed — @lina, due Thu 2026-12-10 (blocking)."
    )
    plain = await run(golive, "amal", c.ChecklistAdd(key="churn", title="Press release"))
    assert "— @amal, no due date." in text(plain)
    pilot, people = await load(database, "churn")
    seven = pilot.items[6]
    assert (seven.category, seven.blocking, seven.needs_evidence) == ("general", True, False)
    assert seven.owner_id == people["lina"].id

    # Items added later need no evidence unless flagged.
    lina_done = await run(golive, "lina", c.ChecklistDone(key="churn", number=7))
    assert not lina_done.private

    before = await snapshot(database)
    by_sara = await run(golive, "sara", c.ChecklistWaive(key="churn", number=1, reason="n/a"))
    assign_by_sara = await run(
        golive, "sara", c.ChecklistAssign(key="churn", number=1, person="sara")
    )
    assert by_sara.text == (
        "Only the business owner (@amal) or a workspace admin can waive checklist items."
    )
    assert assign_by_sara.text.endswith("can reassign checklist items.")
    assert await snapshot(database) == before

    waived = await run(
        golive,
        "amal",
        c.ChecklistWaive(key="churn", number=4, reason="Stateless, nothing to roll back"),
    )
    assert text(waived).splitlines()[1] == (
        "@amal waived item 4 of churn: Rollback procedure tested and documented. "
        "Reason: Stateless, nothing to roll back"
    )
    moved = await run(golive, "amal", c.ChecklistAssign(key="churn", number=6, person="dev"))
    assert text(moved).splitlines()[1] == (
        "Item 6 of churn (Performance benchmarks established and tracked) reassigned from "
        "@amal to @dev."
    )
    pilot, people = await load(database, "churn")
    assert pilot.items[3].status == ItemStatus.WAIVED
    assert pilot.items[3].waive_reason == "Stateless, nothing to roll back"
    assert pilot.items[5].owner_id == people["dev"].id


async def test_due_date_slips_are_recorded(
    golive: Golive, database: MemoryStore, clock: MovableClock
) -> None:
    await _churn(golive)
    before = await snapshot(database)
    refused = await run(golive, "omar", c.ChecklistDue(key="churn", number=2, due=date(2027, 1, 5)))
    past = await run(golive, "sara", c.ChecklistDue(key="churn", number=2, due=date(2026, 11, 5)))
    assert refused.text.startswith("Only the item's owner (@sara)")
    assert past.text == "The new due date is in the past; pick today or later."
    assert await snapshot(database) == before

    clock.move(timedelta(days=20))
    overdue = await run(golive, "omar", c.ChecklistShow(key="churn"))
    assert (
        "2. [ ] Security and compliance review completed (blocking, needs evidence) — @sara, "
        "due Tue 2026-12-15 · OVERDUE 6 days" in text(overdue).splitlines()
    )
    slipped = await run(golive, "sara", c.ChecklistDue(key="churn", number=2, due=date(2027, 1, 5)))
    assert text(slipped).splitlines()[1] == (
        "Item 2 of churn (Security and compliance review completed) is now due Tue 2027-01-05 "
        "(was Tue 2026-12-15); the slip is recorded."
    )
    pilot, _ = await load(database, "churn")
    event = pilot.items[1].events[-1]
    assert (event.kind, event.old_value, event.new_value) == ("slipped", "2026-12-15", "2027-01-05")
    assert pilot.last_activity_at == clock.now()
    assert "checklist.due item:churn#2" in await audit_actions(database)


async def test_checklist_offers_a_done_button_per_open_item(golive: Golive) -> None:
    await _churn(golive)
    await run(golive, "amal", c.ChecklistWaive(key="churn", number=1, reason="Tracked elsewhere"))
    shown = await run(golive, "amal", c.ChecklistShow(key="churn"))
    buttons = next(b for b in shown.blocks if isinstance(b, Actions)).buttons
    assert [line(b) for b in buttons][:2] == ["checklist churn done 2", "checklist churn done 3"]
    assert len(buttons) == 5
    form = buttons[0].form
    assert form is not None and form.inputs[0].name == "evidence" and form.inputs[0].required
    assert (
        "1. [~] Business KPIs defined and measurable (blocking) — @amal · waived: Tracked "
        "elsewhere" in text(shown).splitlines()
    )


async def test_kpis_are_defined_by_the_owner_and_recorded_by_the_committee(
    golive: Golive, database: MemoryStore, clock: MovableClock
) -> None:
    await _churn(golive)
    added = await run(
        golive,
        "amal",
        c.KpiAdd(
            key="churn",
            name="Handling time",
            kind=KpiKind.TIME,
            unit="min",
            baseline=12,
            target=8,
            lower_is_better=True,
        ),
    )
    assert text(added).splitlines()[1] == (
        "KPI Handling time added to churn (time): baseline 12 min → target 8 min, lower is better."
    )
    await run(
        golive,
        "amal",
        c.KpiAdd(
            key="churn", name="Retention", kind=KpiKind.REVENUE, unit="%", baseline=80, target=90
        ),
    )

    before = await snapshot(database)
    outsider = await run(golive, "omar", c.KpiRecord(key="churn", name="Handling time", value=9))
    unknown = await run(golive, "sara", c.KpiRecord(key="churn", name="NPS", value=9))
    future = await run(
        golive,
        "sara",
        c.KpiRecord(key="churn", name="Handling time", value=9, at=date(2026, 12, 2)),
    )
    wrong_way = await run(
        golive,
        "amal",
        c.KpiAdd(key="churn", name="Cost", kind=KpiKind.COST, unit="$", baseline=10, target=5),
    )
    duplicate = await run(
        golive,
        "amal",
        c.KpiAdd(key="churn", name="retention", kind=KpiKind.COST, unit="%", baseline=1, target=2),
    )
    by_member = await run(
        golive,
        "sara",
        c.KpiAdd(key="churn", name="NPS", kind=KpiKind.RISK, unit="pts", baseline=1, target=2),
    )
    assert outsider.text == (
        "Only members of the churn committee or a workspace admin can record KPIs."
    )
    assert unknown.text == "churn has no KPI named NPS (KPIs: Handling time, Retention)."
    assert future.text == "A measurement cannot be dated in the future."
    assert wrong_way.text.startswith("The target is below the baseline")
    assert duplicate.text == "churn already has a KPI named retention."
    assert by_member.text.startswith("Only the business owner (@amal)")
    assert await snapshot(database) == before

    recorded = await run(golive, "sara", c.KpiRecord(key="churn", name="handling time", value=11))
    assert text(recorded).splitlines()[1] == (
        "@sara recorded Handling time for churn: 11 min on Tue 2026-12-01 — 25% of the way "
        "to target."
    )
    clock.move(timedelta(days=7))
    await run(golive, "dev", c.KpiRecord(key="churn", name="Handling time", value=10))
    await run(golive, "amal", c.KpiRecord(key="churn", name="Retention", value=86))

    status = await run(golive, "omar", c.Status(key="churn"))
    table = next(b for b in status.blocks if isinstance(b, Table))
    assert table.columns == ["KPI", "Baseline", "Current", "Target", "Of the way"]
    assert table.rows == [
        ["Handling time (min)", "12", "10", "8 ↓", "50%"],
        ["Retention (%)", "80", "86", "90", "60%"],
    ]
    pilot, _ = await load(database, "churn")
    assert [m.value for m in pilot.kpis[0].measurements] == [11, 10]
