"""Workspaces, people, pilots, committees, the readiness checklist and KPIs.

Plain classes: storage maps them to tables imperatively, so the core never sees SQL.
Rules that need only these objects live here as methods.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time


class Stage(enum.StrEnum):
    POC = "poc"
    PILOT = "pilot"
    REVIEW = "review"
    APPROVED = "approved"
    PRODUCTION = "production"
    SCALING = "scaling"
    STOPPED = "stopped"


class Role(enum.StrEnum):
    BUSINESS = "business"
    ENGINEERING = "engineering"
    DATA_SCIENCE = "data-science"
    SECURITY = "security"
    LEGAL = "legal"
    COMPLIANCE = "compliance"
    OPERATIONS = "operations"
    EXECUTIVE = "executive"


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    WAIVED = "waived"


class KpiKind(enum.StrEnum):
    COST = "cost"
    TIME = "time"
    REVENUE = "revenue"
    RISK = "risk"


@dataclass(eq=False)
class Workspace:
    platform: str
    external_id: str
    name: str = ""
    timezone: str = "UTC"
    weekend: str = "sat-sun"
    id: int | None = None


@dataclass(eq=False)
class Person:
    workspace_id: int
    external_id: str
    name: str
    timezone: str | None = None  # None: the workspace default
    locale: str | None = None
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    weekend: str | None = None  # "sat-sun", "fri-sat"; None: the workspace default
    id: int | None = None


@dataclass(eq=False)
class CommitteeMember:
    person_id: int
    role: Role
    voting: bool = True
    pilot_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class ItemEvent:
    """One change to a checklist item: created, done, waived, assigned, slipped, reopened."""

    kind: str
    at: datetime
    by_id: int | None
    old_value: str | None = None
    new_value: str | None = None
    note: str | None = None
    item_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class ChecklistItem:
    number: int  # 1-based, stable within the pilot
    title: str
    category: str  # a Role value for template items, "general" otherwise
    owner_id: int
    due: date | None = None
    status: ItemStatus = ItemStatus.OPEN
    blocking: bool = False
    needs_evidence: bool = False
    evidence: str | None = None
    waive_reason: str | None = None
    closed_at: datetime | None = None
    decision_id: int | None = None  # set when the item is a decision's condition
    created_at: datetime | None = None
    pilot_id: int | None = None
    id: int | None = None
    events: list[ItemEvent] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status == ItemStatus.OPEN


@dataclass(eq=False)
class Measurement:
    value: float
    at: date
    recorded_by_id: int | None = None
    recorded_at: datetime | None = None
    kpi_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Kpi:
    name: str
    kind: KpiKind
    unit: str
    baseline: float
    target: float
    lower_is_better: bool = False
    pilot_id: int | None = None
    id: int | None = None
    measurements: list[Measurement] = field(default_factory=list)


@dataclass(eq=False)
class StageChange:
    pilot_id: int
    from_stage: Stage | None
    to_stage: Stage
    at: datetime
    by_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Pilot:
    workspace_id: int
    key: str
    name: str
    owner_id: int
    channel_id: str  # the platform's conversation id of the steering channel
    stage: Stage = Stage.POC
    stage_since: datetime | None = None
    description: str = ""
    channel_name: str | None = None
    golive_target: date | None = None
    created_at: datetime | None = None
    last_activity_at: datetime | None = None
    id: int | None = None
    committee: list[CommitteeMember] = field(default_factory=list)
    items: list[ChecklistItem] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)


@dataclass(eq=False)
class AuditEntry:
    """Who changed what, when. ``detail`` never holds a secret ballot's choice."""

    workspace_id: int
    actor_id: int | None
    action: str  # e.g. "pilot.create", "checklist.done", "poll.vote"
    subject: str  # e.g. "pilot:churn", "item:churn#3"
    at: datetime
    detail: str = ""
    id: int | None = None
