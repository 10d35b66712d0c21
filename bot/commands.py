"""Typed commands: what the parser produces from text, buttons and forms, and what the
handlers accept. One class per row of COMMANDS.md.

People are platform user ids (a Slack mention of U123 -> ``"U123"``, the console's
``@amal`` -> ``"amal"``). Channels are platform conversation ids plus the name when known.
Dates and deadlines are already resolved in the caller's time zone: dates are local
calendar dates, deadlines aware UTC datetimes.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from bot.pilots.models import KpiKind, Role, Stage


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    PEOPLE: ClassVar[tuple[str, ...]] = ()
    """The fields that name people (platform user ids)."""
    READ_ONLY: ClassVar[bool] = False
    """The command changes nothing (but the caller's first-contact rows): safe to run again
    when the database could not be reached the first time."""

    def people_named(self) -> list[str]:
        """The user ids this command names, in field order."""
        found = (getattr(self, name) for name in self.PEOPLE)
        return [user_id for user_id in found if user_id]


class ChannelRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None = None


class Help(Command):
    READ_ONLY = True
    topic: str | None = None


class Home(Command):
    """What needs the caller: their overdue items, polls waiting for their vote, pilots
    they own."""

    READ_ONLY = True


class NewPilot(Command):
    PEOPLE = ("owner",)
    key: str
    name: str
    owner: str | None = None
    channel: ChannelRef | None = None
    golive: date | None = None


class ListPilots(Command):
    READ_ONLY = True
    stage: Stage | None = None
    mine: bool = False


class Status(Command):
    READ_ONLY = True
    key: str


class SetStage(Command):
    key: str
    stage: Stage


class CommitteeAdd(Command):
    PEOPLE = ("person",)
    key: str
    person: str
    role: Role
    observer: bool = False


class CommitteeRemove(Command):
    PEOPLE = ("person",)
    key: str
    person: str


class ChecklistShow(Command):
    READ_ONLY = True
    key: str


class ChecklistAdd(Command):
    PEOPLE = ("owner",)
    key: str
    title: str
    owner: str | None = None
    due: date | None = None
    blocking: bool = False
    evidence: bool = False


class ChecklistDone(Command):
    key: str
    number: int
    evidence: str | None = None


class ChecklistWaive(Command):
    key: str
    number: int
    reason: str


class ChecklistAssign(Command):
    PEOPLE = ("person",)
    key: str
    number: int
    person: str


class ChecklistDue(Command):
    key: str
    number: int
    due: date


class KpiAdd(Command):
    key: str
    name: str
    kind: KpiKind
    unit: str
    baseline: float
    target: float
    lower_is_better: bool = False


class KpiRecord(Command):
    key: str
    name: str
    value: float
    at: date | None = None


class PollOpen(Command):
    key: str
    closes: datetime | None = None  # None: +72h
    secret: bool = False
    question: str | None = None


class PollClose(Command):
    key: str


class PollCancel(Command):
    key: str


VoteChoice = Literal["go", "conditional", "no-go", "abstain"]


class CastVote(Command):
    key: str
    choice: VoteChoice
    text: str | None = None  # the condition (conditional) or reason (no-go)

    @model_validator(mode="after")
    def _explained(self) -> CastVote:
        if self.choice in ("conditional", "no-go") and not self.text:
            raise ValueError("a conditional or no-go vote needs its condition or reason")
        return self


class Decisions(Command):
    READ_ONLY = True
    key: str


class DigestPreview(Command):
    READ_ONLY = True
    channel: ChannelRef | None = None


class DigestNow(Command):
    channel: ChannelRef | None = None


class DigestSchedule(Command):
    channel: ChannelRef | None = None
    weekday: int  # 0 = Monday
    at: time
    timezone: str | None = None


class Settings(Command):
    timezone: str | None = None
    hours: tuple[time, time] | None = None
    weekend: str | None = None  # "sat-sun", "fri-sat", ...
    language: str | None = None


class Export(Command):
    READ_ONLY = True
    key: str
    format: Literal["csv", "json"] = "csv"
