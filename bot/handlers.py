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
from typing import Any, Protocol

from bot import commands as c
from bot.actor import Actor
from bot.clock import Clock
from bot.delivery.ports import ChatGateway, Reachability
from bot.digests import handlers as digests
from bot.digests.ports import ChartRenderer
from bot.env import Env
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


def _legacy(platforms: Platforms, handler: Any) -> Handler:
    """A handler still written as ``(cmd, env)`` (until its feature is reshaped)."""

    async def run(cmd: Any, /, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
        env = Env(
            uow=uow,
            clock=clock,
            caller=actor.caller,
            workspace=actor.workspace,
            person=actor.person,
            looked_up=actor.looked_up,
            charts=platforms.charts,
            reachability=platforms.reachability(actor.caller.platform),
        )
        result: Message = await handler(cmd, env)
        return result

    return run


def command_handlers(platforms: Platforms) -> dict[type[c.Command], Handler]:
    """Every command the core runs, by type (a test checks none is missing)."""
    return {
        c.Help: _legacy(platforms, pilots.help_),
        c.NewPilot: _legacy(platforms, pilots.new_pilot),
        c.ListPilots: _legacy(platforms, pilots.list_pilots),
        c.Status: _legacy(platforms, pilots.status),
        c.SetStage: _legacy(platforms, pilots.set_stage),
        c.CommitteeAdd: _legacy(platforms, pilots.committee_add),
        c.CommitteeRemove: _legacy(platforms, pilots.committee_remove),
        c.ChecklistShow: _legacy(platforms, pilots.checklist_show),
        c.ChecklistAdd: _legacy(platforms, pilots.checklist_add),
        c.ChecklistDone: _legacy(platforms, pilots.checklist_done),
        c.ChecklistWaive: _legacy(platforms, pilots.checklist_waive),
        c.ChecklistAssign: _legacy(platforms, pilots.checklist_assign),
        c.ChecklistDue: _legacy(platforms, pilots.checklist_due),
        c.KpiAdd: _legacy(platforms, pilots.kpi_add),
        c.KpiRecord: _legacy(platforms, pilots.kpi_record),
        c.Settings: _legacy(platforms, pilots.settings),
        c.PollOpen: _legacy(platforms, polls.open_poll),
        c.PollClose: _legacy(platforms, polls.close_poll),
        c.PollCancel: _legacy(platforms, polls.cancel_poll),
        c.CastVote: _legacy(platforms, polls.vote),
        c.Decisions: _legacy(platforms, polls.decisions),
        c.Export: _legacy(platforms, polls.export_pilot),
        c.DigestPreview: _legacy(platforms, digests.preview),
        c.DigestNow: _legacy(platforms, digests.post_now),
        c.DigestSchedule: _legacy(platforms, digests.schedule),
    }
