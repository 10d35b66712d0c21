"""The ``home`` command: what needs the caller, listed in :mod:`bot.handlers`. The Slack
App Home shows the same view (through :meth:`bot.service.Golive.home`)."""

from __future__ import annotations

from bot.actor import Actor
from bot.clock import Clock
from bot.commands import Home
from bot.home import messaging
from bot.messages import Message
from bot.polls.models import Poll
from bot.ports import UnitOfWork


async def home(cmd: Home, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    """The actor's overdue items, the polls waiting for their vote and the pilots they own,
    in a fixed number of queries however many pilots the workspace has."""
    me = actor.person_id
    today = actor.local_now(clock).date()
    pilots = await uow.pilots.list_for_person(actor.workspace_id, me)
    open_poll = {p.pilot_id: p for p in await uow.polls.open_for_voter(actor.workspace_id, me)}
    return messaging.home(
        overdue=[
            (pilot, item)
            for pilot in pilots
            for item in pilot.items
            if item.owner_id == me and item.is_overdue(today)
        ],
        waiting=[
            (pilot, poll)
            for pilot in pilots
            if (poll := open_poll.get(pilot.stored_id)) is not None and _awaits(poll, me)
        ],
        owned=[pilot for pilot in pilots if pilot.owner_id == me],
    )


def _awaits(poll: Poll, person_id: int) -> bool:
    """The person is an eligible voter of the poll and has not voted yet."""
    return any(voter.person_id == person_id for voter in poll.non_voters())
