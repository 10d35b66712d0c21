"""What a handler runs with: the open unit of work, the clock and the resolved caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.context import Caller
from bot.delivery.models import PersonInfo
from bot.delivery.ports import Reachability
from bot.digests.ports import ChartRenderer
from bot.pilots.models import Person, Workspace
from bot.ports import UnitOfWork

Directory = Callable[[str, str], Awaitable[PersonInfo | None]]
"""Look a person up on their platform: ``(workspace external id, user id) -> info``."""


@dataclass
class Env:
    uow: UnitOfWork
    clock: Clock
    caller: Caller
    workspace: Workspace
    person: Person  # the caller's row
    directory: Directory | None = None
    charts: ChartRenderer | None = None  # draws the digest's KPI chart, where wired
    reachability: Reachability | None = None  # whom the caller's platform cannot DM

    def timezone(self, person: Person | None = None) -> ZoneInfo:
        """A person's time zone (the caller's by default), else the workspace's."""
        who = person or self.person
        return ZoneInfo(who.timezone or self.workspace.timezone or "UTC")

    def local_now(self, person: Person | None = None) -> datetime:
        return self.clock.now().astimezone(self.timezone(person))
