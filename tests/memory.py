"""An in-memory unit of work and repositories, so the core's rules and use cases run
without a database (cosmicpython's ``FakeUnitOfWork``, with storage's semantics).

:class:`MemoryStore` keeps rows by table and id, as a database does, with the columns and
unique constraints of ``storage``'s schema. A unit of work builds its own objects from a
table's rows when it first reads the table; :meth:`MemoryUnitOfWork.commit` writes back the
rows it inserted, changed or deleted, so a unit of work left without commit changes
nothing. As in ``storage``: ids are assigned on flush (and before a read, for objects added
to the unit of work); a unique constraint raises :class:`bot.errors.Conflict` with the
message of :data:`storage.conflicts.MESSAGES` and rolls back; values read back are what the
database returns (instants in UTC, enum members, floats); the aggregates' ``new_records``
are added at flush and commit. Nothing is locked: ``for_update`` is accepted and ignored,
and of two units of work open at once, each commit writes the rows it changed.
tests/test_memory_store.py holds the store to the databases' behaviour.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Column, Float

from bot.delivery.models import OutboxMessage, OutboxStatus
from bot.delivery.ports import OutboxRepository
from bot.delivery.service import UPDATE_INTERVAL
from bot.digests.models import (
    DEFAULT_TIME,
    DEFAULT_WEEKDAY,
    ChannelSlot,
    Digest,
    DigestSchedule,
    Portfolio,
)
from bot.digests.ports import DigestRepository
from bot.errors import Conflict
from bot.pilots.models import (
    AuditEntry,
    ChecklistItem,
    CommitteeMember,
    ItemEvent,
    ItemStatus,
    Kpi,
    Measurement,
    Person,
    Pilot,
    Stage,
    StageChange,
    Workspace,
)
from bot.pilots.ports import (
    AuditRepository,
    PersonRepository,
    PilotRepository,
    WorkspaceRepository,
)
from bot.polls.models import Decision, Poll, PollStatus, Vote, Voter
from bot.polls.ports import PollRepository
from bot.reminders.models import DueItem, ReminderMark
from bot.reminders.ports import ReminderRepository
from storage.base import metadata
from storage.conflicts import MESSAGES, _uniques
from storage.db import Database
from storage.types import UTCDateTime

Row = tuple[Any, ...]  # a row's values in its table's column order
Rows = dict[int, Row]  # a table's rows by id

# The table of each class the unit of work holds; children live in their parent's list.
TABLES: dict[type, str] = {
    Workspace: "workspaces",
    Person: "people",
    Pilot: "pilots",
    CommitteeMember: "committee_members",
    ChecklistItem: "checklist_items",
    ItemEvent: "item_events",
    Kpi: "kpis",
    Measurement: "kpi_measurements",
    StageChange: "stage_changes",
    AuditEntry: "audit_entries",
    Poll: "polls",
    Voter: "poll_voters",
    Vote: "poll_votes",
    Decision: "decisions",
    OutboxMessage: "outbox",
    ReminderMark: "reminder_marks",
    DigestSchedule: "digest_schedules",
    Digest: "digests",
}
CLASSES = {table: cls for cls, table in TABLES.items()}
COLUMNS = {table: list(metadata.tables[table].columns) for table in CLASSES}
NAMES = {table: [column.name for column in columns] for table, columns in COLUMNS.items()}


def _by_id(obj: Any) -> Any:
    return obj.id


def _by_at(obj: Any) -> Any:
    return (obj.at, obj.id)


# parent class -> (collection, child table, foreign key, order): storage's relationships.
CHILDREN: dict[type, list[tuple[str, str, str, Callable[[Any], Any]]]] = {
    Pilot: [
        ("committee", "committee_members", "pilot_id", _by_id),
        ("items", "checklist_items", "pilot_id", lambda item: item.number),
        ("kpis", "kpis", "pilot_id", _by_id),
    ],
    ChecklistItem: [("events", "item_events", "item_id", _by_at)],
    Kpi: [("measurements", "kpi_measurements", "kpi_id", _by_at)],
    Poll: [
        ("voters", "poll_voters", "poll_id", _by_id),
        ("votes", "poll_votes", "poll_id", _by_id),
    ],
}


def _family(table: str) -> list[str]:
    """The table and the tables of everything stored in it, parents first."""
    below = [child for _, child, _, _ in CHILDREN.get(CLASSES[table], ())]
    return [table, *(t for child in below for t in _family(child))]


CHILD_TABLES = {table for collections in CHILDREN.values() for _, table, _, _ in collections}
FAMILIES = {table: _family(table) for table in CLASSES if table not in CHILD_TABLES}
UNIQUES: dict[str, list[tuple[str, list[int]]]] = {}  # table -> (constraint, column indexes)
for _name, _table, _columns in _uniques():
    if _table in NAMES:
        UNIQUES.setdefault(_table, []).append((_name, [NAMES[_table].index(c) for c in _columns]))


def _stored(column: Column[Any], value: Any) -> Any:
    """``value`` as the database gives it back: instants in UTC, enums as members."""
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store aware datetimes only")
        return value.astimezone(UTC)
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None:
        return enum_class(value)
    if isinstance(column.type, Float):
        return float(value)
    return value


def _new(cls: type) -> Any:
    """An instance with no attributes set, without running ``__init__``, as a database
    loader builds one (through storage's mapper when the tests mapped the class)."""
    manager = getattr(cls, "_sa_class_manager", None)
    return manager.new_instance() if manager is not None else object.__new__(cls)


def _values(table: str, obj: Any) -> Row:
    return tuple(getattr(obj, name) for name in NAMES[table])


def _clash(table: str, rows: Rows, changed: Iterable[int]) -> tuple[str, int] | None:
    """(constraint, id) of a changed row that breaks a unique constraint of ``table`` with
    another row; None when none does (NULLs never clash, as in SQL)."""
    changed = set(changed)
    for name, indexes in UNIQUES.get(table, ()):
        holders: dict[Row, list[int]] = {}
        for row_id, row in rows.items():
            key = tuple(row[i] for i in indexes)
            if None not in key:
                holders.setdefault(key, []).append(row_id)
        for ids in holders.values():
            if len(ids) > 1 and changed.intersection(ids):
                return name, min(changed.intersection(ids))
    return None


class MemoryStore:
    """What a database holds, in memory. Open a unit of work with :meth:`uow`, as on
    :class:`storage.db.Database`."""

    def __init__(self) -> None:
        self.tables: dict[str, Rows] = {name: {} for name in metadata.tables}
        self._ids = {name: itertools.count(1) for name in metadata.tables}

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def next_id(self, table: str) -> int:
        """Never reused, like a PostgreSQL sequence (a rolled-back id stays spent)."""
        return next(self._ids[table])

    def committed(self, table: str, column: str) -> set[Any]:
        """The values of one column in the committed rows of a table."""
        index = NAMES[table].index(column)
        return {row[index] for row in self.tables[table].values()}

    def snapshot(self) -> dict[str, list[Row]]:
        """Every row of every table in column order, by id: what a test reading the
        database with ``SELECT *`` sees."""
        return {
            table.name: [row for _, row in sorted(self.tables[table.name].items())]
            for table in metadata.sorted_tables
        }


Store = Database | MemoryStore
"""Where a test's rows are: a database, or the in-memory store (both open ``uow()``)."""


class MemoryUnitOfWork:
    """Implements :class:`bot.ports.UnitOfWork` over a :class:`MemoryStore`.

    A table is read from the store when a repository first uses it (with its children's
    tables), like a query that sees what others committed before it ran."""

    workspaces: WorkspaceRepository
    people: PersonRepository
    pilots: PilotRepository
    audit: AuditRepository
    polls: PollRepository
    outbox: OutboxRepository
    reminders: ReminderRepository
    digests: DigestRepository

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._objects: dict[str, list[Any]] | None = None  # top-level table -> objects
        self._base: dict[str, Rows] = {}  # the rows those objects were built from
        self._added = False  # objects were added since the last flush

    async def __aenter__(self) -> Self:
        if self._objects is not None:
            raise RuntimeError("this unit of work is already open")
        self._objects, self._base = {}, {}
        self.workspaces = MemoryWorkspaceRepository(self)
        self.people = MemoryPersonRepository(self)
        self.pilots = MemoryPilotRepository(self)
        self.audit = MemoryAuditRepository(self)
        self.polls = MemoryPollRepository(self)
        self.outbox = MemoryOutboxRepository(self)
        self.reminders = MemoryReminderRepository(self)
        self.digests = MemoryDigestRepository(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # What was not committed is dropped; the objects stay readable, as after close().
        self._objects, self._base = None, {}

    def add(self, obj: object) -> None:
        table = TABLES.get(type(obj))
        if table not in FAMILIES:
            raise TypeError(f"add a {type(obj).__name__} to its parent's list, not to the uow")
        objects = self.rows(table, flush=False)
        if not any(o is obj for o in objects):
            objects.append(obj)
            self._added = True

    async def flush(self) -> None:
        self._flush(records=True)

    async def commit(self) -> None:
        changes = self._flush(records=True)
        merged = {}
        for table, changed in changes.items():
            rows = merged[table] = dict(self.store.tables[table])
            self._apply(rows, changed)
            self._refuse_clash(table, rows, changed)
        self.store.tables.update(merged)
        for table, changed in changes.items():
            self._apply(self._base[table], changed)

    async def rollback(self) -> None:
        self._reset()

    # --- for the repositories ---------------------------------------------------------

    def rows(self, table: str, *, flush: bool = True) -> list[Any]:
        """The objects of a top-level table, read from the store on first use; objects
        added since the last flush get their ids first, as an autoflush does."""
        objects = self._open()
        if table not in objects:
            self._load(table, {})
        if flush and self._added:
            self._flush(records=False)
        return objects[table]

    # --- rows and objects -------------------------------------------------------------

    def _open(self) -> dict[str, list[Any]]:
        if self._objects is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._objects

    def _reset(self) -> None:
        """Roll back: every table read again, the objects held reset in place."""
        held = {(table, obj.id): obj for table, obj in self._walk()}
        for top in list(self._open()):
            self._load(top, held)

    def _load(self, top: str, held: dict[tuple[str, int], Any]) -> None:
        """Build the objects of a table and its children's tables from the store's rows;
        objects this unit of work already holds are reset in place (a rollback expires
        them, it does not replace them)."""
        built: dict[str, dict[int, Any]] = {}
        for table in FAMILIES[top]:
            rows = self._base[table] = dict(self.store.tables[table])
            built[table] = {}
            for row_id, row in sorted(rows.items()):
                obj = held.get((table, row_id))
                if obj is None:
                    obj = _new(CLASSES[table])
                obj.__dict__.update(zip(NAMES[table], row, strict=True))
                obj.__dict__.pop("_new_records", None)
                built[table][row_id] = obj
        for table in FAMILIES[top]:
            for collection, child_table, key, order in CHILDREN.get(CLASSES[table], ()):
                children: dict[int, list[Any]] = {}
                for child in sorted(built[child_table].values(), key=order):
                    children.setdefault(getattr(child, key), []).append(child)
                for parent in built[table].values():
                    parent.__dict__[collection] = children.get(parent.id, [])
        self._open()[top] = list(built[top].values())

    def _walk(self) -> Iterator[tuple[str, Any]]:
        """Every object with its table, each parent before its children."""

        def down(table: str, obj: Any) -> Iterator[tuple[str, Any]]:
            yield table, obj
            for collection, child_table, _, _ in CHILDREN.get(type(obj), ()):
                for child in getattr(obj, collection):
                    yield from down(child_table, child)

        for table, objects in self._open().items():
            for obj in objects:
                yield from down(table, obj)

    def _flush(self, *, records: bool) -> dict[str, dict[int, Row | None]]:
        """Assign ids and foreign keys; the rows changed since read or last commit (None:
        deleted), once they break no unique constraint."""
        if records:  # what the aggregates recorded (stage changes, audit entries)
            for _, obj in list(self._walk()):
                new = obj.__dict__.get("_new_records")
                if new:
                    for record in new:
                        self.add(record)
                    new.clear()
        self._added = False
        changes: dict[str, dict[int, Row | None]] = {}
        seen: dict[str, set[int]] = {}
        for table, obj in self._walk():
            if obj.id is None:
                obj.id = self.store.next_id(table)
            for collection, _, key, _ in CHILDREN.get(type(obj), ()):
                for child in getattr(obj, collection):
                    setattr(child, key, obj.id)
            seen.setdefault(table, set()).add(obj.id)
            values = _values(table, obj)
            if self._base[table].get(obj.id) != values:
                row = tuple(map(_stored, COLUMNS[table], values))
                changes.setdefault(table, {})[obj.id] = row
        for top in self._open():
            for table in FAMILIES[top]:
                for row_id in self._base[table].keys() - seen.get(table, set()):
                    changes.setdefault(table, {})[row_id] = None
        for table, changed in changes.items():
            self._refuse_clash(table, self._apply(dict(self._base[table]), changed), changed)
        return changes

    @staticmethod
    def _apply(rows: Rows, changed: dict[int, Row | None]) -> Rows:
        for row_id, row in changed.items():
            if row is None:
                rows.pop(row_id, None)
            else:
                rows[row_id] = row
        return rows

    def _refuse_clash(self, table: str, rows: Rows, changed: dict[int, Row | None]) -> None:
        """Roll back and raise the constraint's Conflict when a changed row clashes."""
        clash = _clash(table, rows, (i for i, row in changed.items() if row is not None))
        if clash is None:
            return
        name, row_id = clash
        values = dict(zip(NAMES[table], rows[row_id], strict=True))
        conflict = Conflict(MESSAGES[name]().format_map(values))
        self._reset()
        raise conflict


class _Repository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self.uow = uow

    def _one(self, table: str, test: Callable[[Any], bool]) -> Any:
        return next((obj for obj in self.uow.rows(table) if test(obj)), None)

    def _all(self, table: str, test: Callable[[Any], bool], order: Callable[[Any], Any]) -> Any:
        return sorted((obj for obj in self.uow.rows(table) if test(obj)), key=order)


class MemoryWorkspaceRepository(_Repository):
    async def get(self, workspace_id: int) -> Workspace | None:
        return self._one("workspaces", lambda w: w.id == workspace_id)

    async def get_by_external(self, platform: str, external_id: str) -> Workspace | None:
        return self._one(
            "workspaces", lambda w: (w.platform, w.external_id) == (platform, external_id)
        )

    async def add(self, workspace: Workspace) -> None:
        self.uow.add(workspace)


class MemoryPersonRepository(_Repository):
    async def get(self, person_id: int) -> Person | None:
        return self._one("people", lambda p: p.id == person_id)

    async def get_by_external(self, workspace_id: int, external_id: str) -> Person | None:
        return self._one(
            "people", lambda p: (p.workspace_id, p.external_id) == (workspace_id, external_id)
        )

    async def get_many(self, person_ids: Sequence[int]) -> dict[int, Person]:
        wanted = set(person_ids)
        return {p.id: p for p in self.uow.rows("people") if p.id in wanted}

    async def add(self, person: Person) -> None:
        self.uow.add(person)


class MemoryPilotRepository(_Repository):
    async def get_by_key(self, workspace_id: int, key: str) -> Pilot | None:
        return self._one("pilots", lambda p: (p.workspace_id, p.key) == (workspace_id, key))

    async def get(self, pilot_id: int) -> Pilot | None:
        return self._one("pilots", lambda p: p.id == pilot_id)

    async def list(
        self, workspace_id: int, *, stage: Stage | None = None, person_id: int | None = None
    ) -> builtins.list[Pilot]:
        def wanted(pilot: Pilot) -> bool:
            return (
                pilot.workspace_id == workspace_id
                and (stage is None or pilot.stage == stage)
                and (
                    person_id is None
                    or pilot.owner_id == person_id
                    or pilot.member(person_id) is not None
                )
            )

        return self._all("pilots", wanted, lambda p: p.key)

    async def list_for_person(self, workspace_id: int, person_id: int) -> builtins.list[Pilot]:
        votes_on = {
            poll.pilot_id
            for poll in self.uow.rows("polls")
            if poll.status == PollStatus.OPEN and poll.voter(person_id) is not None
        }

        def wanted(pilot: Pilot) -> bool:
            return pilot.workspace_id == workspace_id and (
                pilot.owner_id == person_id
                or any(i.owner_id == person_id and i.is_open for i in pilot.items)
                or pilot.id in votes_on
            )

        return self._all("pilots", wanted, lambda p: p.key)

    async def add(self, pilot: Pilot) -> None:
        self.uow.add(pilot)


class MemoryAuditRepository(_Repository):
    async def add(self, entry: AuditEntry) -> None:
        self.uow.add(entry)

    async def list(
        self, workspace_id: int, subject: str | None = None
    ) -> builtins.list[AuditEntry]:
        return self._all(
            "audit_entries",
            lambda e: e.workspace_id == workspace_id and subject in (None, e.subject),
            _by_at,
        )


class MemoryPollRepository(_Repository):
    async def add(self, poll: Poll) -> None:
        self.uow.add(poll)
        self.uow.rows("polls")  # stored at once, as storage does: the poll has its id

    async def get(self, poll_id: int, *, for_update: bool = False) -> Poll | None:
        return self._one("polls", lambda p: p.id == poll_id)

    async def get_open(self, pilot_id: int, *, for_update: bool = False) -> Poll | None:
        return self._one("polls", lambda p: p.open_pilot_id == pilot_id)

    async def latest(self, pilot_id: int) -> Poll | None:
        polls = self._all("polls", lambda p: p.pilot_id == pilot_id, lambda p: (p.opened_at, p.id))
        return polls[-1] if polls else None

    async def list_for_pilot(self, pilot_id: int) -> builtins.list[Poll]:
        return self._all("polls", lambda p: p.pilot_id == pilot_id, _by_id)

    async def open_for_voter(self, workspace_id: int, person_id: int) -> builtins.list[Poll]:
        return self._all(
            "polls",
            lambda p: (
                p.workspace_id == workspace_id
                and p.status == PollStatus.OPEN
                and p.voter(person_id) is not None
            ),
            _by_id,
        )

    async def due_ids(self, now: datetime) -> builtins.list[int]:
        due = self._all(
            "polls",
            lambda p: p.status == PollStatus.OPEN and p.closes_at <= now,
            lambda p: (p.closes_at, p.id),
        )
        return [p.id for p in due]

    async def open_ids(self) -> builtins.list[int]:
        return [p.id for p in self._all("polls", lambda p: p.status == PollStatus.OPEN, _by_id)]

    async def add_decision(self, decision: Decision) -> None:
        self.uow.add(decision)
        self.uow.rows("decisions")  # flushed at once, as storage does

    async def last_decision(self, workspace_id: int) -> Decision | None:
        found = self._all("decisions", lambda d: d.workspace_id == workspace_id, lambda d: d.seq)
        return found[-1] if found else None

    async def decisions_for_pilot(self, pilot_id: int) -> builtins.list[Decision]:
        return self._all("decisions", lambda d: d.pilot_id == pilot_id, lambda d: d.seq)

    async def decision_for_poll(self, poll_id: int) -> Decision | None:
        return self._one("decisions", lambda d: d.poll_id == poll_id)

    async def all_decisions(self) -> builtins.list[Decision]:
        return self._all("decisions", lambda d: True, lambda d: (d.workspace_id, d.seq))


# The columns storage's insert writes: a new outbox row starts without error, send or ref.
_INSERTED = ("workspace_id", "key", "platform", "channel_id", "user_id", "update_of",
             "message_json", "status", "attempts", "created_at", "next_attempt_at")  # fmt: skip


class MemoryOutboxRepository(_Repository):
    def _by_key(self, key: str) -> OutboxMessage | None:
        return self._one("outbox", lambda m: m.key == key)

    def _by_id(self, message_id: int) -> OutboxMessage | None:
        return self._one("outbox", lambda m: m.id == message_id)

    def _taken(self, key: str) -> bool:
        """Used here, or by a row another unit of work committed since this one began."""
        return self._by_key(key) is not None or key in self.uow.store.committed("outbox", "key")

    async def add(self, message: OutboxMessage) -> bool:
        if self._taken(message.key):
            return False
        row = OutboxMessage(**{name: getattr(message, name) for name in _INSERTED})
        row.id = self.uow.store.next_id("outbox")
        self.uow.rows("outbox").append(row)
        return True

    async def add_many(self, messages: Sequence[OutboxMessage]) -> set[str]:
        return {message.key for message in messages if await self.add(message)}

    async def get_by_key(self, key: str) -> OutboxMessage | None:
        return self._by_key(key)

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        taken = {message.key for message in self.uow.rows("outbox")}
        return set(keys) & (taken | self.uow.store.committed("outbox", "key"))

    async def put_update(self, message: OutboxMessage, *, not_before: datetime) -> None:
        if await self.add(message):
            return
        current = self._by_key(message.key)
        assert current is not None, "the row was committed by another unit of work"
        due = not_before
        if current.sent_at is not None:
            due = max(due, current.sent_at + UPDATE_INTERVAL)
        if current.status == OutboxStatus.PENDING:
            due = max(due, current.next_attempt_at)
        else:
            current.attempts, current.last_error = 0, None
        current.message_json = message.message_json
        current.status, current.next_attempt_at = OutboxStatus.PENDING, due

    async def claim_due(
        self, now: datetime, limit: int, *, lease_until: datetime
    ) -> builtins.list[OutboxMessage]:
        due: builtins.list[OutboxMessage] = self._all(
            "outbox",
            lambda m: m.status == OutboxStatus.PENDING and m.next_attempt_at <= now,
            lambda m: (m.next_attempt_at, m.id),
        )[:limit]
        for message in due:
            message.next_attempt_at, message.attempts = lease_until, message.attempts + 1
        return due

    async def mark_sent(
        self, message_id: int, *, sent_message_json: str, ref_json: str | None, at: datetime
    ) -> bool:
        message = self._by_id(message_id)
        if message is None:
            return False
        message.sent_at, message.last_error = at, None
        if ref_json is not None:
            message.ref_json = ref_json
        if message.message_json == sent_message_json:
            message.status = OutboxStatus.SENT
            return True
        message.attempts, message.next_attempt_at = 0, at + UPDATE_INTERVAL
        return False

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        message = self._by_id(message_id)
        if message is not None and message.status == OutboxStatus.PENDING:
            message.next_attempt_at, message.last_error = at, error

    async def defer(self, message_id: int, *, at: datetime) -> None:
        message = self._by_id(message_id)
        if message is not None:
            message.next_attempt_at, message.attempts = at, message.attempts - 1

    async def mark_dead(self, message_id: int, *, error: str) -> None:
        message = self._by_id(message_id)
        if message is not None:
            message.status, message.last_error = OutboxStatus.DEAD, error

    async def list(
        self, status: str | None = None, limit: int = 100
    ) -> builtins.list[OutboxMessage]:
        found: builtins.list[OutboxMessage] = self._all(
            "outbox", lambda m: status in (None, m.status), lambda m: -m.id
        )
        return found[:limit]

    async def get_many(self, ids: Iterable[int]) -> Sequence[OutboxMessage]:
        wanted = set(ids)
        return self._all("outbox", lambda m: m.id in wanted, _by_id)

    async def requeue_dead(self, ids: Iterable[int] | None, *, at: datetime) -> Sequence[int]:
        wanted = None if ids is None else set(ids)
        dead: builtins.list[OutboxMessage] = self._all(
            "outbox",
            lambda m: m.status == OutboxStatus.DEAD and (wanted is None or m.id in wanted),
            _by_id,
        )
        for message in dead:
            message.status, message.attempts, message.last_error = OutboxStatus.PENDING, 0, None
            message.next_attempt_at = at
        return [message.stored_id for message in dead]

    async def prune(
        self,
        *,
        before: datetime,
        limit: int,
        keep_prefixes: Sequence[str] = (),
        keep_suffixes: Sequence[str] = (),
    ) -> int:
        def finished(m: OutboxMessage) -> bool:
            return (
                m.status in (OutboxStatus.SENT, OutboxStatus.SUPERSEDED)
                and m.created_at < before
                and (m.sent_at is None or m.sent_at < before)
                and not m.key.startswith(tuple(keep_prefixes))
                and not m.key.endswith(tuple(keep_suffixes))
            )

        chosen = {id(m) for m in self._all("outbox", finished, _by_id)[:limit]}
        rows = self.uow.rows("outbox")
        rows[:] = [m for m in rows if id(m) not in chosen]
        return len(chosen)


class MemoryReminderRepository(_Repository):
    async def open_items_due_by(self, last_due: date) -> builtins.list[DueItem]:
        due = [
            DueItem(
                item_id=item.id,
                workspace_id=pilot.workspace_id,
                pilot_key=pilot.key,
                pilot_name=pilot.name,
                number=item.number,
                title=item.title,
                due=item.due,
                needs_evidence=item.needs_evidence,
                owner_id=item.owner_id,
                business_owner_id=pilot.owner_id,
            )
            for pilot in self.uow.rows("pilots")
            if pilot.stage != Stage.STOPPED
            for item in pilot.items
            if item.status == ItemStatus.OPEN and item.due is not None and item.due <= last_due
        ]
        return sorted(due, key=lambda d: (d.due, d.pilot_key, d.number))

    async def marked(self, keys: Iterable[str]) -> set[str]:
        taken = {mark.key for mark in self.uow.rows("reminder_marks")}
        return set(keys) & (taken | self.uow.store.committed("reminder_marks", "key"))

    def _taken(self, key: str) -> bool:
        marked = self._one("reminder_marks", lambda m: m.key == key) is not None
        return marked or key in self.uow.store.committed("reminder_marks", "key")

    async def mark(self, mark: ReminderMark) -> bool:
        if self._taken(mark.key):
            return False
        row = ReminderMark(workspace_id=mark.workspace_id, key=mark.key, kind=mark.kind,
                           item_id=mark.item_id, created_at=mark.created_at)  # fmt: skip
        row.id = self.uow.store.next_id("reminder_marks")
        self.uow.rows("reminder_marks").append(row)
        return True


class MemoryDigestRepository(_Repository):
    async def slots(self) -> builtins.list[ChannelSlot]:
        channels: dict[tuple[int, str], builtins.list[Pilot]] = {}
        for pilot in self.uow.rows("pilots"):
            if pilot.stage != Stage.STOPPED:
                channels.setdefault((pilot.workspace_id, pilot.channel_id), []).append(pilot)
        zones = {w.id: w.timezone for w in self.uow.rows("workspaces")}
        schedules = {(s.workspace_id, s.channel_id): s for s in self.uow.rows("digest_schedules")}
        out = []
        for (workspace_id, channel_id), pilots in sorted(channels.items()):
            names = [p.channel_name for p in pilots if p.channel_name is not None]
            created = [p.created_at for p in pilots if p.created_at is not None]
            row = schedules.get((workspace_id, channel_id))
            out.append(
                ChannelSlot(
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    channel_name=max(names, default=None) or (row.channel_name if row else None),
                    weekday=row.weekday if row else DEFAULT_WEEKDAY,
                    at=row.at if row else DEFAULT_TIME,
                    timezone=(row.timezone if row else None) or zones.get(workspace_id) or "UTC",
                    since=row.updated_at if row and row.updated_at else min(created, default=None),
                )
            )
        return out

    async def posted(self, weeks: Collection[str]) -> set[tuple[int, str, str]]:
        return {
            (d.workspace_id, d.channel_id, d.week)
            for d in self.uow.rows("digests")
            if d.week in weeks
        }

    async def owner_ids(self, workspace_id: int, channel_id: str) -> set[int]:
        return {
            p.owner_id
            for p in self.uow.rows("pilots")
            if (p.workspace_id, p.channel_id) == (workspace_id, channel_id)
        }

    async def get_schedule(self, workspace_id: int, channel_id: str) -> DigestSchedule | None:
        return self._one(
            "digest_schedules",
            lambda s: (s.workspace_id, s.channel_id) == (workspace_id, channel_id),
        )

    async def add_schedule(self, schedule: DigestSchedule) -> None:
        self.uow.add(schedule)

    async def last(self, workspace_id: int, channel_id: str) -> Digest | None:
        found = await self.list(workspace_id, channel_id)
        return found[-1] if found else None

    async def list(self, workspace_id: int, channel_id: str) -> builtins.list[Digest]:
        return self._all(
            "digests",
            lambda d: (d.workspace_id, d.channel_id) == (workspace_id, channel_id),
            lambda d: (d.created_at, d.id),
        )

    async def add(self, digest: Digest) -> None:
        self.uow.add(digest)

    async def portfolio(
        self, workspace: Workspace, channel_id: str, *, since: datetime
    ) -> Portfolio:
        pilots: builtins.list[Pilot] = self._all(
            "pilots",
            lambda p: (p.workspace_id, p.channel_id) == (workspace.id, channel_id),
            lambda p: p.key,
        )
        ids = {p.id for p in pilots}
        polls: builtins.list[Poll] = self._all(
            "polls",
            lambda p: (
                p.pilot_id in ids
                and (
                    p.status == PollStatus.OPEN
                    or p.opened_at >= since
                    or (p.closed_at is not None and p.closed_at >= since)
                )
            ),
            lambda p: (p.opened_at, p.id),
        )
        people = {p.owner_id for p in pilots}
        for pilot in pilots:
            people.update(m.person_id for m in pilot.committee)
            people.update(i.owner_id for i in pilot.items)
        for poll in polls:
            people.update(v.person_id for v in poll.voters)
        return Portfolio(
            workspace=workspace,
            channel_id=channel_id,
            channel_name=next((p.channel_name for p in pilots if p.channel_name), None),
            pilots=pilots,
            people=await self.uow.people.get_many(builtins.list(people)),
            stage_changes=self._all("stage_changes", lambda c: c.pilot_id in ids, _by_at),
            week_polls=polls,
            decisions=self._all(
                "decisions",
                lambda d: d.pilot_id in ids and d.decided_at >= since,
                lambda d: (d.decided_at, d.id),
            ),
        )
