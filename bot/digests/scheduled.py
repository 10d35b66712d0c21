"""The digests' scheduled duty: post each channel's weekly digest once, in its week."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from bot.clock import Clock
from bot.delivery.service import enqueue
from bot.digests.models import ChannelSlot, Digest
from bot.digests.ports import ChartRenderer
from bot.digests.service import build_digest, conversation
from bot.errors import Conflict
from bot.messages import Image, Message
from bot.pilots.messaging import conversation_label
from bot.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


def without_images(message: Message) -> Message:
    """The message as stored: the chart can be redrawn, and PNGs would bloat the table."""
    blocks = [block for block in message.blocks if not isinstance(block, Image)]
    return message.model_copy(update={"blocks": blocks})


async def post_scheduled(
    *, uow: UnitOfWork, slot: ChannelSlot, now: datetime, charts: ChartRenderer | None
) -> bool:
    """Build, store and enqueue one channel's digest of this week (one transaction)."""
    workspace = await uow.workspaces.get(slot.workspace_id)
    if workspace is None:
        return False
    week = slot.week(now)
    built = await build_digest(
        uow=uow,
        workspace=workspace,
        channel_id=slot.channel_id,
        now=now,
        charts=charts,
        week=week,
    )
    await uow.digests.add(
        Digest(
            workspace_id=slot.workspace_id,
            channel_id=slot.channel_id,
            week=week,
            created_at=now,
            message_json=without_images(built.message).model_dump_json(),
            kpi_values_json=json.dumps(built.report.kpi_values(), sort_keys=True),
        )
    )
    # The unique (workspace, channel, week) row is the lock: a replica or an earlier
    # sweep that stored it first makes this flush raise Conflict, and nothing is sent.
    await uow.flush()
    await enqueue(
        uow,
        workspace=workspace,
        key=f"digest:{slot.channel_id}:{week}",
        to=conversation(workspace, slot.channel_id),
        message=built.message,
        now=now,
    )
    await uow.commit()
    return True


async def post_due_digests(
    *, uow_factory: UnitOfWorkFactory, clock: Clock, charts: ChartRenderer | None = None
) -> int:
    """Post every channel's digest whose local time this week has passed and that has not
    been posted this week; the number posted. A week missed entirely is not made up."""
    now = clock.now()
    async with uow_factory() as uow:
        slots = await uow.digests.slots()
        due = [slot for slot in slots if slot.due(now)]
        posted = await uow.digests.posted({slot.week(now) for slot in due}) if due else set()
    count = 0
    for slot in due:
        if (slot.workspace_id, slot.channel_id, slot.week(now)) in posted:
            continue
        label = conversation_label(slot.channel_id, slot.channel_name)
        try:
            async with uow_factory() as uow:
                posted_now = await post_scheduled(uow=uow, slot=slot, now=now, charts=charts)
        except Conflict:
            log.info("digest for %s already posted this week", label)
            continue
        except Exception:
            log.exception("digest for %s failed; retrying next sweep", label)
            continue
        count += int(posted_now)
    return count
