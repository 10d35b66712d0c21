"""Repository port for polls, votes and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.polls.models import Decision, Poll, Vote


class PollRepository(Protocol):
    async def add(self, poll: Poll) -> None:
        """Add a new poll with its voters. A second open poll for the same pilot raises
        :class:`bot.errors.Conflict` at the latest on flush."""
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

    async def due_ids(self, now: datetime) -> list[int]:
        """Ids of open polls (all workspaces) whose deadline is at or before ``now``."""
        ...

    async def open_ids(self) -> list[int]:
        """Ids of all open polls (all workspaces)."""
        ...

    async def record_vote(self, poll: Poll, vote: Vote) -> None:
        """Insert the vote, or replace the voter's earlier vote on this poll (one row per
        voter, even when the same voter votes twice at once); ``poll.votes`` is reloaded."""
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
