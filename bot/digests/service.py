"""Building, storing and posting digests; the scheduler's entry point."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.delivery.models import Conversation
from bot.delivery.service import enqueue
from bot.digests.messaging import chart_data, digest_message
from bot.digests.models import ChannelSlot, Digest, iso_week
from bot.digests.ports import ChartRenderer
from bot.digests.report import DigestReport, assess
from bot.errors import Conflict, NotFound
from bot.i18n import _
from bot.messages import Image, Message
from bot.pilots.messaging import conversation_label
from bot.pilots.models import Workspace
from bot.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(days=7)  # "this week" for a channel's first digest


@dataclass
class Built:
    message: Message
    report: DigestReport
    timezone: str


async def channel_timezone(*, uow: UnitOfWork, workspace: Workspace, channel_id: str) -> str:
    """The zone a channel's digest is scheduled and written in."""
    assert workspace.id is not None
    schedule = await uow.digests.get_schedule(workspace.id, channel_id)
    if schedule is not None and schedule.timezone:
        return schedule.timezone
    return workspace.timezone or "UTC"


async def build_digest(
    *,
    uow: UnitOfWork,
    workspace: Workspace,
    channel_id: str,
    now: datetime,
    charts: ChartRenderer | None,
    week: str | None = None,
) -> Built:
    """Build a channel's digest as of ``now``, compared with its last stored digest."""
    assert workspace.id is not None
    timezone = await channel_timezone(uow=uow, workspace=workspace, channel_id=channel_id)
    previous = await uow.digests.last(workspace.id, channel_id)
    since = previous.created_at if previous is not None else now - FIRST_WINDOW
    portfolio = await uow.digests.portfolio(workspace, channel_id, since=since)
    if not portfolio.pilots:
        raise NotFound(_("No pilot reports to {channel}.").format(channel=channel_id))
    report = assess(
        portfolio,
        now=now,
        timezone=timezone,
        week=week or iso_week(now.astimezone(ZoneInfo(timezone)).date()),
        since=since,
        previous_values=previous.kpi_values() if previous is not None else {},
    )
    png = await render_chart(report, charts)
    return Built(digest_message(report, timezone=timezone, png=png), report, timezone)


async def render_chart(report: DigestReport, charts: ChartRenderer | None) -> bytes | None:
    """The KPI chart as PNG, or None: no renderer, nothing to draw, or the renderer failed
    (a digest without its chart beats no digest)."""
    data = chart_data(report)
    if charts is None or data is None:
        return None
    try:
        # Drawing is CPU work: keep it off the event loop.
        return await asyncio.to_thread(charts, data)
    except Exception:
        log.warning("digest chart failed; posting the digest without it", exc_info=True)
        return None


def conversation(workspace: Workspace, channel_id: str) -> Conversation:
    return Conversation(
        platform=workspace.platform, workspace_id=workspace.external_id, channel_id=channel_id
    )


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
