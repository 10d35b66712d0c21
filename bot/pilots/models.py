"""Workspaces, people, pilots, committees, the readiness checklist and KPIs.

Plain classes: storage maps them to tables imperatively, so the core never sees SQL.
Rules that need only these objects live here as methods.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time

from bot.errors import Conflict, Invalid
from bot.i18n import _


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


class Aggregate:
    """An object that owns its changes (a pilot, a poll). A transition checks its rule,
    changes the object and collects the rows that record it beyond the object's own
    (stage changes, audit entries) in :attr:`new_records`; the unit of work adds those
    when it flushes, so no handler writes an audit row by hand."""

    id: int | None

    @property
    def new_records(self) -> list[object]:
        # Kept in __dict__, not a dataclass field: objects loaded from storage are built
        # without calling __init__.
        records: list[object] = self.__dict__.setdefault("_new_records", [])
        return records

    @property
    def stored_id(self) -> int:
        """The row id; the aggregate must have been added and flushed."""
        if self.id is None:
            raise RuntimeError(f"{type(self).__name__} has no id yet: flush it first")
        return self.id


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

    def is_overdue(self, today: date) -> bool:
        """Open and past its due date (``today`` is the date in the owner's zone)."""
        return self.is_open and self.due is not None and self.due < today

    def _require_open(self) -> None:
        if not self.is_open:
            raise Conflict(
                _("Item {n} is already {status}.").format(n=self.number, status=_(self.status))
            )

    def mark_done(
        self, *, evidence: str | None, at: datetime, by_id: int | None, key: str = "<key>"
    ) -> None:
        """Close the item; items flagged so need evidence (``key`` names the pilot in the
        hint)."""
        self._require_open()
        evidence = (evidence or "").strip() or None
        if self.needs_evidence and evidence is None:
            raise Invalid(
                _(
                    "Item {n} needs evidence to be marked done: "
                    '`checklist {key} done {n} evidence:<link or "text">`'
                ).format(n=self.number, key=key)
            )
        self.status = ItemStatus.DONE
        self.evidence = evidence or self.evidence
        self.closed_at = at
        self.events.append(ItemEvent(kind="done", at=at, by_id=by_id, note=evidence))

    def waive(self, *, reason: str, at: datetime, by_id: int | None) -> None:
        """Close the item without doing it; the reason is kept."""
        self._require_open()
        reason = reason.strip()
        if not reason:
            raise Invalid(_("Waiving item {n} needs a reason.").format(n=self.number))
        self.status = ItemStatus.WAIVED
        self.waive_reason = reason
        self.closed_at = at
        self.events.append(ItemEvent(kind="waived", at=at, by_id=by_id, note=reason))

    def assign(self, owner_id: int, *, at: datetime, by_id: int | None) -> None:
        """Give the item to another person; the event keeps both person ids."""
        self._require_open()
        if owner_id == self.owner_id:
            raise Conflict(_("Item {n} is already theirs.").format(n=self.number))
        self.events.append(
            ItemEvent(
                kind="assigned",
                at=at,
                by_id=by_id,
                old_value=str(self.owner_id),
                new_value=str(owner_id),
            )
        )
        self.owner_id = owner_id

    def reschedule(self, due: date, *, today: date, at: datetime, by_id: int | None) -> None:
        """Move the due date; the slip (old -> new, ISO dates) is recorded."""
        self._require_open()
        if due < today:
            raise Invalid(_("The new due date is in the past; pick today or later."))
        if due == self.due:
            raise Conflict(_("Item {n} is already due then.").format(n=self.number))
        self.events.append(
            ItemEvent(
                kind="slipped",
                at=at,
                by_id=by_id,
                old_value=self.due.isoformat() if self.due else None,
                new_value=due.isoformat(),
            )
        )
        self.due = due


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

    def latest(self) -> Measurement | None:
        """The measurement of the latest date (the last recorded one on a tie)."""
        if not self.measurements:
            return None
        return max(enumerate(self.measurements), key=lambda p: (p[1].at, p[0]))[1]

    def progress(self) -> float | None:
        """Percent of the way from baseline to target of the latest measurement."""
        latest = self.latest()
        return None if latest is None else kpi_progress(self, latest.value)


@dataclass(eq=False)
class StageChange:
    pilot_id: int
    from_stage: Stage | None
    to_stage: Stage
    at: datetime
    by_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Pilot(Aggregate):
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

    def member(self, person_id: int) -> CommitteeMember | None:
        """The person's seat on the committee, if they have one."""
        return next((m for m in self.committee if m.person_id == person_id), None)

    def holder_of(self, role: Role | str) -> int:
        """Who owns items of a role's category: the business owner for business items,
        else the first member holding the role, else the business owner."""
        if role != Role.BUSINESS:
            for member in self.committee:
                if member.role == role:
                    return member.person_id
        return self.owner_id

    def item(self, number: int) -> ChecklistItem | None:
        return next((i for i in self.items if i.number == number), None)

    def next_item_number(self) -> int:
        return max((i.number for i in self.items), default=0) + 1

    def kpi(self, name: str) -> Kpi | None:
        """The KPI named ``name``, ignoring case."""
        wanted = name.strip().casefold()
        return next((k for k in self.kpis if k.name.casefold() == wanted), None)

    def checklist_progress(self) -> tuple[int, int]:
        """(closed, total): done and waived items count as closed."""
        return sum(not i.is_open for i in self.items), len(self.items)

    def open_blocking(self) -> list[ChecklistItem]:
        return sorted((i for i in self.items if i.is_open and i.blocking), key=lambda i: i.number)

    def move_to(self, stage: Stage, *, at: datetime, by_id: int | None) -> Stage | None:
        """Move to ``stage``, recording the change; the stage left, or None when the pilot
        is already there (nothing is recorded then)."""
        if self.stage == stage:
            return None
        old = self.stage
        self.new_records.append(
            StageChange(pilot_id=self.stored_id, from_stage=old, to_stage=stage, at=at, by_id=by_id)
        )
        self.stage, self.stage_since, self.last_activity_at = stage, at, at
        return old

    def audit(
        self, *, actor_id: int | None, action: str, subject: str, at: datetime, detail: str = ""
    ) -> None:
        """Record who changed what on this pilot, and mark it active."""
        self.last_activity_at = at
        self.new_records.append(
            AuditEntry(
                workspace_id=self.workspace_id,
                actor_id=actor_id,
                action=action,
                subject=subject,
                at=at,
                detail=detail,
            )
        )


def kpi_progress(kpi: Kpi, value: float) -> float:
    """Percent of the way from ``kpi.baseline`` to ``kpi.target`` that ``value`` is.

    The sign of ``target - baseline`` carries the direction, so a lower-is-better KPI
    (target below baseline) progresses as the value falls. Below 0 means worse than the
    baseline, above 100 means past the target.
    """
    span = kpi.target - kpi.baseline
    if span == 0:
        reached = value <= kpi.target if kpi.lower_is_better else value >= kpi.target
        return 100.0 if reached else 0.0
    return (value - kpi.baseline) / span * 100.0


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
