"""Repository ports for workspaces, people, pilots and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.pilots.models import AuditEntry, Person, Pilot, Stage, Workspace


class WorkspaceRepository(Protocol):
    async def get(self, workspace_id: int) -> Workspace | None: ...
    async def get_by_external(self, platform: str, external_id: str) -> Workspace | None: ...
    async def add(self, workspace: Workspace) -> None: ...


class PersonRepository(Protocol):
    async def get(self, person_id: int) -> Person | None: ...
    async def get_by_external(self, workspace_id: int, external_id: str) -> Person | None: ...
    async def get_many(self, person_ids: Sequence[int]) -> dict[int, Person]: ...
    async def add(self, person: Person) -> None: ...


class PilotRepository(Protocol):
    async def get_by_key(self, workspace_id: int, key: str) -> Pilot | None:
        """The pilot with its committee, checklist (with events) and KPIs (with
        measurements) loaded."""
        ...

    async def get(self, pilot_id: int) -> Pilot | None: ...

    async def list_for_person(self, workspace_id: int, person_id: int) -> list[Pilot]:
        """Pilots of the workspace that may ask something of the person: they own it, hold
        one of its open checklist items, or are an eligible voter of its open poll. By key,
        each loaded as :meth:`get_by_key` loads one, in a fixed number of queries."""
        ...

    async def list(
        self, workspace_id: int, *, stage: Stage | None = None, person_id: int | None = None
    ) -> list[Pilot]:
        """Pilots of the workspace, by key; ``person_id`` keeps those the person owns or
        sits on the committee of."""
        ...

    async def add(self, pilot: Pilot) -> None:
        """Add a new pilot. A duplicate key raises :class:`bot.errors.Conflict` at the
        latest on commit."""
        ...


class AuditRepository(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...
    async def list(self, workspace_id: int, subject: str | None = None) -> list[AuditEntry]: ...
