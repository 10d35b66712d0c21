"""Building, storing and posting digests; the scheduler's entry point."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.delivery.models import Conversation
from bot.digests.messaging import chart_data, digest_message
from bot.digests.models import iso_week
from bot.digests.ports import ChartRenderer
from bot.digests.report import DigestReport, assess
from bot.errors import NotFound
from bot.i18n import _
from bot.messages import Message
from bot.pilots.models import Workspace
from bot.ports import UnitOfWork

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(days=7)  # "this week" for a channel's first digest


@dataclass
class Built:
    message: Message
    report: DigestReport
    timezone: str


async def channel_timezone(*, uow: UnitOfWork, workspace: Workspace, channel_id: str) -> str:
    """The zone a channel's digest is scheduled and written in."""
    schedule = await uow.digests.get_schedule(workspace.stored_id, channel_id)
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
    timezone = await channel_timezone(uow=uow, workspace=workspace, channel_id=channel_id)
    previous = await uow.digests.last(workspace.stored_id, channel_id)
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
