"""Which reminder messages are due at an instant: a pure function of the open items, the
people and their workspaces, so the rules can be tested without a database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.pilots.models import Person, Workspace
from bot.reminders.models import DueItem
from bot.reminders.rules import WorkCalendar, is_overdue, needs_escalation, needs_heads_up


@dataclass(frozen=True)
class Planned:
    """One direct message to queue. ``key`` is its outbox key (one per recipient, kind and
    local date); ``marks`` are the per-item keys recorded with it (heads-ups and
    escalations announce an item once per due date)."""

    kind: str  # "remind" | "headsup" | "escalate"
    key: str
    workspace: Workspace
    person: Person
    today: date
    items: tuple[DueItem, ...]
    marks: tuple[str, ...] = ()
    days_overdue: Mapping[int, int] = field(default_factory=dict)  # by item id


def mark_key(kind: str, item: DueItem) -> str:
    return f"{kind}:{item.item_id}:{item.due.isoformat()}"


def plan_reminders(
    *,
    items: Iterable[DueItem],
    people: Mapping[int, Person],
    workspaces: Mapping[int, Workspace],
    now: datetime,
    marked: Set[str] = frozenset(),
) -> list[Planned]:
    """The messages due at ``now``: each owner's overdue list, each owner's heads-ups and
    each business owner's escalations, for recipients inside their working hours."""
    calendars: dict[int, WorkCalendar] = {}

    def calendar(person: Person) -> WorkCalendar:
        if person.stored_id not in calendars:
            calendars[person.stored_id] = WorkCalendar.of(person, workspaces[person.workspace_id])
        return calendars[person.stored_id]

    by_owner: dict[int, list[DueItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.due, i.pilot_key, i.number)):
        if item.owner_id in people:
            by_owner[item.owner_id].append(item)

    planned: list[Planned] = []
    escalated: dict[int, list[tuple[DueItem, int]]] = defaultdict(list)
    for owner_id, owned in by_owner.items():
        owner = people[owner_id]
        cal = calendar(owner)
        today = cal.today(now)
        overdue = [i for i in owned if is_overdue(i.due, today)]
        for item in overdue:
            if (
                needs_escalation(item.due, today, cal)
                and item.business_owner_id != owner_id
                and mark_key("escalate", item) not in marked
            ):
                escalated[item.business_owner_id].append(
                    (item, cal.working_days_after(item.due, today))
                )
        if not cal.in_working_hours(now):
            continue
        workspace = workspaces[owner.workspace_id]
        if overdue:
            days = {i.item_id: cal.working_days_after(i.due, today) for i in overdue}
            planned.append(
                Planned(
                    "remind",
                    f"remind:{owner_id}:{today}",
                    workspace,
                    owner,
                    today,
                    tuple(overdue),
                    days_overdue=days,
                )
            )
        soon = [
            i
            for i in owned
            if needs_heads_up(i.due, today, cal) and mark_key("headsup", i) not in marked
        ]
        if soon:
            planned.append(
                Planned(
                    "headsup",
                    f"headsup:{owner_id}:{today}",
                    workspace,
                    owner,
                    today,
                    tuple(soon),
                    marks=tuple(mark_key("headsup", i) for i in soon),
                )
            )
    for boss_id, pairs in escalated.items():
        boss = people.get(boss_id)
        if boss is None or not calendar(boss).in_working_hours(now):
            continue
        today = calendar(boss).today(now)
        planned.append(
            Planned(
                "escalate",
                f"escalate:{boss_id}:{today}",
                workspaces[boss.workspace_id],
                boss,
                today,
                tuple(i for i, _ in pairs),
                marks=tuple(mark_key("escalate", i) for i, _ in pairs),
                days_overdue={i.item_id: days for i, days in pairs},
            )
        )
    return planned
