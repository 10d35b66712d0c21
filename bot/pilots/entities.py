"""What the pilot aggregate (:mod:`bot.pilots.models`) is built from and leaves behind:
workspaces and people (with their own settings), checklist items and their history, KPIs
and their measurements, and the audit entries every change records.

Plain classes: storage maps them to tables imperatively, so the core never sees SQL.
Rules that need only one of these objects live here as its methods.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import Conflict, Invalid
from bot.i18n import _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")


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


class Stored:
    """A row the unit of work assigns an id to when it flushes."""

    id: int | None

    @property
    def stored_id(self) -> int:
        """The row id; the object must have been added and flushed."""
        if self.id is None:
            raise RuntimeError(f"{type(self).__name__} has no id yet: flush it first")
        return self.id


class Aggregate(Stored):
    """An object that owns its changes (a pilot, a poll). A transition checks its rule,
    changes the object and collects the rows that record it beyond the object's own
    (stage changes, audit entries) in :attr:`new_records`; the unit of work adds those
    when it flushes, so no handler writes an audit row by hand."""

    @property
    def new_records(self) -> list[object]:
        # Kept in __dict__, not a dataclass field: objects loaded from storage are built
        # without calling __init__.
        records: list[object] = self.__dict__.setdefault("_new_records", [])
        return records


@dataclass(eq=False)
class Workspace(Stored):
    platform: str
    external_id: str
    name: str = ""
    timezone: str = "UTC"
    weekend: str = "sat-sun"
    id: int | None = None


@dataclass(eq=False)
class Person(Aggregate):
    workspace_id: int
    external_id: str
    name: str
    timezone: str | None = None  # None: the workspace default
    locale: str | None = None
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    weekend: str | None = None  # "sat-sun", "fri-sat"; None: the workspace default
    id: int | None = None

    def change_settings(
        self,
        *,
        timezone: str | None,
        hours: tuple[time, time] | None,
        weekend: str | None,
        language: str | None,
        at: datetime,
    ) -> None:
        """Change the person's own settings (None: unchanged); each value is checked before
        anything changes, and a change is logged."""
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise Invalid(
                    _("{zone} is not a time zone; use an IANA name like Asia/Dubai.").format(
                        zone=timezone
                    )
                ) from None
        if hours is not None and hours[0] >= hours[1]:
            raise Invalid(_("Working hours must end after they start, like `hours:09-17`."))
        if weekend is not None:
            weekend_days(weekend)
        if language is not None and not LANGUAGE.match(language):
            raise Invalid(_("A language is a code like `en` or `ar`."))
        if timezone is not None:
            self.timezone = timezone
        if hours is not None:
            self.work_start, self.work_end = hours
        if weekend is not None:
            self.weekend = "-".join(p[:3] for p in weekend.strip().lower().split("-"))
        if language is not None:
            self.locale = language.replace("_", "-")
        settings = (("tz", timezone), ("hours", hours), ("weekend", weekend), ("lang", language))
        changed = [name for name, value in settings if value is not None]
        if changed:
            self.new_records.append(
                AuditEntry(
                    workspace_id=self.workspace_id,
                    actor_id=self.id,
                    action="person.settings",
                    subject=f"person:{self.external_id}",
                    at=at,
                    detail=" ".join(changed),
                )
            )


def weekend_days(weekend: str) -> frozenset[int]:
    """Weekday numbers (0 = Monday) of a ``day-day`` or single-day weekend."""
    parts = weekend.strip().lower().split("-")
    if not 1 <= len(parts) <= 2 or any(p[:3] not in DAYS for p in parts):
        raise Invalid(_("A weekend is one or two days, like `sat-sun` or `fri-sat`."))
    first, last = DAYS.index(parts[0][:3]), DAYS.index(parts[-1][:3])
    if len(parts) == 2 and (last - first) % 7 != 1:
        raise Invalid(_("A weekend is one or two days, like `sat-sun` or `fri-sat`."))
    return frozenset({first, last})


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

    @classmethod
    def define(
        cls,
        name: str,
        *,
        kind: KpiKind,
        unit: str,
        baseline: float,
        target: float,
        lower_is_better: bool,
    ) -> Kpi:
        """A named KPI whose target lies in its better direction from the baseline."""
        name = name.strip()
        if not name:
            raise Invalid(_("The KPI needs a name."))
        if baseline == target:
            raise Invalid(_("The target must differ from the baseline."))
        if lower_is_better and target > baseline:
            raise Invalid(_("With lower-is-better, the target must be below the baseline."))
        if not lower_is_better and target < baseline:
            raise Invalid(
                _("The target is below the baseline: add `lower-is-better` if lower is better.")
            )
        return cls(
            name=name,
            kind=kind,
            unit=unit.strip(),
            baseline=baseline,
            target=target,
            lower_is_better=lower_is_better,
        )

    def latest(self) -> Measurement | None:
        """The measurement of the latest date (the last recorded one on a tie)."""
        if not self.measurements:
            return None
        return max(enumerate(self.measurements), key=lambda p: (p[1].at, p[0]))[1]

    def progress(self) -> float | None:
        """Percent of the way from baseline to target of the latest measurement."""
        latest = self.latest()
        return None if latest is None else kpi_progress(self, latest.value)

    def record(self, value: float, *, on: date, at: datetime, by_id: int | None) -> None:
        """Add the measurement ``value`` dated ``on``."""
        self.measurements.append(
            Measurement(value=value, at=on, recorded_by_id=by_id, recorded_at=at)
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
