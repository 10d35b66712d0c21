"""Repository port for polls, votes and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.polls.models import Decision, Poll


class PollRepository(Protocol):
    async def add(self, poll: Poll) -> None:
        """Add a new poll with its voters, stored at once so it has an id; a second open
        poll for the same pilot raises :class:`bot.errors.Conflict`. Its votes are stored
        with it, as :meth:`bot.polls.models.Poll.record` changes them."""
        ...

    async def get(self, poll_id: int, *, for_update: bool = False) -> Poll | None:
        """The poll with voters and votes; ``for_update`` locks its row until commit, so
        votes and closing of one poll happen one at a time."""
        ...

    async def get_open(self, pilot_id: int, *, for_update: bool = False) -> Poll | None: ...

    async def latest(self, pilot_id: int) -> Poll | None:
        """The most recently opened poll of the pilot, whatever its status."""
        ...

    async def list_for_pilot(self, pilot_id: int) -> list[Poll]: ...

    async def open_for_voter(self, workspace_id: int, person_id: int) -> list[Poll]:
        """Open polls of the workspace the person is an eligible voter of, whether they have
        voted or not, with voters and votes, by id, in a fixed number of queries."""
        ...

    async def due_ids(self, now: datetime) -> list[int]:
        """Ids of open polls (all workspaces) whose deadline is at or before ``now``."""
        ...

    async def open_ids(self) -> list[int]:
        """Ids of all open polls (all workspaces)."""
        ...

    async def add_decision(self, decision: Decision) -> None:
        """Add a decision; a clash on (workspace, seq) raises :class:`bot.errors.Conflict`."""
        ...

    async def last_decision(self, workspace_id: int) -> Decision | None: ...

    async def decisions_for_pilot(self, pilot_id: int) -> list[Decision]:
        """The pilot's decisions, oldest first."""
        ...

    async def decision_for_poll(self, poll_id: int) -> Decision | None: ...

    async def all_decisions(self) -> list[Decision]:
        """Every decision of every workspace, by workspace then sequence (verify-log)."""
        ...
