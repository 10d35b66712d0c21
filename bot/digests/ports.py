"""Ports of the digests feature: its repository and the chart renderer."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Protocol

from bot.digests.models import ChannelSlot, Digest, DigestSchedule, KpiChart, Portfolio
from bot.pilots.models import Workspace

ChartRenderer = Callable[[KpiChart], bytes]
"""Draw a chart as PNG bytes (injected by the composition root; may raise)."""


class DigestRepository(Protocol):
    async def slots(self) -> list[ChannelSlot]:
        """Every steering channel, in every workspace, with at least one pilot that is not
        stopped, with its schedule (the default where it has none)."""
        ...

    async def posted(self, weeks: Collection[str]) -> set[tuple[int, str, str]]:
        """``(workspace id, channel id, week)`` of the stored digests of these weeks."""
        ...

    async def owner_ids(self, workspace_id: int, channel_id: str) -> set[int]:
        """Business owners of the pilots reporting to the channel (any stage)."""
        ...

    async def get_schedule(self, workspace_id: int, channel_id: str) -> DigestSchedule | None: ...

    async def add_schedule(self, schedule: DigestSchedule) -> None: ...

    async def last(self, workspace_id: int, channel_id: str) -> Digest | None:
        """The channel's most recent stored digest."""
        ...

    async def list(self, workspace_id: int, channel_id: str) -> list[Digest]:
        """The channel's stored digests, oldest first."""
        ...

    async def add(self, digest: Digest) -> None:
        """Store a digest; a second one for the same channel and week raises
        :class:`bot.errors.Conflict` at the latest on flush or commit."""
        ...

    async def portfolio(
        self, workspace: Workspace, channel_id: str, *, since: datetime
    ) -> Portfolio:
        """The channel's pilots with committee, checklist (with events), KPIs (with
        measurements), the people they name, stage changes, the open polls and those
        opened or closed since ``since``, and decisions since ``since`` — in a fixed
        number of queries, however many pilots and items there are."""
        ...
