"""The digest's KPI chart: drawn headless as a PNG where a renderer is wired, skipped
(and logged) when drawing fails, never stored with the digest."""

from __future__ import annotations

import logging
import struct

import pytest
from digest_support import at, build_portfolio, lines, utc
from memory import MemoryStore
from pilot_support import caller
from test_digest_content import outbox

from adapters.charts import render_kpi_chart
from bot import commands as c
from bot.clock import MovableClock
from bot.digests.models import ChartBar, KpiChart
from bot.digests.scheduled import post_due_digests
from bot.messages import Image, Message
from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def images(message: Message) -> list[Image]:
    return [block for block in message.blocks if isinstance(block, Image)]


def test_renderer_draws_one_bar_per_kpi_as_a_png() -> None:
    one = KpiChart(title="t", bars=(ChartBar("Churn", "Hours", 50.0, "amber"),))
    three = KpiChart(
        title="t",
        bars=(
            ChartBar("Churn", "Hours", 50.0, "amber"),
            ChartBar("Churn", "Cost", 400.0, "green"),  # clipped, still drawn
            ChartBar("Triage", "Tickets", -20.0, "red"),
        ),
    )

    small, tall = png_size(render_kpi_chart(one)), png_size(render_kpi_chart(three))

    assert small[0] == tall[0] == 800
    assert tall[1] > small[1]  # the figure grows with the number of KPIs
    with pytest.raises(ValueError):
        render_kpi_chart(KpiChart(title="t", bars=()))


async def test_preview_attaches_the_chart_when_a_renderer_is_wired(
    database: MemoryStore, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=database.uow, clock=clock, charts=render_kpi_chart)
    await build_portfolio(golive, clock)
    await at(clock, utc(15, 10))

    reply = await golive.execute(caller("amal"), c.DigestPreview())

    [image] = images(reply)
    assert image.alt == "KPI progress to target" and png_size(image.png)[0] == 800
    assert lines(reply)[-2:] == [
        "[image: KPI progress to target]",
        "Stalled means no activity for 14 days; forecasts follow the pace of the last 28 days.",
    ]


async def test_a_failing_renderer_leaves_the_digest_without_chart_and_logs(
    database: MemoryStore, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    drawn: list[KpiChart] = []

    def broken(chart: KpiChart) -> bytes:
        drawn.append(chart)
        raise RuntimeError("no fonts")

    golive = Golive(uow_factory=database.uow, clock=clock, charts=broken)
    await build_portfolio(golive, clock)
    await at(clock, utc(14, 9))
    caplog.set_level(logging.WARNING, logger="bot.digests.service")

    posted = await post_due_digests(uow_factory=database.uow, clock=clock, charts=broken)
    reply = await golive.execute(caller("amal"), c.DigestPreview())

    assert posted == 2
    assert not images(reply) and lines(reply)[4] == "What changed since last week"
    # Only #ai-steering has a KPI with a value, so only its digests try to draw.
    assert [chart.bars for chart in drawn] == [
        (ChartBar("Churn model", "Hours saved", 50.0, "amber"),)
    ] * 2
    failures = [r for r in caplog.records if "digest chart failed" in r.getMessage()]
    assert len(failures) == 2


async def test_scheduled_digest_posts_the_chart_but_stores_the_digest_without_it(
    database: MemoryStore, clock: MovableClock
) -> None:
    golive = Golive(uow_factory=database.uow, clock=clock)
    await build_portfolio(golive, clock)
    await at(clock, utc(14, 9))

    assert await post_due_digests(uow_factory=database.uow, clock=clock, charts=render_kpi_chart)

    rows = {key: message for key, _, message in await outbox(database)}
    assert len(images(rows["digest:C-steer:2026-W51"])) == 1
    assert images(rows["digest:C-fin:2026-W51"]) == []  # no KPI values: nothing to draw
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", "T-acme")
        assert workspace is not None and workspace.id is not None
        last = await uow.digests.last(workspace.id, "C-steer")
    assert last is not None and last.week == "2026-W51"
    kept = Message.model_validate_json(last.message_json)
    assert images(kept) == [] and kept.blocks[0] == rows["digest:C-steer:2026-W51"].blocks[0]


def test_a_large_portfolio_charts_the_thirty_kpis_furthest_from_target() -> None:
    from types import SimpleNamespace

    from bot.digests.messaging import CHART_MAX_BARS, chart_data

    def pilot(n: int) -> SimpleNamespace:
        kpi = SimpleNamespace(name="Handling time")
        line = SimpleNamespace(kpi=kpi, percent=float(n % 120), status=None)
        return SimpleNamespace(pilot=SimpleNamespace(name=f"Pilot {n}"), kpis=[line])

    report = SimpleNamespace(
        channel_id="C1",
        channel_name="steer",
        week="2026-W50",
        pilots=[pilot(n) for n in range(200)],
    )
    chart = chart_data(report)  # type: ignore[arg-type]
    assert chart is not None
    assert len(chart.bars) == CHART_MAX_BARS == 30
    assert chart.title.endswith("(30 furthest from target of 200)")
    percents = [bar.percent for bar in chart.bars]
    assert max(percents) < min(
        n % 120 for n in range(200) if f"Pilot {n}" not in {bar.pilot for bar in chart.bars}
    )  # nothing left out is further from target than what is shown
    names = [bar.pilot for bar in chart.bars]
    assert names == sorted(names, key=lambda name: int(name.split()[1]))  # digest order kept
