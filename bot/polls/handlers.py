"""Handlers of this feature's commands, listed in :mod:`bot.handlers`."""

from __future__ import annotations

from bot.commands import CastVote, Decisions, Export, PollCancel, PollClose, PollOpen
from bot.env import Env
from bot.i18n import _
from bot.messages import Block, Context, Message, Paragraph, bold, spans
from bot.pilots.models import Pilot
from bot.pilots.service import get_pilot
from bot.polls import closing, messaging, reach, replies, service
from bot.polls.export import export


async def open_poll(cmd: PollOpen, env: Env) -> Message:
    poll = await service.open_poll(env=env, cmd=cmd)
    pilot = await get_pilot(env, cmd.key)
    view = await closing.view_of(env.uow, env.workspace, pilot, poll)
    reply = replies.opened(view)
    warning = await reach.check_voters(env=env, view=view)
    return reply.model_copy(update={"blocks": [*reply.blocks, *warning]}) if warning else reply


async def close_poll(cmd: PollClose, env: Env) -> Message:
    closed = await service.close_now(env=env, cmd=cmd)
    return replies.closed(closed, await get_pilot(env, cmd.key))


async def cancel_poll(cmd: PollCancel, env: Env) -> Message:
    poll = await service.cancel(env=env, cmd=cmd)
    return replies.cancelled(poll, await get_pilot(env, cmd.key))


async def vote(cmd: CastVote, env: Env) -> Message:
    outcome = await service.cast_vote(env=env, cmd=cmd)
    reply = replies.voted(outcome)
    await service.refresh_card(env=env, outcome=outcome)
    return reply


async def decisions(cmd: Decisions, env: Env) -> Message:
    pilot = await get_pilot(env, cmd.key)
    assert pilot.id is not None
    log = await env.uow.polls.decisions_for_pilot(pilot.id)
    return replies.decision_log(pilot, log, env.timezone())


async def status_section(pilot: Pilot, env: Env) -> list[Block]:
    """The open poll in `status <key>`: question, deadline and turnout, never choices."""
    assert pilot.id is not None
    poll = await env.uow.polls.get_open(pilot.id)
    if poll is None:
        return []
    view = await closing.view_of(env.uow, env.workspace, pilot, poll)
    line = _("Open go/no-go poll: {question} (closes {when})").format(
        question=poll.question, when=view.when(poll.closes_at)
    )
    blocks: list[Block] = [
        Paragraph(spans=spans(bold(line))),
        Paragraph(spans=messaging.turnout_spans(view)),
    ]
    if poll.secret:
        blocks.append(Context(spans=spans(_("Secret ballot."))))
    return blocks


async def export_pilot(cmd: Export, env: Env) -> Message:
    return await export(env=env, cmd=cmd)
