"""Tables, mappings and the repository of digests and digest schedules.

A channel's digest is read in a fixed number of SELECTs whatever the number of pilots,
items or measurements: each collection is loaded by one query filtered on the channel's
pilots (``subqueryload`` or an ``IN (subquery)``), never per pilot, and never with
``selectin``'s 500-key batches.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    Select,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import subqueryload

from bot.digests.models import (
    DEFAULT_TIME,
    DEFAULT_WEEKDAY,
    ChannelSlot,
    Digest,
    DigestSchedule,
    Portfolio,
)
from bot.pilots.models import ChecklistItem, Kpi, Person, Pilot, Stage, StageChange, Workspace
from bot.polls.models import Decision, Poll, PollStatus
from storage.base import mapper_registry, metadata
from storage.pilots import people, pilots, stage_changes, workspaces
from storage.types import UTCDateTime

digest_schedules = Table(
    "digest_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", String(255), nullable=False),
    Column("channel_name", String(255)),
    Column("weekday", Integer, nullable=False),
    Column("at", Time, nullable=False),
    Column("timezone", String(64)),
    Column("updated_by_id", ForeignKey("people.id")),
    Column("updated_at", UTCDateTime),
    UniqueConstraint("workspace_id", "channel_id"),
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", String(255), nullable=False),
    Column("week", String(10), nullable=False),  # ISO week in the channel's zone: 2027-W13
    Column("created_at", UTCDateTime, nullable=False),
    Column("message_json", Text, nullable=False),
    Column("kpi_values_json", Text, nullable=False, default="{}"),
    # Once per channel and week, across restarts and replicas.
    UniqueConstraint("workspace_id", "channel_id", "week"),
)


def map_digests() -> None:
    """Map the core's digest classes to their tables (called once by storage.mapping)."""
    mapper_registry.map_imperatively(DigestSchedule, digest_schedules)
    mapper_registry.map_imperatively(Digest, digests)


def _mapped(cls: type) -> Any:
    """The mapped class, typed loosely: the core's dataclasses do not declare their
    instrumented attributes to the type checker."""
    return cast(Any, cls)


def _channel_pilot_ids(workspace_id: int, channel_id: str) -> Select[tuple[int]]:
    return select(pilots.c.id).where(
        pilots.c.workspace_id == workspace_id, pilots.c.channel_id == channel_id
    )


class SqlDigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def slots(self) -> list[ChannelSlot]:
        channels = (
            await self.session.execute(
                select(
                    pilots.c.workspace_id,
                    pilots.c.channel_id,
                    func.max(pilots.c.channel_name),
                    func.min(pilots.c.created_at),
                )
                .where(pilots.c.stage != Stage.STOPPED)
                .group_by(pilots.c.workspace_id, pilots.c.channel_id)
            )
        ).all()
        if not channels:
            return []
        zones = dict(
            (await self.session.execute(select(workspaces.c.id, workspaces.c.timezone))).all()
        )
        schedules = {
            (row.workspace_id, row.channel_id): row
            for row in (await self.session.execute(select(digest_schedules))).all()
        }
        out = []
        for workspace_id, channel_id, name, first_created in channels:
            row = schedules.get((workspace_id, channel_id))
            default_zone = zones.get(workspace_id) or "UTC"
            out.append(
                ChannelSlot(
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    channel_name=name or (row.channel_name if row else None),
                    weekday=row.weekday if row else DEFAULT_WEEKDAY,
                    at=row.at if row else DEFAULT_TIME,
                    timezone=(row.timezone if row else None) or default_zone,
                    since=row.updated_at if row and row.updated_at else first_created,
                )
            )
        return out

    async def posted(self, weeks: Collection[str]) -> set[tuple[int, str, str]]:
        if not weeks:
            return set()
        rows = await self.session.execute(
            select(digests.c.workspace_id, digests.c.channel_id, digests.c.week).where(
                digests.c.week.in_(set(weeks))
            )
        )
        return {(w, c, week) for w, c, week in rows.all()}

    async def owner_ids(self, workspace_id: int, channel_id: str) -> set[int]:
        rows = await self.session.scalars(
            select(pilots.c.owner_id).where(
                pilots.c.workspace_id == workspace_id, pilots.c.channel_id == channel_id
            )
        )
        return set(rows.all())

    async def get_schedule(self, workspace_id: int, channel_id: str) -> DigestSchedule | None:
        statement = select(DigestSchedule).where(
            digest_schedules.c.workspace_id == workspace_id,
            digest_schedules.c.channel_id == channel_id,
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def add_schedule(self, schedule: DigestSchedule) -> None:
        self.session.add(schedule)

    async def last(self, workspace_id: int, channel_id: str) -> Digest | None:
        statement = (
            select(Digest)
            .where(digests.c.workspace_id == workspace_id, digests.c.channel_id == channel_id)
            .order_by(digests.c.created_at.desc(), digests.c.id.desc())
            .limit(1)
        )
        return (await self.session.scalars(statement)).first()

    async def list(self, workspace_id: int, channel_id: str) -> list[Digest]:
        statement = (
            select(Digest)
            .where(digests.c.workspace_id == workspace_id, digests.c.channel_id == channel_id)
            .order_by(digests.c.created_at, digests.c.id)
        )
        return list((await self.session.scalars(statement)).all())

    async def add(self, digest: Digest) -> None:
        self.session.add(digest)

    async def portfolio(
        self, workspace: Workspace, channel_id: str, *, since: datetime
    ) -> Portfolio:
        assert workspace.id is not None
        ids = _channel_pilot_ids(workspace.id, channel_id)
        pilot, item, kpi = _mapped(Pilot), _mapped(ChecklistItem), _mapped(Kpi)
        statement = (
            select(Pilot)
            .where(pilots.c.id.in_(ids))
            .order_by(pilots.c.key)
            .options(
                subqueryload(pilot.committee),
                subqueryload(pilot.items).subqueryload(item.events),
                subqueryload(pilot.kpis).subqueryload(kpi.measurements),
            )
        )
        found = list((await self.session.scalars(statement)).all())
        changes = await self.session.scalars(
            select(StageChange)
            .where(stage_changes.c.pilot_id.in_(ids))
            .order_by(stage_changes.c.at, stage_changes.c.id)
        )
        polls = await self._polls(ids, since)
        decisions = await self._decisions(ids, since)
        return Portfolio(
            workspace=workspace,
            channel_id=channel_id,
            channel_name=next((p.channel_name for p in found if p.channel_name), None),
            pilots=found,
            people=await self._people(_person_ids(found, polls)),
            stage_changes=list(changes.all()),
            week_polls=polls,
            decisions=decisions,
        )

    async def _people(self, ids: set[int]) -> dict[int, Person]:
        if not ids:
            return {}
        found = await self.session.scalars(select(Person).where(people.c.id.in_(ids)))
        return {person.id: person for person in found.all() if person.id is not None}

    async def _polls(self, ids: Select[tuple[int]], since: datetime) -> builtins.list[Poll]:
        """Open polls, and polls opened or closed since ``since``."""
        poll = _mapped(Poll)
        statement = (
            select(Poll)
            .where(
                poll.pilot_id.in_(ids),
                or_(
                    poll.status == PollStatus.OPEN, poll.opened_at >= since, poll.closed_at >= since
                ),
            )
            .order_by(poll.opened_at, poll.id)
        )
        statement = statement.options(subqueryload(poll.voters), subqueryload(poll.votes))
        return list((await self.session.scalars(statement)).all())

    async def _decisions(self, ids: Select[tuple[int]], since: datetime) -> builtins.list[Decision]:
        decision = _mapped(Decision)
        statement = (
            select(Decision)
            .where(decision.pilot_id.in_(ids), decision.decided_at >= since)
            .order_by(decision.decided_at, decision.id)
        )
        return list((await self.session.scalars(statement)).all())


def _person_ids(found: Iterable[Pilot], polls: Iterable[Poll]) -> set[int]:
    ids: set[int] = set()
    for pilot in found:
        ids.add(pilot.owner_id)
        ids.update(member.person_id for member in pilot.committee)
        ids.update(item.owner_id for item in pilot.items)
    for poll in polls:
        ids.update(voter.person_id for voter in poll.voters)
    return ids
