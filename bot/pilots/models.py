"""The pilot aggregate: a pilot with its committee, readiness checklist and KPIs, and the
transitions that change it. Each transition checks its rule, changes the pilot and records
what happened (stage changes, audit entries) in ``new_records`` for the unit of work.

Plain classes: storage maps them to tables imperatively, so the core never sees SQL. The
objects a pilot is built from live in :mod:`bot.pilots.entities` and are re-exported here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.errors import Conflict, Invalid, NotFound
from bot.i18n import _
from bot.pilots.entities import Aggregate as Aggregate
from bot.pilots.entities import AuditEntry as AuditEntry
from bot.pilots.entities import ChecklistItem as ChecklistItem
from bot.pilots.entities import ItemEvent as ItemEvent
from bot.pilots.entities import ItemStatus as ItemStatus
from bot.pilots.entities import Kpi as Kpi
from bot.pilots.entities import KpiKind as KpiKind
from bot.pilots.entities import Measurement as Measurement
from bot.pilots.entities import Person as Person
from bot.pilots.entities import Role as Role
from bot.pilots.entities import Stored as Stored
from bot.pilots.entities import Workspace as Workspace
from bot.pilots.entities import kpi_progress as kpi_progress
from bot.pilots.template import readiness_template, template_due_dates

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


class Stage(enum.StrEnum):
    POC = "poc"
    PILOT = "pilot"
    REVIEW = "review"
    APPROVED = "approved"
    PRODUCTION = "production"
    SCALING = "scaling"
    STOPPED = "stopped"


@dataclass(eq=False)
class CommitteeMember:
    person_id: int
    role: Role
    voting: bool = True
    pilot_id: int | None = None
    id: int | None = None


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

    @classmethod
    def new(
        cls,
        *,
        workspace_id: int,
        key: str,
        name: str,
        owner: Person,
        channel_id: str,
        channel_name: str | None,
        golive: date | None,
        key_taken: bool,
        today: date,
        at: datetime,
        by_id: int,
    ) -> Pilot:
        """A pilot in the POC stage, its owner seated with the business role, its checklist
        from the readiness template (blocking items that need evidence, each held by its
        role's holder: the owner, so far). ``today`` is the owner's date; ``key_taken`` says
        the workspace has a pilot ``key`` already. Once flushed, :meth:`record_creation`
        logs it."""
        if not KEY_PATTERN.match(key):
            raise Invalid(
                _("A pilot key is 2-40 lowercase letters, digits and dashes, like `churn-model`.")
            )
        if not name.strip():
            raise Invalid(_("The pilot needs a name."))
        if key_taken:
            raise Conflict(_("A pilot with the key `{key}` already exists.").format(key=key))
        if golive is not None and golive <= today:
            raise Invalid(_("The go-live target must be after today."))
        pilot = cls(
            workspace_id=workspace_id,
            key=key,
            name=name.strip(),
            owner_id=owner.stored_id,
            channel_id=channel_id,
            channel_name=channel_name,
            golive_target=golive,
            stage=Stage.POC,
            stage_since=at,
            created_at=at,
            last_activity_at=at,
        )
        pilot.committee.append(CommitteeMember(person_id=owner.stored_id, role=Role.BUSINESS))
        template = readiness_template()
        dues = template_due_dates(today, golive, len(template))
        for number, ((title, role), due) in enumerate(zip(template, dues, strict=True), start=1):
            pilot.items.append(
                ChecklistItem(
                    number=number,
                    title=title,
                    category=role.value,
                    owner_id=pilot.holder_of(role),
                    due=due,
                    blocking=True,
                    needs_evidence=True,
                    created_at=at,
                    events=[ItemEvent(kind="created", at=at, by_id=by_id)],
                )
            )
        return pilot

    def record_creation(self, *, owner: Person, at: datetime, by_id: int) -> None:
        """Log the new pilot's first stage and its creation (it must have an id)."""
        self._record_stage(None, at=at, by_id=by_id)
        self._log(by_id, "pilot.create", f"pilot:{self.key}", at, f"owner={owner.external_id}")

    # --- the stage ---------------------------------------------------------------------

    def move_to(self, stage: Stage, *, at: datetime, by_id: int | None) -> Stage | None:
        """Move to ``stage``, recording the change; the stage left, or None when the pilot
        is already there (nothing is recorded then)."""
        if self.stage == stage:
            return None
        old = self.stage
        self.stage, self.stage_since, self.last_activity_at = stage, at, at
        self._record_stage(old, at=at, by_id=by_id)
        return old

    def _record_stage(self, left: Stage | None, *, at: datetime, by_id: int | None) -> None:
        """The change into the current stage, from ``left`` (None: the pilot's start)."""
        self.new_records.append(
            StageChange(
                pilot_id=self.stored_id, from_stage=left, to_stage=self.stage, at=at, by_id=by_id
            )
        )

    def set_stage(self, stage: Stage, *, at: datetime, by_id: int) -> Stage:
        """The owner's move to any stage (``stopped`` from anywhere), refused when the
        pilot is there already; returns the stage left."""
        old = self.move_to(stage, at=at, by_id=by_id)
        if old is None:
            raise Conflict(_("{key} is already in {stage}.").format(key=self.key, stage=stage))
        self._log(by_id, "pilot.stage", f"pilot:{self.key}", at, f"{old}->{stage}")
        return old

    # --- the committee -----------------------------------------------------------------

    def seat(
        self, person: Person, role: Role, *, voting: bool, at: datetime, by_id: int
    ) -> list[ChecklistItem]:
        """Seat ``person`` with ``role``; the role's open items still held by the business
        owner move to them. Returns the items that moved."""
        seat = self.member(person.stored_id)
        if seat is not None:
            raise Conflict(
                _("@{name} is already on the committee ({role}).").format(
                    name=person.name, role=seat.role
                )
            )
        self.committee.append(CommitteeMember(person_id=person.stored_id, role=role, voting=voting))
        moved = [
            i
            for i in self.items
            if role != Role.BUSINESS
            and i.is_open
            and i.category == role
            and i.owner_id == self.owner_id
        ]
        for item in moved:
            item.assign(person.stored_id, at=at, by_id=by_id)
        detail = f"{person.external_id} {role}{'' if voting else ' observer'}"
        self._log(by_id, "committee.add", f"pilot:{self.key}", at, detail)
        return moved

    def unseat(self, person: Person, *, at: datetime, by_id: int) -> list[ChecklistItem]:
        """Unseat ``person`` (never the business owner); their open items return to the
        business owner and are returned."""
        if person.id == self.owner_id:
            raise Invalid(
                _("@{name} is the business owner and stays on the committee.").format(
                    name=person.name
                )
            )
        seat = self.member(person.stored_id)
        if seat is None:
            raise NotFound(
                _("@{name} is not on the committee of {key}.").format(
                    name=person.name, key=self.key
                )
            )
        self.committee.remove(seat)
        returned = [i for i in self.items if i.is_open and i.owner_id == person.id]
        for item in returned:
            item.assign(self.owner_id, at=at, by_id=by_id)
        self._log(by_id, "committee.remove", f"pilot:{self.key}", at, person.external_id)
        return returned

    # --- the checklist -----------------------------------------------------------------

    def checklist_item(self, number: int) -> ChecklistItem:
        """Item ``number``, or a NotFound pointing at the checklist."""
        item = self.item(number)
        if item is None:
            raise NotFound(
                _("Pilot {key} has no item {n}; `checklist {key}` shows them.").format(
                    key=self.key, n=number
                )
            )
        return item

    def add_item(
        self,
        title: str,
        *,
        owner: Person | None,
        due: date | None,
        blocking: bool,
        needs_evidence: bool,
        today: date,
        at: datetime,
        by_id: int,
    ) -> ChecklistItem:
        """Append an item, held by the business owner unless ``owner`` says otherwise."""
        if not title.strip():
            raise Invalid(_("The item needs a title."))
        if due is not None and due < today:
            raise Invalid(_("The due date is in the past; pick today or later."))
        item = ChecklistItem(
            number=self.next_item_number(),
            title=title.strip(),
            category="general",
            owner_id=self.owner_id if owner is None else owner.stored_id,
            due=due,
            blocking=blocking,
            needs_evidence=needs_evidence,
            created_at=at,
            events=[ItemEvent(kind="created", at=at, by_id=by_id)],
        )
        self.items.append(item)
        self._log(by_id, "checklist.add", self._subject(item), at, item.title)
        return item

    def mark_done(
        self, number: int, *, evidence: str | None, at: datetime, by_id: int
    ) -> ChecklistItem:
        """Close item ``number``, with evidence when the item needs it."""
        item = self.checklist_item(number)
        item.mark_done(evidence=evidence, at=at, by_id=by_id, key=self.key)
        self._log(by_id, "checklist.done", self._subject(item), at, item.evidence or "")
        return item

    def waive(self, number: int, *, reason: str, at: datetime, by_id: int) -> ChecklistItem:
        """Close item ``number`` without doing it, for a stated reason."""
        item = self.checklist_item(number)
        item.waive(reason=reason, at=at, by_id=by_id)
        self._log(by_id, "checklist.waive", self._subject(item), at, reason)
        return item

    def assign(self, number: int, person: Person, *, at: datetime, by_id: int) -> ChecklistItem:
        """Give item ``number`` to ``person``."""
        item = self.checklist_item(number)
        item.assign(person.stored_id, at=at, by_id=by_id)
        self._log(by_id, "checklist.assign", self._subject(item), at, person.external_id)
        return item

    def reschedule(
        self, number: int, due: date, *, today: date, at: datetime, by_id: int
    ) -> ChecklistItem:
        """Move item ``number``'s due date (not into the past), recording the slip."""
        item = self.checklist_item(number)
        old = item.due
        item.reschedule(due, today=today, at=at, by_id=by_id)
        detail = f"{old.isoformat() if old else '-'}->{due.isoformat()}"
        self._log(by_id, "checklist.due", self._subject(item), at, detail)
        return item

    def _subject(self, item: ChecklistItem) -> str:
        return f"item:{self.key}#{item.number}"

    # --- KPIs --------------------------------------------------------------------------

    def add_kpi(
        self,
        name: str,
        *,
        kind: KpiKind,
        unit: str,
        baseline: float,
        target: float,
        lower_is_better: bool,
        at: datetime,
        by_id: int,
    ) -> Kpi:
        """Define a KPI; its name is unique in the pilot, ignoring case."""
        if self.kpi(name) is not None:
            raise Conflict(
                _("{key} already has a KPI named {name}.").format(key=self.key, name=name.strip())
            )
        kpi = Kpi.define(
            name,
            kind=kind,
            unit=unit,
            baseline=baseline,
            target=target,
            lower_is_better=lower_is_better,
        )
        self.kpis.append(kpi)
        detail = f"{baseline}->{target} {unit}"
        self._log(by_id, "kpi.add", f"kpi:{self.key}/{kpi.name}", at, detail)
        return kpi

    def record_kpi(
        self, name: str, value: float, *, on: date | None, today: date, at: datetime, by_id: int
    ) -> Kpi:
        """Record a value of the KPI ``name``, dated ``on`` (default ``today``, never
        later)."""
        kpi = self.kpi(name)
        if kpi is None:
            known = ", ".join(k.name for k in self.kpis) or _("none yet")
            raise NotFound(
                _("{key} has no KPI named {name} (KPIs: {known}).").format(
                    key=self.key, name=name, known=known
                )
            )
        day = on or today
        if day > today:
            raise Invalid(_("A measurement cannot be dated in the future."))
        kpi.record(value, on=day, at=at, by_id=by_id)
        self._log(by_id, "kpi.record", f"kpi:{self.key}/{kpi.name}", at, f"{value} at {day}")
        return kpi

    # --- the log -----------------------------------------------------------------------

    def _log(self, by_id: int, action: str, subject: str, at: datetime, detail: str) -> None:
        self.audit(actor_id=by_id, action=action, subject=subject, at=at, detail=detail)

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
