"""Turning a database constraint violation into a :class:`bot.errors.Conflict` a user can
read.

:data:`MESSAGES` holds a message for each unique constraint a user can run into (by the
constraint's name under :data:`storage.base.NAMING`); a test checks every such constraint
has one. The message may name fields of the clashing object
in ``{braces}``; that object is the first new or changed object of the constraint's table
in the failed flush.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_mapper
from sqlalchemy.orm.exc import UnmappedInstanceError

from bot.errors import Conflict
from bot.i18n import _
from storage.base import metadata

log = logging.getLogger(__name__)

Message = Callable[[], str]

MESSAGES: dict[str, Message] = {
    "uq_pilots_workspace_id": lambda: _("A pilot with key {key} already exists in this workspace."),
    "uq_people_workspace_id": lambda: _("That person is already known in this workspace."),
    "uq_workspaces_platform": lambda: _("That workspace is already registered."),
    "uq_checklist_items_pilot_id": lambda: _(
        "Checklist item #{number} already exists on this pilot."
    ),
    "uq_committee_members_pilot_id": lambda: _("That person is already on this pilot's committee."),
    "uq_kpis_pilot_id": lambda: _("A KPI named {name} already exists on this pilot."),
    "uq_polls_open_pilot_id": lambda: _("This pilot already has an open poll."),
    "uq_poll_votes_poll_id": lambda: _("Your vote was already recorded; try again."),
    "uq_decisions_workspace_id": lambda: _(
        "Another decision was recorded at the same moment; try again."
    ),
    "uq_decisions_poll_id": lambda: _("This poll is already decided."),
    "uq_digests_workspace_id": lambda: _("This week's digest for that channel was already posted."),
    "uq_digest_schedules_workspace_id": lambda: _("That channel already has a digest schedule."),
}

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w., ]+)")


def to_conflict(error: IntegrityError, candidates: Iterable[object]) -> Conflict:
    """The :class:`Conflict` for ``error``; ``candidates`` are the objects the failed
    flush was writing."""
    found = _unique_of(error)
    template = MESSAGES.get(found[0]) if found is not None else None
    if found is None or template is None:
        # Not a clash a user can cause and fix (or a message is missing). Name the
        # constraint only: the driver's text can quote the row's values.
        log.warning(
            "integrity error without a conflict message: %s",
            found[0] if found is not None else type(error.orig).__name__,
        )
        return Conflict(_generic())
    culprit = _first_of_table(candidates, found[1])
    if culprit is None:
        return Conflict(_generic())
    try:
        return Conflict(template().format_map(vars(culprit)))
    except (KeyError, IndexError, ValueError):
        return Conflict(_generic())


def _generic() -> str:
    return _("That conflicts with what is already stored; nothing was changed.")


def _uniques() -> Iterator[tuple[str, str, list[str]]]:
    """(name, table, columns) of every unique constraint and unique index."""
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name:
                yield str(constraint.name), table.name, list(constraint.columns.keys())
        for index in table.indexes:
            if index.unique and index.name:
                yield str(index.name), table.name, [column.name for column in index.columns]


def _unique_of(error: IntegrityError) -> tuple[str, str] | None:
    """(constraint name, table name) of the violated unique constraint, if known."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:  # PostgreSQL names the constraint
        for unique_name, table, _columns in _uniques():
            if unique_name == name:
                return unique_name, table
        return None
    # SQLite names the columns: "UNIQUE constraint failed: pilots.workspace_id, pilots.key"
    match = _SQLITE_UNIQUE.search(str(error.orig))
    if match is None:
        return None
    qualified = [part.strip().split(".", 1) for part in match["columns"].split(",")]
    if any(len(part) != 2 for part in qualified):
        return None
    table_name = qualified[0][0]
    columns = [part[1] for part in qualified]
    for unique_name, table, unique_columns in _uniques():
        if table == table_name and unique_columns == columns:
            return unique_name, table
    return None


def _first_of_table(candidates: Iterable[object], table_name: str) -> object | None:
    for candidate in candidates:
        try:
            mapper = object_mapper(candidate)
        except UnmappedInstanceError:
            continue
        if any(getattr(table, "name", None) == table_name for table in mapper.tables):
            return candidate
    return None
