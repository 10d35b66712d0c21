"""Bulk seeding through storage's own tables (SQLAlchemy Core multi-row inserts): the
shapes golive reads, thousands of rows a second, without going through the commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.digests.models import iso_week
from bot.messages import Message
from bot.pilots.models import ItemStatus, KpiKind, Role, Stage
from storage.digests import digests
from storage.pilots import (
    checklist_items,
    committee_members,
    kpi_measurements,
    kpis,
    people,
    pilots,
    stage_changes,
    workspaces,
)

CHUNK = 5000
TEMPLATE = (
    ("Business KPIs defined and measurable", "business"),
    ("Security and compliance review completed", "security"),
    ("Monitoring, alerting and escalation paths in place", "operations"),
    ("Rollback procedure tested and documented", "engineering"),
    ("Operations team trained and runbook available", "operations"),
    ("Performance benchmarks established and tracked", "data-science"),
)


async def rows(conn: AsyncConnection, table: Table, values: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``values`` into ``table`` in chunks; their new ids, in order."""
    ids: list[int] = []
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        result = await conn.execute(statement, list(chunk))
        ids.extend(int(row[0]) for row in result)
    return ids


async def workspace(conn: AsyncConnection, external_id: str = "T1") -> int:
    values = {"platform": "slack", "external_id": external_id, "name": "Bench", "timezone": "UTC"}
    return (await rows(conn, workspaces, [{**values, "weekend": "sat-sun"}]))[0]


async def persons(
    conn: AsyncConnection, workspace_id: int, count: int, *, first: int = 0, tz: str = "UTC"
) -> list[int]:
    """People ``U00000``... (Slack ids), working 09:00-17:00 in ``tz``."""
    values = [
        {
            "workspace_id": workspace_id,
            "external_id": f"U{n:05d}",
            "name": f"Person {n}",
            "timezone": tz,
            "locale": "en-US",
            "work_start": time(9),
            "work_end": time(17),
        }
        for n in range(first, first + count)
    ]
    return await rows(conn, people, values)


async def pilot_rows(
    conn: AsyncConnection,
    workspace_id: int,
    owners: Sequence[int],
    count: int,
    *,
    channel: str,
    key_format: str = "p{:04d}",
    now: datetime,
) -> list[int]:
    """``count`` pilots in ``channel``, owners taken in turn, at varied stages."""
    stages = [Stage.POC, Stage.PILOT, Stage.REVIEW, Stage.APPROVED, Stage.PRODUCTION]
    values = [
        {
            "workspace_id": workspace_id,
            "key": key_format.format(n),
            "name": f"Pilot {n}",
            "owner_id": owners[n % len(owners)],
            "channel_id": channel,
            "channel_name": "steering",
            "stage": stages[n % len(stages)],
            "stage_since": now - timedelta(days=n % 40),
            "description": "Seeded for the benchmarks",
            "golive_target": (now + timedelta(days=30 + n % 60)).date(),
            "created_at": now - timedelta(days=60),
            "last_activity_at": now - timedelta(days=n % 20),
        }
        for n in range(count)
    ]
    return await rows(conn, pilots, values)


async def full_pilots(
    conn: AsyncConnection,
    pilot_ids: Sequence[int],
    owners: Sequence[int],
    members: Sequence[int],
    *,
    now: datetime,
) -> None:
    """What a used pilot has: 3 committee members, the 6 template items (2 done, 1
    overdue), 2 KPIs with 4 measurements each and a stage change."""
    today = now.date()
    roles = [Role.ENGINEERING, Role.SECURITY, Role.OPERATIONS]
    committee, items, kpi_values, changes = [], [], [], []
    for i, pilot_id in enumerate(pilot_ids):
        owner = owners[i % len(owners)]
        committee.append({"pilot_id": pilot_id, "person_id": owner, "role": Role.BUSINESS})
        chosen = {owner}
        for j, role in enumerate(roles):
            person = members[(i * 3 + j) % len(members)]
            if person not in chosen:
                chosen.add(person)
                committee.append({"pilot_id": pilot_id, "person_id": person, "role": role})
        for n, (title, category) in enumerate(TEMPLATE, start=1):
            items.append(
                item(pilot_id, n, owner, due=today + timedelta(days=14 - 5 * n), done=n <= 2)
                | {"title": title, "category": category}
            )
        for name, kind in (("Hours saved", KpiKind.TIME), ("Cost per case", KpiKind.COST)):
            kpi_values.append(
                {
                    "pilot_id": pilot_id,
                    "name": name,
                    "kind": kind,
                    "unit": "h" if kind == KpiKind.TIME else "EUR",
                    "baseline": 100.0,
                    "target": 40.0 if kind == KpiKind.COST else 300.0,
                    "lower_is_better": kind == KpiKind.COST,
                }
            )
        changes.append(
            {"pilot_id": pilot_id, "from_stage": Stage.POC, "to_stage": Stage.PILOT, "at": now}
        )
    await rows(conn, committee_members, committee)
    await rows(conn, checklist_items, items)
    kpi_ids = await rows(conn, kpis, kpi_values)
    measurements = [
        {
            "kpi_id": kpi_id,
            "value": 100.0 + 10 * week + kpi_id % 7,
            "at": today - timedelta(weeks=4 - week),
            "recorded_at": now - timedelta(weeks=4 - week),
        }
        for kpi_id in kpi_ids
        for week in range(4)
    ]
    await rows(conn, kpi_measurements, measurements)
    await rows(conn, stage_changes, changes)


async def digest_posted(
    conn: AsyncConnection, workspace_id: int, channel: str, *, now: datetime
) -> None:
    """Record this week's digest of ``channel`` as posted, so no sweep builds it."""
    digest = {
        "workspace_id": workspace_id,
        "channel_id": channel,
        "week": iso_week(now.date()),
        "created_at": now - timedelta(hours=1),
        "message_json": Message(text="digest").model_dump_json(),
        "kpi_values_json": "{}",
    }
    await rows(conn, digests, [digest])


def item(pilot_id: int, number: int, owner: int, *, due: date | None, done: bool) -> dict[str, Any]:
    return {
        "pilot_id": pilot_id,
        "number": number,
        "title": f"Item {number}",
        "category": "engineering",
        "owner_id": owner,
        "due": due,
        "status": ItemStatus.DONE if done else ItemStatus.OPEN,
        "blocking": number <= 6,
        "needs_evidence": False,
        "evidence": "https://example.org/evidence" if done else None,
        "closed_at": datetime(2026, 1, 1, tzinfo=UTC) if done else None,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
