"""What the scheduler's sweep calls each minute: close polls past their deadline and remind
eligible voters who have not voted. Each poll is handled in its own transaction, and both
are idempotent, so a second sweep or replica finds nothing left to do."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.delivery.models import Conversation
from bot.delivery.service import enqueue
from bot.errors import Conflict
from bot.polls import handlers, messaging
from bot.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


async def close_due_polls(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Close every open poll whose deadline has passed; returns how many were closed."""
    async with uow_factory() as uow:
        ids = await uow.polls.due_ids(clock.now())
    closed = 0
    for poll_id in ids:
        if await _in_own_transaction(uow_factory, poll_id, _close_if_due, clock):
            closed += 1
    return closed


async def due_voter_reminders(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Queue one DM per eligible non-voter of polls past their reminder time; returns how
    many reminders were queued (each voter is reminded once per poll)."""
    async with uow_factory() as uow:
        ids = await uow.polls.open_ids()
    queued = 0
    for poll_id in ids:
        queued += await _in_own_transaction(uow_factory, poll_id, _remind, clock)
    return queued


Step = Callable[[UnitOfWork, int, Clock], Awaitable[int]]


async def _in_own_transaction(
    uow_factory: UnitOfWorkFactory, poll_id: int, step: Step, clock: Clock
) -> int:
    try:
        async with uow_factory() as uow:
            done = await step(uow, poll_id, clock)
            await uow.commit()
            return done
    except Conflict:
        # Another replica or a vote got there first (or two decisions raced for the
        # workspace's next log entry): the next sweep sees the new state.
        log.info("poll %s changed under the sweep; retrying next minute", poll_id)
        return 0


async def _close_if_due(uow: UnitOfWork, poll_id: int, clock: Clock) -> int:
    now = clock.now()
    poll = await uow.polls.get(poll_id, for_update=True)
    if poll is None or not poll.is_open or poll.closes_at > now:
        return 0
    pilot = await uow.pilots.get(poll.pilot_id)
    workspace = await uow.workspaces.get(poll.workspace_id)
    if pilot is None or workspace is None:
        return 0
    view = await handlers.view_of(uow, workspace, pilot, poll)
    await handlers.close(uow, workspace, view, by=None, reason="deadline", at=now)
    return 1


async def _remind(uow: UnitOfWork, poll_id: int, clock: Clock) -> int:
    now = clock.now()
    poll = await uow.polls.get(poll_id)
    if poll is None or not poll.is_open or not (poll.remind_at() <= now < poll.closes_at):
        return 0
    pilot = await uow.pilots.get(poll.pilot_id)
    workspace = await uow.workspaces.get(poll.workspace_id)
    if pilot is None or workspace is None:
        return 0
    view = await handlers.view_of(uow, workspace, pilot, poll)
    queued = 0
    for voter in poll.non_voters():
        person = view.people.get(voter.person_id)
        if person is None:
            continue
        zone = ZoneInfo(person.timezone or workspace.timezone or "UTC")
        message = messaging.reminder(replace(view, zone=zone))
        to = Conversation(
            platform=workspace.platform,
            workspace_id=workspace.external_id,
            user_id=person.external_id,
        )
        key = f"poll:{poll.id}:remind:{person.id}"
        if await enqueue(uow, workspace=workspace, key=key, to=to, message=message, now=now):
            queued += 1
    return queued
