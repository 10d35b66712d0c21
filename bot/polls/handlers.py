"""The poll commands' use cases, listed in :mod:`bot.handlers`: each loads the pilot and
its poll, lets the poll apply its rules, queues what the steering channel must see and
renders the reply. The facade commits when a handler returns; an error rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.actor import Actor
from bot.clock import Clock
from bot.commands import CastVote, Decisions, Export, PollCancel, PollClose, PollOpen
from bot.delivery.ports import Reachability
from bot.delivery.service import enqueue
from bot.errors import Forbidden, NotFound
from bot.i18n import _
from bot.messages import Block, Message
from bot.pilots.access import get_pilot, no_such_pilot, require_owner, require_reader
from bot.pilots.models import Person, Pilot, Workspace
from bot.polls import export, messaging, reach
from bot.polls.models import Choice, Closed, Poll
from bot.ports import UnitOfWork


async def open_poll(
    cmd: PollOpen,
    *,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    reachability: Callable[[str], Reachability | None],
) -> Message:
    """Open the pilot's poll and post its card; then warn the owner about the voters the
    caller's platform cannot message (``reachability`` finds who can tell)."""
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("open a poll"))
    now = clock.now()
    poll = await Poll.open(
        pilot,
        polls=uow.polls,
        by_id=actor.person_id,
        at=now,
        question=cmd.question,
        closes_at=cmd.closes,
        secret=cmd.secret,
    )
    view = await view_of(uow, actor.workspace, pilot, poll)
    to = messaging.steering_channel(actor.workspace, pilot)
    card = messaging.poll_card(view)
    await enqueue(
        uow, workspace=actor.workspace, key=messaging.card_key(poll), to=to, message=card, now=now
    )
    # The poll is open whatever the platform answers next, and it is asked outside any
    # transaction; the owner's notices are queued in the next one, which the facade commits.
    await uow.commit()
    warning = await reach.check_voters(
        uow,
        reachability=reachability(actor.caller.platform),
        workspace=actor.workspace,
        view=view,
        now=clock.now(),
    )
    return messaging.opened(view, warning)


async def vote(cmd: CastVote, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    """Record or change the caller's vote; the last eligible vote closes the poll."""
    pilot = await uow.pilots.get_by_key(actor.workspace_id, cmd.key.lower())
    if pilot is None:
        raise no_such_pilot(cmd.key)
    # Locked until commit, so that the poll's votes and its closing happen one at a time.
    poll = await uow.polls.get_open(pilot.stored_id, for_update=True)
    # An eligible voter votes even after leaving the committee; anyone else must be able
    # to read the pilot before learning anything about its poll.
    if poll is None or poll.voter(actor.person_id) is None:
        require_reader(actor, pilot, key=cmd.key)
    if poll is None:
        raise _no_open_poll(pilot)
    view = await view_of(uow, actor.workspace, pilot, poll)
    now = clock.now()
    choice = Choice(cmd.choice)
    changed = poll.record(pilot, actor.person_id, choice, cmd.text, at=now, people=view.people)
    if poll.all_voted():
        closed = await close(uow, actor.workspace, view, by=None, reason="all-voted", at=now)
        return messaging.voted(view, choice, changed=changed, closed=closed)
    reply = messaging.voted(view, choice, changed=changed)
    card = messaging.card_update(actor.workspace, view, at=now)
    await uow.flush()
    # Last in the transaction: queueing locks the card's one pending update row until
    # commit, and delivery skips locked rows, so a burst of votes still updates the card.
    await uow.outbox.put_update(card, not_before=now)
    return reply


async def close_poll(cmd: PollClose, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    """The owner closes the poll before its deadline."""
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    poll = await _open_poll_of(uow, pilot)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("close the poll"))
    view = await view_of(uow, actor.workspace, pilot, poll)
    closed = await close(
        uow, actor.workspace, view, by=actor.person, reason="owner", at=clock.now()
    )
    return messaging.closed_by_owner(pilot, closed)


async def cancel_poll(cmd: PollCancel, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    """The owner cancels the poll: no decision, the pilot returns to its earlier stage."""
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    poll = await _open_poll_of(uow, pilot)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("cancel the poll"))
    now = clock.now()
    poll.cancel(pilot, by_id=actor.person_id, at=now)
    view = await view_of(uow, actor.workspace, pilot, poll)
    await uow.outbox.put_update(
        messaging.card_update(actor.workspace, view, at=now), not_before=now
    )
    return messaging.cancelled(pilot)


async def decisions(cmd: Decisions, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    """The pilot's decision log, newest first, times in the caller's zone."""
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    found = await uow.polls.decisions_for_pilot(pilot.stored_id)
    return messaging.decision_log(pilot, found, actor.zone())


async def export_pilot(cmd: Export, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    """The pilot's decision log and checklist history as CSV or JSON, for the committee;
    a reader who is not on it is refused, anyone else told there is no such pilot."""
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    on_committee = pilot.member(actor.person_id) is not None or pilot.owner_id == actor.person_id
    if not (on_committee or actor.is_admin):
        raise Forbidden(
            _("Only members of the {key} committee can export its decisions.").format(key=pilot.key)
        )
    found = await uow.polls.decisions_for_pilot(pilot.stored_id)
    ids = {e.by_id for i in pilot.items for e in i.events if e.by_id is not None}
    names = {pid: p.name for pid, p in (await uow.people.get_many(sorted(ids))).items()}
    return export.message(export.export_data(pilot, found, names), cmd.format, key=pilot.key)


async def status_section(*, uow: UnitOfWork, actor: Actor, pilot: Pilot) -> list[Block]:
    """The open poll in `status <key>`: question, deadline and turnout, never choices.
    Only for a pilot the actor may read (``status`` loaded it through ``get_pilot``)."""
    poll = await uow.polls.get_open(pilot.stored_id)
    if poll is None:
        return []
    return messaging.status_blocks(await view_of(uow, actor.workspace, pilot, poll))


async def close(
    uow: UnitOfWork,
    workspace: Workspace,
    view: messaging.View,
    *,
    by: Person | None,
    reason: str,
    at: datetime,
) -> Closed:
    """Close the poll (the owner's `close`, the last vote, the deadline sweep) and tell the
    steering channel: the decision, and the card's final state."""
    poll, pilot = view.poll, view.pilot
    closed = await poll.close(
        pilot, polls=uow.polls, by=by, reason=reason, at=at, people=view.people, zone=view.zone
    )
    await enqueue(
        uow,
        workspace=workspace,
        key=messaging.result_key(poll),
        to=messaging.steering_channel(workspace, pilot),
        message=messaging.result_message(view, closed),
        now=at,
    )
    card = messaging.card_update(workspace, view, at=at, closed=closed)
    await uow.outbox.put_update(card, not_before=at)
    return closed


async def view_of(
    uow: UnitOfWork, workspace: Workspace, pilot: Pilot, poll: Poll
) -> messaging.View:
    """The poll with the people it names, its times in the workspace's zone."""
    ids = {v.person_id for v in poll.voters} | {pilot.owner_id}
    people = await uow.people.get_many(sorted(ids))
    return messaging.View(poll=poll, pilot=pilot, people=people, zone=ZoneInfo(workspace.timezone))


async def _open_poll_of(uow: UnitOfWork, pilot: Pilot) -> Poll:
    """The pilot's open poll, locked until commit so that its votes and its closing happen
    one at a time."""
    poll = await uow.polls.get_open(pilot.stored_id, for_update=True)
    if poll is None:
        raise _no_open_poll(pilot)
    return poll


def _no_open_poll(pilot: Pilot) -> NotFound:
    return NotFound(
        _("{key} has no open poll; the owner opens one with `poll {key}`.").format(key=pilot.key)
    )
