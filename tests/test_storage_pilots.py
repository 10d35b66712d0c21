"""Repositories for workspaces, people, pilots and the audit log, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import text

from bot.errors import Conflict
from bot.pilots.models import (
    AuditEntry,
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
from storage.db import Database

DUBAI = timezone(timedelta(hours=4))
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def seed(database: Database) -> tuple[int, int, int]:
    """A workspace with an owner and a security lead; returns their ids."""
    async with database.uow() as uow:
        workspace = Workspace(platform="slack", external_id="T1", name="Acme")
        await uow.workspaces.add(workspace)
        await uow.flush()
        assert workspace.id is not None
        owner = Person(workspace_id=workspace.id, external_id="U1", name="Noura")
        security = Person(
            workspace_id=workspace.id,
            external_id="U2",
            name="Sam",
            timezone="Asia/Dubai",
            locale="ar",
            work_start=time(8, 30),
            work_end=time(16, 0),
            weekend="fri-sat",
        )
        await uow.people.add(owner)
        await uow.people.add(security)
        await uow.commit()
    assert owner.id is not None and security.id is not None
    return workspace.id, owner.id, security.id


def new_pilot(workspace_id: int, owner_id: int, key: str = "churn") -> Pilot:
    return Pilot(
        workspace_id=workspace_id,
        key=key,
        name="Churn predictor",
        owner_id=owner_id,
        channel_id="C1",
        stage_since=NOW,
        created_at=NOW,
    )


async def test_workspaces_and_people_round_trip(database: Database) -> None:
    workspace_id, owner_id, security_id = await seed(database)
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "T1")
        assert workspace is not None and workspace.id == workspace_id
        assert (workspace.name, workspace.timezone, workspace.weekend) == ("Acme", "UTC", "sat-sun")
        assert await uow.workspaces.get_by_external("teams", "T1") is None
        assert await uow.workspaces.get(workspace_id) is workspace

        sam = await uow.people.get_by_external(workspace_id, "U2")
        assert sam is not None
        assert (sam.timezone, sam.locale, sam.weekend) == ("Asia/Dubai", "ar", "fri-sat")
        assert (sam.work_start, sam.work_end) == (time(8, 30), time(16, 0))
        noura = await uow.people.get(owner_id)
        assert noura is not None and noura.work_start == time(9, 0) and noura.timezone is None
        many = await uow.people.get_many([owner_id, security_id, 999])
        assert {pid: p.name for pid, p in many.items()} == {owner_id: "Noura", security_id: "Sam"}
        assert await uow.people.get_many([]) == {}


async def test_a_pilot_round_trips_with_committee_checklist_and_kpis(database: Database) -> None:
    workspace_id, owner_id, security_id = await seed(database)
    async with database.uow() as uow:
        pilot = new_pilot(workspace_id, owner_id)
        pilot.golive_target = date(2027, 3, 31)
        pilot.last_activity_at = datetime(2026, 12, 1, 13, 0, tzinfo=DUBAI)
        pilot.committee += [
            CommitteeMember(person_id=owner_id, role=Role.BUSINESS),
            CommitteeMember(person_id=security_id, role=Role.DATA_SCIENCE, voting=False),
        ]
        # Numbers out of order: the checklist comes back by number.
        pilot.items += [
            ChecklistItem(
                number=2,
                title="Security review",
                category="security",
                owner_id=security_id,
                due=date(2026, 12, 15),
                blocking=True,
            ),
            ChecklistItem(
                number=1,
                title="KPIs defined",
                category="business",
                owner_id=owner_id,
                events=[ItemEvent(kind="created", at=NOW, by_id=owner_id)],
            ),
        ]
        pilot.kpis.append(
            Kpi(
                name="Handling time",
                kind=KpiKind.TIME,
                unit="min",
                baseline=12.5,
                target=8,
                lower_is_better=True,
                measurements=[
                    Measurement(
                        value=11.0, at=date(2026, 11, 30), recorded_by_id=owner_id, recorded_at=NOW
                    )
                ],
            )
        )
        await uow.pilots.add(pilot)
        await uow.commit()
        pilot_id = pilot.id
    assert pilot_id is not None

    async with database.uow() as uow:
        loaded = await uow.pilots.get_by_key(workspace_id, "churn")
        assert loaded is not None and loaded.id == pilot_id
        assert loaded.stage is Stage.POC
        assert loaded.golive_target == date(2027, 3, 31)
        assert loaded.last_activity_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        assert loaded.last_activity_at.tzinfo == UTC
        assert loaded.created_at == NOW and loaded.created_at.tzinfo == UTC
        assert [(m.person_id, m.role, m.voting) for m in loaded.committee] == [
            (owner_id, Role.BUSINESS, True),
            (security_id, Role.DATA_SCIENCE, False),
        ]
        assert [(i.number, i.title, i.status) for i in loaded.items] == [
            (1, "KPIs defined", ItemStatus.OPEN),
            (2, "Security review", ItemStatus.OPEN),
        ]
        assert loaded.items[1].due == date(2026, 12, 15) and loaded.items[1].blocking
        assert [(e.kind, e.at, e.by_id) for e in loaded.items[0].events] == [
            ("created", NOW, owner_id)
        ]
        kpi = loaded.kpis[0]
        assert (kpi.kind, kpi.baseline, kpi.target, kpi.lower_is_better) == (
            KpiKind.TIME,
            12.5,
            8.0,
            True,
        )
        assert [(m.value, m.at, m.recorded_at) for m in kpi.measurements] == [
            (11.0, date(2026, 11, 30), NOW)
        ]
        assert await uow.pilots.get_by_key(workspace_id, "other") is None
        assert await uow.pilots.get(pilot_id) is loaded


async def test_enums_are_stored_as_their_values(database: Database) -> None:
    workspace_id, owner_id, _ = await seed(database)
    async with database.uow() as uow:
        pilot = new_pilot(workspace_id, owner_id)
        pilot.stage = Stage.REVIEW
        pilot.committee.append(CommitteeMember(person_id=owner_id, role=Role.DATA_SCIENCE))
        await uow.pilots.add(pilot)
        await uow.commit()
    async with database.engine.connect() as connection:
        stage = (await connection.execute(text("SELECT stage FROM pilots"))).scalar()
        role = (await connection.execute(text("SELECT role FROM committee_members"))).scalar()
    assert (stage, role) == ("review", "data-science")


async def test_the_database_refuses_an_unknown_stage(database: Database) -> None:
    workspace_id, owner_id, _ = await seed(database)
    async with database.uow() as uow:
        await uow.pilots.add(new_pilot(workspace_id, owner_id))
        await uow.commit()
    with pytest.raises(Exception, match=r"(?i)check"):
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE pilots SET stage = 'launched'"))


async def test_naive_datetimes_are_refused(database: Database) -> None:
    workspace_id, owner_id, _ = await seed(database)
    with pytest.raises(Exception, match="naive datetime"):
        async with database.uow() as uow:
            pilot = new_pilot(workspace_id, owner_id)
            pilot.created_at = datetime(2026, 12, 1, 9, 0)
            await uow.pilots.add(pilot)
            await uow.flush()


async def test_changes_and_removals_cascade(database: Database) -> None:
    workspace_id, owner_id, security_id = await seed(database)
    async with database.uow() as uow:
        pilot = new_pilot(workspace_id, owner_id)
        pilot.items += [
            ChecklistItem(
                number=n,
                title=f"Item {n}",
                category="general",
                owner_id=owner_id,
                events=[ItemEvent(kind="created", at=NOW, by_id=owner_id)],
            )
            for n in (1, 2)
        ]
        pilot.kpis.append(
            Kpi(
                name="Savings",
                kind=KpiKind.COST,
                unit="USD",
                baseline=0,
                target=100,
                measurements=[Measurement(value=5, at=date(2026, 12, 1))],
            )
        )
        await uow.pilots.add(pilot)
        await uow.commit()

    async with database.uow() as uow:
        stored = await uow.pilots.get_by_key(workspace_id, "churn")
        assert stored is not None
        removed = stored.items.pop(0)
        stored.items[0].status = ItemStatus.DONE
        stored.items[0].closed_at = NOW
        stored.items[0].events.append(ItemEvent(kind="done", at=NOW, by_id=security_id))
        stored.kpis.clear()
        await uow.commit()
    assert removed.id is not None

    async with database.engine.connect() as connection:

        async def count(table: str) -> int:
            return int(
                (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            )

        assert await count("checklist_items") == 1
        assert await count("item_events") == 2  # item 2's created and done
        assert await count("kpis") == 0
        assert await count("kpi_measurements") == 0

    async with database.uow() as uow:
        reloaded = await uow.pilots.get_by_key(workspace_id, "churn")
        assert reloaded is not None
        assert [(i.number, i.status, i.closed_at) for i in reloaded.items] == [
            (2, ItemStatus.DONE, NOW)
        ]
        assert [e.kind for e in reloaded.items[0].events] == ["created", "done"]


async def test_list_filters_by_stage_and_by_the_person_s_involvement(database: Database) -> None:
    workspace_id, owner_id, security_id = await seed(database)
    async with database.uow() as uow:
        mine = new_pilot(workspace_id, owner_id, key="zeta")
        theirs = new_pilot(workspace_id, security_id, key="alpha")
        theirs.stage = Stage.REVIEW
        theirs.committee.append(CommitteeMember(person_id=security_id, role=Role.BUSINESS))
        shared = new_pilot(workspace_id, security_id, key="mid")
        shared.committee.append(CommitteeMember(person_id=owner_id, role=Role.EXECUTIVE))
        for pilot in (mine, theirs, shared):
            await uow.pilots.add(pilot)
        other = Workspace(platform="slack", external_id="T2")
        await uow.workspaces.add(other)
        await uow.flush()
        assert other.id is not None
        stranger = Person(workspace_id=other.id, external_id="U9", name="Zed")
        await uow.people.add(stranger)
        await uow.flush()
        assert stranger.id is not None
        await uow.pilots.add(new_pilot(other.id, stranger.id, key="beta"))
        await uow.commit()

    async with database.uow() as uow:
        keys = [p.key for p in await uow.pilots.list(workspace_id)]
        assert keys == ["alpha", "mid", "zeta"]  # never the other workspace's "beta"
        assert [p.key for p in await uow.pilots.list(workspace_id, stage=Stage.REVIEW)] == ["alpha"]
        involved = await uow.pilots.list(workspace_id, person_id=owner_id)
        assert [p.key for p in involved] == ["mid", "zeta"]
        assert [
            p.key
            for p in await uow.pilots.list(workspace_id, stage=Stage.POC, person_id=security_id)
        ] == ["mid"]


async def test_stage_changes_and_the_audit_log(database: Database) -> None:
    workspace_id, owner_id, _ = await seed(database)
    async with database.uow() as uow:
        pilot = new_pilot(workspace_id, owner_id)
        await uow.pilots.add(pilot)
        await uow.flush()
        assert pilot.id is not None
        uow.add(StageChange(pilot_id=pilot.id, from_stage=None, to_stage=Stage.POC, at=NOW))
        uow.add(
            StageChange(
                pilot_id=pilot.id,
                from_stage=Stage.POC,
                to_stage=Stage.PILOT,
                at=NOW,
                by_id=owner_id,
            )
        )
        later = NOW + timedelta(hours=1)
        await uow.audit.add(
            AuditEntry(
                workspace_id=workspace_id,
                actor_id=owner_id,
                action="pilot.stage",
                subject="pilot:churn",
                at=later,
                detail="poc -> pilot",
            )
        )
        await uow.audit.add(
            AuditEntry(
                workspace_id=workspace_id,
                actor_id=owner_id,
                action="pilot.create",
                subject="pilot:churn",
                at=NOW,
            )
        )
        await uow.audit.add(
            AuditEntry(
                workspace_id=workspace_id,
                actor_id=None,
                action="poll.close",
                subject="poll:1",
                at=NOW,
            )
        )
        await uow.commit()

    async with database.uow() as uow:
        entries = await uow.audit.list(workspace_id, "pilot:churn")
        assert [(e.action, e.at, e.detail) for e in entries] == [
            ("pilot.create", NOW, ""),
            ("pilot.stage", NOW + timedelta(hours=1), "poc -> pilot"),
        ]
        assert len(await uow.audit.list(workspace_id)) == 3
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT from_stage, to_stage FROM stage_changes ORDER BY id")
            )
        ).all()
    assert [tuple(row) for row in rows] == [(None, "poc"), ("poc", "pilot")]


async def test_a_duplicate_pilot_key_is_a_conflict_and_the_unit_of_work_stays_usable(
    database: Database,
) -> None:
    workspace_id, owner_id, _ = await seed(database)
    async with database.uow() as uow:
        await uow.pilots.add(new_pilot(workspace_id, owner_id))
        await uow.commit()

    async with database.uow() as uow:
        await uow.pilots.add(new_pilot(workspace_id, owner_id))
        with pytest.raises(Conflict) as raised:
            await uow.commit()
        assert raised.value.message == "A pilot with key churn already exists in this workspace."
        # Rolled back: the same unit of work reads and writes again.
        assert [p.key for p in await uow.pilots.list(workspace_id)] == ["churn"]
        await uow.pilots.add(new_pilot(workspace_id, owner_id, key="churn-2"))
        await uow.commit()

    async with database.uow() as uow:
        assert [p.key for p in await uow.pilots.list(workspace_id)] == ["churn", "churn-2"]


async def test_conflicts_on_flush_name_what_clashed(database: Database) -> None:
    workspace_id, owner_id, _ = await seed(database)
    async with database.uow() as uow:
        pilot = new_pilot(workspace_id, owner_id)
        pilot.kpis.append(Kpi(name="NPS", kind=KpiKind.REVENUE, unit="pt", baseline=1, target=2))
        await uow.pilots.add(pilot)
        await uow.commit()

    async with database.uow() as uow:
        stored = await uow.pilots.get_by_key(workspace_id, "churn")
        assert stored is not None
        stored.kpis.append(Kpi(name="NPS", kind=KpiKind.REVENUE, unit="pt", baseline=1, target=3))
        with pytest.raises(Conflict, match=r"A KPI named NPS already exists on this pilot\."):
            await uow.flush()

    async with database.uow() as uow:
        await uow.people.add(Person(workspace_id=workspace_id, external_id="U1", name="Twin"))
        with pytest.raises(Conflict, match="already known in this workspace"):
            await uow.flush()


async def test_a_clash_found_by_autoflush_is_a_conflict_too(database: Database) -> None:
    workspace_id, owner_id, _ = await seed(database)
    with pytest.raises(Conflict, match="key churn already exists"):
        async with database.uow() as uow:
            await uow.pilots.add(new_pilot(workspace_id, owner_id))
            await uow.pilots.add(new_pilot(workspace_id, owner_id))
            await uow.pilots.list(workspace_id)  # the query flushes first


async def test_foreign_keys_are_enforced_and_reported_without_detail(database: Database) -> None:
    workspace_id, _, _ = await seed(database)
    async with database.uow() as uow:
        await uow.pilots.add(new_pilot(workspace_id, owner_id=999))
        with pytest.raises(Conflict) as raised:
            await uow.commit()
    assert raised.value.message == (
        "That conflicts with what is already stored; nothing was changed."
    )
    async with database.uow() as uow:
        assert await uow.pilots.list(workspace_id) == []
