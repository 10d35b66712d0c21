"""Repositories for workspaces, people, pilots and the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.pilots.models import AuditEntry, ItemStatus, Person, Pilot, Stage, Workspace
from bot.polls.models import PollStatus
from storage.pilots import (
    audit_entries,
    checklist_items,
    committee_members,
    people,
    pilots,
    workspaces,
)
from storage.polls import poll_voters, polls


class SqlWorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, workspace_id: int) -> Workspace | None:
        return await self.session.get(Workspace, workspace_id)

    async def get_by_external(self, platform: str, external_id: str) -> Workspace | None:
        statement = select(Workspace).where(
            workspaces.c.platform == platform, workspaces.c.external_id == external_id
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def add(self, workspace: Workspace) -> None:
        self.session.add(workspace)


class SqlPersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def get_by_external(self, workspace_id: int, external_id: str) -> Person | None:
        statement = select(Person).where(
            people.c.workspace_id == workspace_id, people.c.external_id == external_id
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def get_many(self, person_ids: Sequence[int]) -> dict[int, Person]:
        if not person_ids:
            return {}
        statement = select(Person).where(people.c.id.in_(set(person_ids)))
        found = (await self.session.scalars(statement)).all()
        return {person.id: person for person in found if person.id is not None}

    async def add(self, person: Person) -> None:
        self.session.add(person)


class SqlPilotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_key(self, workspace_id: int, key: str) -> Pilot | None:
        statement = select(Pilot).where(pilots.c.workspace_id == workspace_id, pilots.c.key == key)
        return (await self.session.scalars(statement)).one_or_none()

    async def get(self, pilot_id: int) -> Pilot | None:
        return await self.session.get(Pilot, pilot_id)

    async def list_for_person(self, workspace_id: int, person_id: int) -> list[Pilot]:
        holds_open_item = exists().where(
            checklist_items.c.pilot_id == pilots.c.id,
            checklist_items.c.owner_id == person_id,
            checklist_items.c.status == ItemStatus.OPEN,
        )
        may_vote = exists().where(
            polls.c.pilot_id == pilots.c.id,
            polls.c.status == PollStatus.OPEN,
            poll_voters.c.poll_id == polls.c.id,
            poll_voters.c.person_id == person_id,
        )
        statement = (
            select(Pilot)
            .where(
                pilots.c.workspace_id == workspace_id,
                or_(pilots.c.owner_id == person_id, holds_open_item, may_vote),
            )
            .order_by(pilots.c.key)
        )
        return list((await self.session.scalars(statement)).all())

    async def list(
        self, workspace_id: int, *, stage: Stage | None = None, person_id: int | None = None
    ) -> list[Pilot]:
        statement = select(Pilot).where(pilots.c.workspace_id == workspace_id)
        if stage is not None:
            statement = statement.where(pilots.c.stage == stage)
        if person_id is not None:
            on_committee = exists().where(
                committee_members.c.pilot_id == pilots.c.id,
                committee_members.c.person_id == person_id,
            )
            statement = statement.where(or_(pilots.c.owner_id == person_id, on_committee))
        statement = statement.order_by(pilots.c.key)
        return list((await self.session.scalars(statement)).all())

    async def add(self, pilot: Pilot) -> None:
        self.session.add(pilot)


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    async def list(self, workspace_id: int, subject: str | None = None) -> list[AuditEntry]:
        statement = select(AuditEntry).where(audit_entries.c.workspace_id == workspace_id)
        if subject is not None:
            statement = statement.where(audit_entries.c.subject == subject)
        statement = statement.order_by(audit_entries.c.at, audit_entries.c.id)
        return list((await self.session.scalars(statement)).all())
