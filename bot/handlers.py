"""The one registry: every command type and the function that handles it.

A handler is ``async def name(cmd, *, uow, actor, clock) -> Message``: it loads what it
needs through the open unit of work, lets the aggregates apply their rules, and renders the
reply; the facade commits when it returns. Handlers that need more than those three (the
chart renderer, the caller's platform) get it here, bound once, so every signature says
what its handler touches and mypy checks each entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from bot import commands as c
from bot.actor import Actor
from bot.clock import Clock
from bot.delivery.ports import ChatGateway, Reachability
from bot.digests import handlers as digests
from bot.digests.ports import ChartRenderer
from bot.home import handlers as home
from bot.messages import Message
from bot.pilots import handlers as pilots
from bot.polls import handlers as polls
from bot.ports import UnitOfWork


class Handler(Protocol):
    def __call__(
        self, cmd: Any, /, *, uow: UnitOfWork, actor: Actor, clock: Clock
    ) -> Awaitable[Message]: ...


@dataclass(frozen=True)
class Platforms:
    """The chat platforms' gateways and the chart renderer: what a few handlers need
    beyond the unit of work, the actor and the clock."""

    gateways: Mapping[str, ChatGateway] = field(default_factory=dict)
    charts: ChartRenderer | None = None

    def reachability(self, platform: str) -> Reachability | None:
        """Whom the platform cannot message directly, if its gateway can tell."""
        gateway = self.gateways.get(platform)
        return gateway if isinstance(gateway, Reachability) else None


def command_handlers(platforms: Platforms) -> dict[type[c.Command], Handler]:
    """Every command the core runs, by type (a test checks none is missing)."""
    return {
        c.Help: pilots.help_,
        c.Home: home.home,
        c.NewPilot: pilots.new_pilot,
        c.ListPilots: pilots.list_pilots,
        c.Status: pilots.status,
        c.SetStage: pilots.set_stage,
        c.CommitteeAdd: pilots.committee_add,
        c.CommitteeRemove: pilots.committee_remove,
        c.ChecklistShow: pilots.checklist_show,
        c.ChecklistAdd: pilots.checklist_add,
        c.ChecklistDone: pilots.checklist_done,
        c.ChecklistWaive: pilots.checklist_waive,
        c.ChecklistAssign: pilots.checklist_assign,
        c.ChecklistDue: pilots.checklist_due,
        c.KpiAdd: pilots.kpi_add,
        c.KpiRecord: pilots.kpi_record,
        c.Settings: pilots.settings,
        c.PollOpen: partial(polls.open_poll, reachability=platforms.reachability),
        c.PollClose: polls.close_poll,
        c.PollCancel: polls.cancel_poll,
        c.CastVote: polls.vote,
        c.Decisions: polls.decisions,
        c.Export: polls.export_pilot,
        c.DigestPreview: partial(digests.preview, charts=platforms.charts),
        c.DigestNow: partial(digests.post_now, charts=platforms.charts),
        c.DigestSchedule: digests.schedule,
    }
