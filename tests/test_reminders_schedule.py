"""Overdue reminders, heads-ups and escalations over simulated weeks: time zones either
side of UTC, weekends, working hours and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes import FakeChatGateway
from memory import MemoryStore
from reminders_support import Item, Who, build, kind, local, simulate

from bot.clock import MovableClock
from bot.messages import Actions, Button, plain_text
from bot.parsing import command_line
from bot.reminders.rules import parse_weekend


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


def line(button: Button) -> str:
    """What pressing ``button`` runs, as the line one would type."""
    return command_line(button.form.action if button.form else button.action)


def working_days(first: date, last: date, weekend: str) -> list[date]:
    off = parse_weekend(weekend)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [d for d in days if d.weekday() not in off]


def text_of(sent) -> str:
    return "\n".join(plain_text(b.spans) for b in sent.message.blocks if hasattr(b, "spans"))


@pytest.mark.parametrize(
    ("zone", "weekend"),
    [("Asia/Dubai", "fri-sat"), ("America/Los_Angeles", "sat-sun")],
    ids=["dubai", "los-angeles"],
)
async def test_one_reminder_each_working_day_inside_working_hours(
    database: MemoryStore, clock: MovableClock, zone: str, weekend: str
) -> None:
    due = date(2026, 12, 2)  # a Wednesday
    await build(
        database,
        people=[Who("amal", zone, weekend)],
        items=[Item("amal", due), Item("amal", due, "Runbook written", pilot="fraud")],
    )
    gateway = FakeChatGateway(clock=clock)
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))
    await simulate(database, gateway, clock, until=datetime(2026, 12, 14, tzinfo=UTC))

    reminders = [s for s in gateway.dm_log("amal") if kind(s) == "remind"]
    received = [local(s, zone) for s in reminders]
    assert [r.date() for r in received] == working_days(
        due + timedelta(days=1), date(2026, 12, 13), weekend
    )
    assert all(time(9) <= r.time() < time(17) for r in received)
    first = reminders[0]
    assert "Rollback procedure tested" in text_of(first) and "Runbook written" in text_of(first)
    buttons = [
        b for block in first.message.blocks if isinstance(block, Actions) for b in block.buttons
    ]
    assert sorted(line(b) for b in buttons) == [
        "checklist churn done 1",
        "checklist churn due 1",
        "checklist fraud done 1",
        "checklist fraud due 1",
    ]
    heads_ups = [s for s in gateway.dm_log("amal") if kind(s) == "headsup"]
    assert len(heads_ups) == 1 and local(heads_ups[0], zone).date() < due
    # Amal's items are three working days overdue by the second week: the boss hears once.
    assert [kind(s) for s in gateway.dm_log("boss")] == ["escalate"]


@pytest.mark.parametrize(
    ("zone", "due"),
    [
        ("Europe/Berlin", date(2026, 3, 25)),  # clocks go forward on Sunday 29 March
        ("Europe/Berlin", date(2026, 10, 21)),  # back on Sunday 25 October
        ("America/New_York", date(2026, 3, 4)),  # forward on Sunday 8 March
        ("America/Los_Angeles", date(2026, 10, 28)),  # back on Sunday 1 November
    ],
    ids=["berlin-spring", "berlin-autumn", "new-york-spring", "los-angeles-autumn"],
)
async def test_daylight_saving_changes_neither_skip_nor_double_a_reminder(
    database: MemoryStore, clock: MovableClock, zone: str, due: date
) -> None:
    await build(database, people=[Who("lena", zone)], items=[Item("lena", due)])
    gateway = FakeChatGateway(clock=clock)
    clock.set(datetime.combine(due, time(0), tzinfo=UTC))
    end = due + timedelta(days=12)
    await simulate(
        database,
        gateway,
        clock,
        until=datetime.combine(end, time(0), tzinfo=UTC),
        step=timedelta(hours=1),
    )

    received = [local(s, zone) for s in gateway.dm_log("lena") if kind(s) == "remind"]
    expected = working_days(due + timedelta(days=1), end - timedelta(days=1), "sat-sun")
    assert [r.date() for r in received] == expected
    assert all(time(9) <= r.time() < time(17) for r in received)


async def test_reminders_keep_to_personal_working_hours(
    database: MemoryStore, clock: MovableClock
) -> None:
    await build(
        database,
        people=[Who("noor", "Europe/London", start=time(13), end=time(15))],
        items=[Item("noor", date(2026, 12, 1))],
    )
    gateway = FakeChatGateway(clock=clock)
    await simulate(
        database,
        gateway,
        clock,
        until=datetime(2026, 12, 8, tzinfo=UTC),
        step=timedelta(minutes=15),
    )
    received = [local(s, "Europe/London") for s in gateway.dm_log("noor")]
    assert len(received) == 4  # Wed, Thu, Fri, Mon
    assert all(time(13) <= r.time() < time(15) for r in received)


async def test_the_workspace_default_zone_and_weekend_apply_without_personal_settings(
    database: MemoryStore, clock: MovableClock
) -> None:
    await build(
        database,
        people=[Who("omar")],
        items=[Item("omar", date(2026, 12, 2))],
        workspace_timezone="Asia/Riyadh",
        workspace_weekend="fri-sat",
    )
    gateway = FakeChatGateway(clock=clock)
    await simulate(database, gateway, clock, until=datetime(2026, 12, 8, tzinfo=UTC))
    days = [local(s, "Asia/Riyadh").date() for s in gateway.dm_log("omar") if kind(s) == "remind"]
    assert days == working_days(date(2026, 12, 3), date(2026, 12, 7), "fri-sat")


async def test_after_three_working_days_the_business_owner_gets_one_escalation(
    database: MemoryStore, clock: MovableClock
) -> None:
    people = await build(
        database,
        people=[Who("sara", "America/Los_Angeles"), Who("boss", "Europe/Berlin")],
        items=[
            Item("sara", date(2026, 12, 4), "Security review"),  # a Friday
            Item("sara", date(2026, 12, 4), "Pen test"),
            Item("boss", date(2026, 12, 1), "KPIs defined"),  # the boss's own: no escalation
        ],
    )
    gateway = FakeChatGateway(clock=clock)
    await simulate(database, gateway, clock, until=datetime(2026, 12, 22, tzinfo=UTC))

    escalations = [s for s in gateway.dm_log("boss") if kind(s) == "escalate"]
    assert len(escalations) == 1
    # Sara's third working day overdue is Wednesday 9 December in Los Angeles; the boss
    # hears of it during his own working hours.
    when = local(escalations[0], "Europe/Berlin")
    assert when.date() == date(2026, 12, 9) and time(9) <= when.time() < time(17)
    body = text_of(escalations[0])
    assert "Security review" in body and "Pen test" in body and "@Sara" in body
    assert "KPIs defined" not in body
    assert people["boss"].id is not None
    assert any(kind(s) == "remind" for s in gateway.dm_log("boss"))


async def test_heads_up_two_working_days_before_the_due_date(
    database: MemoryStore, clock: MovableClock
) -> None:
    await build(database, people=[Who("amal")], items=[Item("amal", date(2026, 12, 8))])  # Tue
    gateway = FakeChatGateway(clock=clock)
    await simulate(database, gateway, clock, until=datetime(2026, 12, 8, tzinfo=UTC))
    heads_ups = [s for s in gateway.dm_log("amal") if kind(s) == "headsup"]
    # Two working days before Tuesday are Friday (Mon, Tue to go) in a Sat-Sun week.
    assert [local(s, "UTC").date() for s in heads_ups] == [date(2026, 12, 4)]
    assert "Rollback procedure tested" in text_of(heads_ups[0])


async def test_a_sweep_run_twice_queues_nothing_twice(
    database: MemoryStore, clock: MovableClock
) -> None:
    from bot.reminders.scheduled import send_due_reminders

    await build(
        database,
        people=[Who("sara")],
        items=[Item("sara", date(2026, 11, 20)), Item("sara", date(2026, 12, 3))],
    )
    clock.set(datetime(2026, 12, 2, 10, tzinfo=UTC))
    first = await send_due_reminders(uow_factory=database.uow, clock=clock)
    again = await send_due_reminders(uow_factory=database.uow, clock=clock)
    # The overdue list, a heads-up and the escalation of sara's item to the boss.
    assert (first, again) == (3, 0)


def test_calendar_rules() -> None:
    assert parse_weekend("fri-sat") == {4, 5}
    assert parse_weekend("sun-mon") == {6, 0}
    assert parse_weekend("nonsense") == {5, 6}
    assert ZoneInfo("Asia/Dubai")  # the zone database is present
