"""Working calendars and the reminder planner, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.pilots.models import Person, Workspace
from bot.reminders.models import DueItem
from bot.reminders.planning import plan_reminders
from bot.reminders.rules import WorkCalendar, needs_escalation, needs_heads_up, parse_weekend

GULF = Workspace(platform="slack", external_id="T1", timezone="Asia/Dubai", weekend="fri-sat", id=1)


def person(pid: int, **kw: object) -> Person:
    return Person(workspace_id=1, external_id=f"U{pid}", name=f"P{pid}", id=pid, **kw)  # type: ignore[arg-type]


def item(item_id: int, owner: int, due: date, boss: int = 9) -> DueItem:
    return DueItem(
        item_id, 1, "churn", "Churn", item_id, f"Item {item_id}", due, False, owner, boss
    )


def test_weekends_parse_as_ranges() -> None:
    assert parse_weekend("fri-sat") == {4, 5}
    assert parse_weekend("sat-sun") == {5, 6}
    assert parse_weekend("thu-sat") == {3, 4, 5}
    assert parse_weekend("sun-mon") == {6, 0}
    assert parse_weekend(None) == parse_weekend("garbage") == {5, 6}


def test_personal_settings_win_over_the_workspace_defaults() -> None:
    default = WorkCalendar.of(person(1), GULF)
    own = WorkCalendar.of(person(2, timezone="Europe/Paris", weekend="sat-sun"), GULF)
    assert default.zone == ZoneInfo("Asia/Dubai") and default.weekend == {4, 5}
    assert own.zone == ZoneInfo("Europe/Paris") and own.weekend == {5, 6}


def test_working_hours_follow_the_local_wall_clock_across_dst() -> None:
    paris = WorkCalendar.of(person(1, timezone="Europe/Paris", weekend="sat-sun"), GULF)
    # 08:30 UTC is 09:30 in Paris in winter and 10:30 in summer: both inside 09-17.
    assert paris.in_working_hours(datetime(2026, 3, 27, 8, 30, tzinfo=UTC))
    assert paris.in_working_hours(datetime(2026, 3, 30, 8, 30, tzinfo=UTC))
    # 07:30 UTC is 08:30 in winter (before work) but 09:30 in summer (at work).
    assert not paris.in_working_hours(datetime(2026, 3, 27, 7, 30, tzinfo=UTC))
    assert paris.in_working_hours(datetime(2026, 3, 30, 7, 30, tzinfo=UTC))
    assert not paris.in_working_hours(datetime(2026, 3, 28, 10, tzinfo=UTC))  # Saturday


def test_working_days_skip_the_weekend() -> None:
    gulf = WorkCalendar.of(person(1), GULF)
    # Due Thursday 3 Dec; Fri and Sat are off in the Gulf; Sun, Mon, Tue are working days.
    assert gulf.working_days_after(date(2026, 12, 3), date(2026, 12, 8)) == 3
    assert needs_escalation(date(2026, 12, 3), date(2026, 12, 8), gulf)
    assert not needs_escalation(date(2026, 12, 3), date(2026, 12, 7), gulf)
    # A heads-up on Wednesday for Sunday: Thu and Sun are the two working days left.
    assert needs_heads_up(date(2026, 12, 6), date(2026, 12, 2), gulf)
    assert not needs_heads_up(date(2026, 12, 7), date(2026, 12, 2), gulf)
    assert not needs_heads_up(date(2026, 12, 2), date(2026, 12, 2), gulf)  # due today


def test_the_plan_is_one_message_per_owner_kind_and_local_day() -> None:
    owner = person(1, work_start=time(8), work_end=time(12))
    boss = person(9)
    now = datetime(2026, 12, 8, 6, tzinfo=UTC)  # Tuesday 10:00 in Dubai
    plans = plan_reminders(
        items=[
            item(1, 1, date(2026, 12, 1)),
            item(2, 1, date(2026, 12, 3)),
            item(3, 1, date(2026, 12, 9)),
        ],
        people={1: owner, 9: boss},
        workspaces={1: GULF},
        now=now,
    )
    assert [(p.kind, p.key, [i.item_id for i in p.items]) for p in plans] == [
        ("remind", "remind:1:2026-12-08", [1, 2]),
        ("headsup", "headsup:1:2026-12-08", [3]),
        ("escalate", "escalate:9:2026-12-08", [1, 2]),
    ]
    marked = {"headsup:3:2026-12-09", "escalate:1:2026-12-01"}
    again = plan_reminders(
        items=[
            item(1, 1, date(2026, 12, 1)),
            item(2, 1, date(2026, 12, 3)),
            item(3, 1, date(2026, 12, 9)),
        ],
        people={1: owner, 9: boss},
        workspaces={1: GULF},
        now=now,
        marked=marked,
    )
    assert [(p.kind, [i.item_id for i in p.items]) for p in again] == [
        ("remind", [1, 2]),
        ("escalate", [2]),
    ]
    # Outside the owner's hours (12:00 in Dubai) only the boss, still at work, hears.
    late = plan_reminders(
        items=[item(1, 1, date(2026, 12, 1))],
        people={1: owner, 9: boss},
        workspaces={1: GULF},
        now=datetime(2026, 12, 8, 8, tzinfo=UTC),
    )
    assert [p.kind for p in late] == ["escalate"]
