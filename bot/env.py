"""What a handler runs with: the open unit of work, the clock and the resolved caller."""

from __future__ import annotations

from collections.abc import Mapping
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


@dataclass
class Env:
    uow: UnitOfWork
    clock: Clock
    caller: Caller
    workspace: Workspace
    person: Person  # the caller's row
    looked_up: Mapping[str, PersonInfo] | None = None  # see Actor.looked_up
    charts: ChartRenderer | None = None  # draws the digest's KPI chart, where wired
    reachability: Reachability | None = None  # whom the caller's platform cannot DM

    def timezone(self, person: Person | None = None) -> ZoneInfo:
        """A person's time zone (the caller's by default), else the workspace's."""
        who = person or self.person
        return ZoneInfo(who.timezone or self.workspace.timezone or "UTC")

    def local_now(self, person: Person | None = None) -> datetime:
        return self.clock.now().astimezone(self.timezone(person))
