"""Tables, mappings and repositories for polls, votes and the decision log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    exists,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import relationship
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from bot.polls.models import Choice, Decision, Poll, PollStatus, Vote, Voter
from storage.base import mapper_registry, metadata
from storage.conflicts import to_conflict
from storage.secrets import EncryptedText, keys_of
from storage.types import UTCDateTime, str_enum


class EncryptedChoice(TypeDecorator[Choice]):
    """A vote's choice, encrypted with the database's keys (storage.secrets): a backup
    taken while a secret poll is open cannot tell who chose what. Every choice is shorter
    than a cipher block, so all of them encrypt to tokens of the same length."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Choice | str | None, dialect: Dialect) -> str | None:
        return None if value is None else keys_of(dialect).encrypt(Choice(value).value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Choice | None:
        return None if value is None else Choice(keys_of(dialect).decrypt(value))


polls = Table(
    "polls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("question", Text, nullable=False),
    Column("opened_by_id", ForeignKey("people.id"), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closes_at", UTCDateTime, nullable=False),
    Column("secret", Boolean, nullable=False, default=False),
    Column("status", str_enum(PollStatus, "poll_status"), nullable=False),
    # pilot_id while the poll is open, NULL once it is not: unique, so the database
    # refuses a second open poll for a pilot even when two owners open one at once.
    Column("open_pilot_id", Integer),
    Column("criteria_json", Text, nullable=False, default="{}"),
    Column("stage_before", String(16)),
    Column("closed_at", UTCDateTime),
    Column("closed_by_id", ForeignKey("people.id")),
    Column("close_reason", String(16)),
    UniqueConstraint("open_pilot_id"),
    # The sweep asks for open polls past their deadline.
    Index("ix_polls_status_closes_at", "status", "closes_at"),
)

poll_voters = Table(
    "poll_voters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("poll_id", ForeignKey("polls.id", ondelete="CASCADE"), nullable=False),
    Column("person_id", ForeignKey("people.id"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("is_owner", Boolean, nullable=False, default=False),
    UniqueConstraint("poll_id", "person_id"),
)

poll_votes = Table(
    "poll_votes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("poll_id", ForeignKey("polls.id", ondelete="CASCADE"), nullable=False),
    Column("person_id", ForeignKey("people.id"), nullable=False),
    # Encrypted (nothing queries them in SQL). The choice is NULL after a secret poll
    # closes: it is then only in the decision's counts. The reason is padded, and encrypted
    # even when there is none: its presence would tell a Go from a No-go.
    Column("choice", EncryptedChoice()),
    Column("text", EncryptedText(padded=True)),
    Column("cast_at", UTCDateTime, nullable=False),
    Column("changed_at", UTCDateTime),
    UniqueConstraint("poll_id", "person_id"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("poll_id", ForeignKey("polls.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("record_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # One chain per workspace: two closes racing for the same place cannot both land.
    UniqueConstraint("workspace_id", "seq"),
    UniqueConstraint("poll_id"),
)


def map_polls() -> None:
    """Map the core's polls classes to their tables (called once by storage.mapping).

    Voters and votes load eagerly: an async session cannot lazy-load, and a poll is always
    used with them.
    """
    mapper_registry.map_imperatively(Voter, poll_voters)
    mapper_registry.map_imperatively(Vote, poll_votes)
    mapper_registry.map_imperatively(
        Poll,
        polls,
        properties={
            "voters": relationship(
                Voter, order_by=poll_voters.c.id, cascade="all, delete-orphan", lazy="selectin"
            ),
            "votes": relationship(
                Vote, order_by=poll_votes.c.id, cascade="all, delete-orphan", lazy="selectin"
            ),
        },
    )
    mapper_registry.map_imperatively(Decision, decisions)


class SqlPollRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, poll: Poll) -> None:
        self.session.add(poll)
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise to_conflict(error, [poll]) from error

    async def get(self, poll_id: int, *, for_update: bool = False) -> Poll | None:
        statement = select(Poll).where(polls.c.id == poll_id)
        return await self._one(statement, for_update)

    async def get_open(self, pilot_id: int, *, for_update: bool = False) -> Poll | None:
        statement = select(Poll).where(polls.c.open_pilot_id == pilot_id)
        return await self._one(statement, for_update)

    async def _one(self, statement: Any, for_update: bool) -> Poll | None:
        if for_update:
            # Re-read even when the session already holds the poll: the lock is only
            # worth something with the row as it is now.
            statement = statement.with_for_update().execution_options(populate_existing=True)
        poll: Poll | None = (await self.session.scalars(statement)).one_or_none()
        if poll is not None and for_update:
            await self._reload_votes(poll)
        return poll

    async def latest(self, pilot_id: int) -> Poll | None:
        statement = (
            select(Poll)
            .where(polls.c.pilot_id == pilot_id)
            .order_by(polls.c.opened_at.desc(), polls.c.id.desc())
            .limit(1)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def list_for_pilot(self, pilot_id: int) -> list[Poll]:
        statement = select(Poll).where(polls.c.pilot_id == pilot_id).order_by(polls.c.id)
        return list((await self.session.scalars(statement)).all())

    async def open_for_voter(self, workspace_id: int, person_id: int) -> list[Poll]:
        eligible = exists().where(
            poll_voters.c.poll_id == polls.c.id, poll_voters.c.person_id == person_id
        )
        statement = (
            select(Poll)
            .where(
                polls.c.workspace_id == workspace_id,
                polls.c.status == PollStatus.OPEN,
                eligible,
            )
            .order_by(polls.c.id)
        )
        return list((await self.session.scalars(statement)).all())

    async def due_ids(self, now: datetime) -> list[int]:
        statement = (
            select(polls.c.id)
            .where(polls.c.status == PollStatus.OPEN, polls.c.closes_at <= now)
            .order_by(polls.c.closes_at, polls.c.id)
        )
        return list((await self.session.scalars(statement)).all())

    async def open_ids(self) -> list[int]:
        statement = select(polls.c.id).where(polls.c.status == PollStatus.OPEN).order_by(polls.c.id)
        return list((await self.session.scalars(statement)).all())

    async def _reload_votes(self, poll: Poll) -> None:
        statement = (
            select(Vote)
            .where(poll_votes.c.poll_id == poll.id)
            .order_by(poll_votes.c.id)
            .execution_options(populate_existing=True)
        )
        votes = list((await self.session.scalars(statement)).all())
        set_committed_value(poll, "votes", votes)

    async def add_decision(self, decision: Decision) -> None:
        self.session.add(decision)
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise to_conflict(error, [decision]) from error

    async def last_decision(self, workspace_id: int) -> Decision | None:
        statement = (
            select(Decision)
            .where(decisions.c.workspace_id == workspace_id)
            .order_by(decisions.c.seq.desc())
            .limit(1)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def decisions_for_pilot(self, pilot_id: int) -> list[Decision]:
        statement = (
            select(Decision).where(decisions.c.pilot_id == pilot_id).order_by(decisions.c.seq)
        )
        return list((await self.session.scalars(statement)).all())

    async def decision_for_poll(self, poll_id: int) -> Decision | None:
        statement = select(Decision).where(decisions.c.poll_id == poll_id)
        return (await self.session.scalars(statement)).one_or_none()

    async def all_decisions(self) -> list[Decision]:
        statement = select(Decision).order_by(decisions.c.workspace_id, decisions.c.seq)
        return list((await self.session.scalars(statement)).all())
