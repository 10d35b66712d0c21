"""A digest is read in a fixed number of SQL statements, however many pilots, items,
measurements and polls its channel has."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.digests.service import build_digest
from bot.pilots.models import (
    ChecklistItem,
    CommitteeMember,
    ItemEvent,
    ItemStatus,
    Kpi,
    KpiKind,
    Measurement,
    Person,
    Pilot,
    Role,
    Stage,
    StageChange,
    Workspace,
)
from bot.polls.models import Decision, Poll, Vote, Voter
from storage.db import Database
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 12, 15, 10, tzinfo=UTC)
WEEK_AGO = NOW - timedelta(days=7)


def make_pilot(workspace: Workspace, people: list[Person], channel: str, n: int) -> Pilot:
    """A pilot with a two-person committee, six items with events, two KPIs with three
    measurements each."""
    assert workspace.id is not None
    owner, member = people[n % len(people)], people[(n + 1) % len(people)]
    assert owner.id is not None and member.id is not None
    created = NOW - timedelta(days=20 + n % 10)
    items = []
    for i in range(6):
        closed = created + timedelta(days=i + 1) if i < 2 else None
        events = [ItemEvent(kind="created", at=created, by_id=owner.id)]
        if closed:
            events.append(ItemEvent(kind="done", at=closed, by_id=owner.id))
        if i == 4:
            events.append(
                ItemEvent(
                    kind="slipped",
                    at=NOW - timedelta(days=2),
                    by_id=owner.id,
                    old_value="2026-12-10",
                    new_value="2026-12-20",
                )
            )
        items.append(
            ChecklistItem(
                number=i + 1,
                title=f"Item {i + 1}",
                category="general",
                owner_id=(owner if i % 2 else member).id or 0,
                due=date(2026, 12, 10 + i),
                status=ItemStatus.DONE if closed else ItemStatus.OPEN,
                closed_at=closed,
                created_at=created,
                events=events,
            )
        )
    kpis = [
        Kpi(
            name=f"KPI {k}",
            kind=KpiKind.TIME,
            unit="h",
            baseline=10,
            target=30,
            measurements=[
                Measurement(
                    value=12 + 4 * m + k,
                    at=date(2026, 12, 1 + 5 * m),
                    recorded_at=NOW - timedelta(days=14 - 5 * m),
                )
                for m in range(3)
            ],
        )
        for k in range(2)
    ]
    return Pilot(
        workspace_id=workspace.id,
        key=f"{channel.lower()}-{n}",
        name=f"Pilot {n}",
        owner_id=owner.id,
        channel_id=channel,
        channel_name=channel.lower(),
        stage=Stage.PILOT,
        stage_since=NOW - timedelta(days=3),
        golive_target=date(2027, 2, 1),
        created_at=created,
        last_activity_at=NOW - timedelta(days=n % 20),
        committee=[
            CommitteeMember(person_id=owner.id, role=Role.BUSINESS),
            CommitteeMember(person_id=member.id, role=Role.SECURITY),
        ],
        items=items,
        kpis=kpis,
    )


async def populate(database: Database, channels: dict[str, int]) -> int:
    """Pilots in each channel (a poll on every fifth, a decision on every tenth); the
    workspace id."""
    async with database.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        workspace = Workspace(platform="console", external_id="T-acme")
        uow.add(workspace)
        await uow.flush()
        assert workspace.id is not None
        people = [
            Person(workspace_id=workspace.id, external_id=f"u{i}", name=f"User {i}")
            for i in range(40)
        ]
        uow.session.add_all(people)
        await uow.flush()
        pilots = [
            make_pilot(workspace, people, channel, n)
            for channel, count in channels.items()
            for n in range(count)
        ]
        uow.session.add_all(pilots)
        await uow.flush()
        polls: dict[int, Poll] = {}
        for index, pilot in enumerate(pilots):
            assert pilot.id is not None
            uow.add(StageChange(pilot.id, Stage.POC, Stage.PILOT, at=NOW - timedelta(days=3)))
            if index % 5 == 0:
                voters = [Voter(person_id=m.person_id, role=m.role.value) for m in pilot.committee]
                polls[index] = Poll(
                    workspace_id=workspace.id,
                    pilot_id=pilot.id,
                    question="Go?",
                    opened_by_id=pilot.owner_id,
                    opened_at=NOW - timedelta(days=1),
                    closes_at=NOW + timedelta(days=2),
                    open_pilot_id=pilot.id,
                    voters=voters,
                    votes=[
                        Vote(
                            person_id=pilot.owner_id,
                            choice=None,
                            text=None,
                            cast_at=NOW - timedelta(hours=5),
                        )
                    ],
                )
                uow.add(polls[index])
        await uow.flush()
        for seq, (index, poll) in enumerate(sorted(polls.items())[::2], start=1):
            assert poll.id is not None
            uow.add(
                Decision(
                    workspace_id=workspace.id,
                    pilot_id=pilots[index].id or 0,
                    poll_id=poll.id,
                    seq=seq,
                    outcome="GO",
                    decided_at=NOW - timedelta(days=2),
                    record_json="{}",
                    prev_hash="",
                    hash=f"{seq:064x}",
                )
            )
        await uow.commit()
        return workspace.id


async def statements_for_digest(
    database: Database, workspace_id: int, channel: str
) -> tuple[int, int]:
    """Build the channel's digest: (SQL statements it took, pilots in it), checking that
    every pilot came with all its parts."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    async with database.uow() as uow:
        workspace = await uow.workspaces.get(workspace_id)
        assert workspace is not None
        event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        try:
            built = await build_digest(
                uow=uow, workspace=workspace, channel_id=channel, now=NOW, charts=None
            )
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    report = built.report
    assert all(len(p.kpis) == 2 and p.total == 6 and p.closed == 2 for p in report.pilots)
    assert sum(len(p.open_polls) for p in report.pilots) == len(report.pilots) // 5
    assert sum(len(p.decisions) for p in report.pilots) == (len(report.pilots) + 9) // 10
    assert all(len(p.slips) == 1 and len(p.overdue) == 3 for p in report.pilots)
    return len(seen), len(report.pilots)


async def test_digest_queries_do_not_grow_with_the_number_of_pilots(database: Database) -> None:
    workspace_id = await populate(database, {"C-small": 10, "C-large": 500})

    small, small_pilots = await statements_for_digest(database, workspace_id, "C-small")
    large, large_pilots = await statements_for_digest(database, workspace_id, "C-large")

    assert (small_pilots, large_pilots) == (10, 500)
    assert small == large
    assert small <= 15, small
