"""Handlers of ``digest preview|now|schedule``, listed in :mod:`bot.handlers`."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import commands as cmd
from bot.actor import Actor
from bot.clock import Clock
from bot.delivery.service import enqueue
from bot.digests import messaging
from bot.digests.models import DigestSchedule, next_slot
from bot.digests.ports import ChartRenderer
from bot.digests.service import build_digest, conversation
from bot.errors import Forbidden, Invalid, NotFound
from bot.i18n import _
from bot.messages import Message, say
from bot.pilots.access import can_read_channel, is_named
from bot.pilots.messaging import conversation_label
from bot.ports import UnitOfWork


def _channel(ref: cmd.ChannelRef | None, actor: Actor) -> tuple[str, str]:
    """The channel the command names, else the one it was typed in: (id, label)."""
    if ref is not None:
        return ref.id, conversation_label(ref.id, ref.name)
    typed_in = actor.caller.channel_id
    if typed_in is None:
        raise Invalid(_("Name a channel, for example: digest #steering preview."))
    return typed_in, conversation_label(typed_in, actor.caller.channel_name)


async def _require_owner(uow: UnitOfWork, actor: Actor, channel_id: str, label: str) -> None:
    """Only the owner of a pilot in the channel, or an admin, may post or schedule; who
    cannot read the channel is told no pilot reports to it, as if none did."""
    owners = await uow.digests.owner_ids(actor.workspace_id, channel_id)
    if not owners:
        raise NotFound(_("No pilot reports to {channel}.").format(channel=label))
    if not actor.is_admin and actor.person_id not in owners:
        if not can_read_channel(actor, channel_id):
            raise NotFound(_("No pilot reports to {channel}.").format(channel=label))
        raise Forbidden(
            _("Only the owner of a pilot in {channel} or an admin may do that.").format(
                channel=label
            )
        )


async def preview(
    command: cmd.DigestPreview,
    *,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    charts: ChartRenderer | None,
) -> Message:
    """Render the channel's digest for the caller only; nothing is posted or stored. Who
    can read neither the channel nor every pilot in it is told no pilot reports to it, as
    if none did."""
    channel_id, _label = _channel(command.channel, actor)
    reads = can_read_channel(actor, channel_id)
    built = await build_digest(
        uow=uow, workspace=actor.workspace, channel_id=channel_id, now=clock.now(), charts=charts
    )
    if not reads and not all(is_named(actor, report.pilot) for report in built.report.pilots):
        # The words build_digest uses for a channel with no pilot.
        raise NotFound(_("No pilot reports to {channel}.").format(channel=channel_id))
    return built.message.model_copy(update={"private": True})


async def post_now(
    command: cmd.DigestNow,
    *,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    charts: ChartRenderer | None,
) -> Message:
    """Post the channel's digest at once, through the outbox."""
    channel_id, label = _channel(command.channel, actor)
    await _require_owner(uow, actor, channel_id, label)
    now = clock.now()
    built = await build_digest(
        uow=uow, workspace=actor.workspace, channel_id=channel_id, now=now, charts=charts
    )
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    queued = await enqueue(
        uow,
        workspace=actor.workspace,
        key=f"digest:{channel_id}:now:{stamp}",
        to=conversation(actor.workspace, channel_id),
        message=built.message,
        now=now,
    )
    if not queued:
        return say(_("A digest was just posted to {channel}.").format(channel=label))
    return say(_("Digest posted to {channel}.").format(channel=label))


async def schedule(
    command: cmd.DigestSchedule, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    """Set the channel's weekly digest day, time and zone (the caller's zone by default)."""
    channel_id, label = _channel(command.channel, actor)
    await _require_owner(uow, actor, channel_id, label)
    if not 0 <= command.weekday <= 6:
        raise Invalid(_("The weekday must be Monday to Sunday."))
    timezone = command.timezone or actor.zone().key
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(_("Unknown time zone: {tz}.").format(tz=timezone)) from None
    row = await uow.digests.get_schedule(actor.workspace_id, channel_id)
    if row is None:
        row = DigestSchedule(workspace_id=actor.workspace_id, channel_id=channel_id)
        await uow.digests.add_schedule(row)
    row.weekday = command.weekday
    row.at = command.at.replace(second=0, microsecond=0, tzinfo=None)
    row.timezone = timezone
    row.channel_name = command.channel.name if command.channel else actor.caller.channel_name
    row.updated_by_id = actor.person_id
    row.updated_at = clock.now()
    upcoming = next_slot(clock.now(), weekday=row.weekday, at=row.at, timezone=timezone)
    return messaging.schedule_set(
        channel=label,
        weekday=row.weekday,
        at=f"{row.at:%H:%M}",
        timezone=timezone,
        next_at=upcoming,
    )
