"""The digest's KPI chart as a PNG, drawn headless with matplotlib's Agg canvas.

The core hands over neutral :class:`bot.digests.models.KpiChart` data; the composition root
injects :func:`render_kpi_chart` as the core's ``ChartRenderer``. Figures are built with
the object API (no pyplot), so no global state is shared between concurrent renders.
"""

from __future__ import annotations

import io

from bot.digests.models import KpiChart

COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828"}
NO_DATA = "#9e9e9e"
# Bars far past the target or far behind the baseline would squash the rest.
LOWEST, HIGHEST = -50.0, 150.0


def render_kpi_chart(chart: KpiChart) -> bytes:
    """One horizontal bar per KPI: percent of the way to target, coloured by status."""
    if not chart.bars:
        raise ValueError("a KPI chart needs at least one bar")
    # Imported on first use: matplotlib is about 40 MB of a serving process that draws a
    # chart once a week per channel.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    values = [min(HIGHEST, max(LOWEST, bar.percent)) for bar in chart.bars]
    labels = [f"{bar.pilot} · {bar.kpi}" for bar in chart.bars]
    figure = Figure(figsize=(8, 1.4 + 0.45 * len(values)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(values)))
    axes.barh(
        positions,
        values,
        color=[COLOURS.get(bar.status or "", NO_DATA) for bar in chart.bars],
    )
    axes.set_yticks(positions, labels=labels)
    axes.invert_yaxis()  # first pilot on top, as in the digest
    axes.axvline(100, linestyle="--", linewidth=1, color="#424242", label=chart.target_label)
    axes.axvline(0, linewidth=0.8, color="#424242")
    axes.set_xlim(min(0.0, *values) - 5, max(110.0, *values) + 5)
    for position, value in zip(positions, values, strict=True):
        axes.text(max(value, 0.0), position, f" {value:.0f}%", va="center", fontsize=8)
    axes.legend(loc="lower right", fontsize=8)
    axes.set_xlabel(chart.axis_label)
    axes.set_title(chart.title, fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
