"""Poll use cases behind the commands: open, vote, close and cancel.

Each checks who may act, changes the poll through its own rules, queues what the steering
channel must see (the card, its updates, the result) and writes an audit entry that never
holds a secret ballot's choice. The facade commits; an error rolls everything back.
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.commands import CastVote, PollCancel, PollClose, PollOpen
from bot.delivery.service import enqueue, enqueue_update
from bot.env import Env
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.i18n import _
from bot.pilots.models import AuditEntry, Pilot, Role, Stage
from bot.pilots.service import get_pilot, require_owner
from bot.polls import closing, messaging, replies
from bot.polls.models import Choice, Poll, PollStatus, Vote, Voter
from bot.polls.rules import Criteria

DEFAULT_LENGTH = timedelta(hours=72)
VOTE_USAGE = 'vote <key> go|conditional|no-go|abstain ["<condition or reason>"]'


def snapshot_voters(pilot: Pilot) -> list[Voter]:
    """The committee's voting members now; the business owner always votes."""
    voters = [
        Voter(person_id=m.person_id, role=str(m.role), is_owner=m.person_id == pilot.owner_id)
        for m in pilot.committee
        if m.voting or m.person_id == pilot.owner_id
    ]
    if not any(v.is_owner for v in voters):
        voters.insert(0, Voter(person_id=pilot.owner_id, role=Role.BUSINESS.value, is_owner=True))
    return voters


async def _audit(env: Env, action: str, subject: str, detail: str = "") -> None:
    assert env.workspace.id is not None
    await env.uow.audit.add(
        AuditEntry(
            workspace_id=env.workspace.id,
            actor_id=env.person.id,
            action=action,
            subject=subject,
            at=env.clock.now(),
            detail=detail,
        )
    )


async def open_poll(*, env: Env, cmd: PollOpen, criteria: Criteria | None = None) -> Poll:
    """Open the pilot's go/no-go poll, post its card and move the pilot to review."""
    pilot = await get_pilot(env, cmd.key)
    await require_owner(env, pilot, _("open a poll"))
    assert pilot.id is not None and env.workspace.id is not None and env.person.id is not None
    if pilot.stage == Stage.STOPPED:
        raise Invalid(_("{key} is stopped; move its stage before polling.").format(key=pilot.key))
    existing = await env.uow.polls.get_open(pilot.id)
    if existing is not None:
        raise Conflict(
            _(
                "{key} already has an open poll; `poll {key} close` or `poll {key} cancel` it "
                "first."
            ).format(key=pilot.key)
        )
    now = env.clock.now()
    closes = cmd.closes or now + DEFAULT_LENGTH
    if closes <= now:
        raise Invalid(_("The deadline is in the past; pick a later one, like `closes:+48h`."))
    if criteria is None:
        # A pilot's criteria carry over from its previous poll, so once configured for a
        # pilot they stay; each poll keeps its own snapshot either way.
        previous = await env.uow.polls.latest(pilot.id)
        criteria = previous.criteria if previous is not None else Criteria()
    question = (cmd.question or "").strip() or _("Should {name} go to production?").format(
        name=pilot.name
    )
    poll = Poll(
        workspace_id=env.workspace.id,
        pilot_id=pilot.id,
        question=question,
        opened_by_id=env.person.id,
        opened_at=now,
        closes_at=closes,
        secret=cmd.secret,
        open_pilot_id=pilot.id,
        criteria_json=json.dumps(criteria.to_dict()),
        stage_before=pilot.stage.value,
        voters=snapshot_voters(pilot),
    )
    await env.uow.polls.add(poll)
    await env.uow.flush()
    closing.move_stage(env.uow, pilot, Stage.REVIEW, at=now, by_id=env.person.id)
    pilot.last_activity_at = now
    view = await closing.view_of(env.uow, env.workspace, pilot, poll)
    await enqueue(
        env.uow,
        workspace=env.workspace,
        key=closing.card_key(poll),
        to=closing.steering_channel(env.workspace, pilot),
        message=messaging.poll_card(view),
        now=now,
    )
    await _audit(
        env,
        "poll.open",
        f"poll:{pilot.key}#{poll.id}",
        f"secret={poll.secret}; closes={closes.isoformat()}; voters={len(poll.voters)}",
    )
    return poll


async def _open_poll_of(env: Env, key: str) -> tuple[Pilot, Poll]:
    pilot = await get_pilot(env, key)
    assert pilot.id is not None
    poll = await env.uow.polls.get_open(pilot.id, for_update=True)
    if poll is None:
        raise NotFound(
            _("{key} has no open poll; the owner opens one with `poll {key}`.").format(
                key=pilot.key
            )
        )
    return pilot, poll


async def cast_vote(*, env: Env, cmd: CastVote) -> replies.VoteOutcome:
    """Record or change the caller's vote; the last eligible vote closes the poll."""
    pilot, poll = await _open_poll_of(env, cmd.key)
    assert env.person.id is not None
    now = env.clock.now()
    if poll.closes_at <= now:
        raise Conflict(
            _("Voting on {key} has ended; the result is on its way.").format(key=pilot.key)
        )
    if poll.voter(env.person.id) is None:
        view = await closing.view_of(env.uow, env.workspace, pilot, poll)
        names = ", ".join("@" + view.name(v.person_id) for v in poll.voters)
        raise Forbidden(
            _("Only the eligible voters of this poll may vote: {names}.").format(names=names)
        )
    choice = Choice(cmd.choice)
    text = (cmd.text or "").strip() or None
    if choice == Choice.CONDITIONAL and text is None:
        raise Invalid(_("Go with conditions needs the condition."), usage=VOTE_USAGE)
    if choice == Choice.NO_GO and text is None:
        raise Invalid(_("No-go needs a reason."), usage=VOTE_USAGE)
    if choice in (Choice.GO, Choice.ABSTAIN):
        text = None
    changed = poll.vote_of(env.person.id) is not None
    await env.uow.polls.record_vote(
        poll, Vote(person_id=env.person.id, choice=choice, text=text, cast_at=now)
    )
    await _audit(
        env,
        "poll.vote",
        f"poll:{pilot.key}#{poll.id}",
        # A secret ballot's choice is never written anywhere it could be read back.
        "" if poll.secret else f"choice={choice.value}",
    )
    pilot.last_activity_at = now
    closed = None
    if poll.all_voted():
        closed = await closing.close_poll(
            env.uow,
            workspace=env.workspace,
            pilot=pilot,
            poll=poll,
            now=now,
            by=None,
            reason="all-voted",
        )
    view = await closing.view_of(env.uow, env.workspace, pilot, poll)
    return replies.VoteOutcome(view=view, choice=choice, changed=changed, closed=closed)


async def refresh_card(*, env: Env, outcome: replies.VoteOutcome) -> None:
    """Queue the card's new state after a vote. Called last in the vote's transaction: the
    upsert locks the card's one pending update row until commit, and delivery skips locked
    rows, so holding it briefly is what lets a burst of votes still update the card."""
    if outcome.closed is not None:
        return  # closing already queued the card's final state
    await enqueue_update(
        env.uow,
        workspace=env.workspace,
        of_key=closing.card_key(outcome.view.poll),
        message=messaging.poll_card(outcome.view),
        now=env.clock.now(),
    )


async def close_now(*, env: Env, cmd: PollClose) -> closing.Closed:
    """The owner closes the poll before its deadline."""
    pilot, poll = await _open_poll_of(env, cmd.key)
    await require_owner(env, pilot, _("close the poll"))
    return await closing.close_poll(
        env.uow,
        workspace=env.workspace,
        pilot=pilot,
        poll=poll,
        now=env.clock.now(),
        by=env.person,
        reason="owner",
    )


async def cancel(*, env: Env, cmd: PollCancel) -> Poll:
    """The owner cancels the poll: no decision, the pilot returns to its earlier stage."""
    pilot, poll = await _open_poll_of(env, cmd.key)
    await require_owner(env, pilot, _("cancel the poll"))
    now = env.clock.now()
    poll.status, poll.open_pilot_id = PollStatus.CANCELLED, None
    poll.closed_at, poll.closed_by_id, poll.close_reason = now, env.person.id, "cancelled"
    if poll.stage_before and pilot.stage == Stage.REVIEW:
        closing.move_stage(env.uow, pilot, Stage(poll.stage_before), at=now, by_id=env.person.id)
    view = await closing.view_of(env.uow, env.workspace, pilot, poll)
    card = messaging.poll_card(view)
    poll.seal()
    await enqueue_update(
        env.uow, workspace=env.workspace, of_key=closing.card_key(poll), message=card, now=now
    )
    await _audit(env, "poll.cancel", f"poll:{pilot.key}#{poll.id}")
    pilot.last_activity_at = now
    return poll
