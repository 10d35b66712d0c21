"""The digest as a neutral message, its chart data, and the schedule replies."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.digests.models import ChartBar, KpiChart
from bot.digests.report import (
    Change,
    DigestReport,
    ItemClosed,
    KpiMove,
    NewDecision,
    StageMove,
)
from bot.digests.rules import PACE_WINDOW_DAYS, Health
from bot.digests.sections import line_paragraph, number, pilot_blocks
from bot.i18n import _, format_date
from bot.messages import (
    Block,
    Context,
    Divider,
    Header,
    Image,
    Message,
    Paragraph,
    Span,
    Text,
    bold,
    spans,
)
from bot.pilots.messaging import conversation_label
from bot.pilots.models import ItemStatus, Stage


def digest_message(report: DigestReport, *, timezone: str, png: bytes | None) -> Message:
    """The whole digest: headline, what changed, one section per pilot, the chart."""
    channel = conversation_label(report.channel_id, report.channel_name)
    title = _("Weekly digest for {channel}, week {week}").format(channel=channel, week=report.week)
    blocks: list[Block] = [Header(text=title), *_headline(report)]
    blocks.append(Paragraph(spans=[bold(_("What changed since last week"))]))
    changes = line_paragraph([_change(change) for change in report.changes])
    blocks.extend(changes or [Paragraph(spans=spans(_("Nothing changed.")))])
    for pilot in report.pilots:
        blocks.append(Divider())
        blocks.extend(pilot_blocks(pilot, report, ZoneInfo(timezone)))
    if png is not None:
        blocks.append(Image(png=png, alt=_("KPI progress to target"), filename="kpis.png"))
    blocks.append(
        Context(
            spans=spans(
                _(
                    "Stalled means no activity for 14 days; "
                    "forecasts follow the pace of the last {n} days."
                ).format(n=PACE_WINDOW_DAYS)
            )
        )
    )
    text = _("{title}: {summary}").format(title=title, summary=_summary(report))
    return Message(text=text, blocks=blocks)


def _summary(report: DigestReport) -> str:
    parts = [
        _("{n} on track").format(n=report.count(Health.ON_TRACK)),
        _("{n} at risk").format(n=report.count(Health.AT_RISK)),
        _("{n} stalled").format(n=report.count(Health.STALLED)),
    ]
    stopped = report.count(Health.STOPPED)
    if stopped:
        parts.append(_("{n} stopped").format(n=stopped))
    return ", ".join(parts)


def _headline(report: DigestReport) -> list[Block]:
    stages = Counter(p.pilot.stage for p in report.pilots)
    by_stage = ", ".join(f"{stages[stage]} {stage.value}" for stage in Stage if stages[stage])
    count = _("{n} pilot") if len(report.pilots) == 1 else _("{n} pilots")
    return [
        Paragraph(
            spans=[
                bold(count.format(n=len(report.pilots))),
                Text(text=": " + by_stage if by_stage else ""),
            ]
        ),
        Paragraph(spans=spans(_summary(report))),
    ]


def _change(change: Change) -> list[Span]:
    name = bold(change.pilot.name)
    if isinstance(change, StageMove):
        if change.old is None:
            return [name, Text(text=_(" entered {stage}.").format(stage=change.new.value))]
        text = _(" moved from {old} to {new}.").format(old=change.old.value, new=change.new.value)
        return [name, Text(text=text)]
    if isinstance(change, ItemClosed):
        item = change.item
        verb = _("done") if item.status == ItemStatus.DONE else _("waived")
        text = _(": #{n} {title}: {verb}.").format(n=item.number, title=item.title, verb=verb)
        return [name, Text(text=text)]
    if isinstance(change, NewDecision):
        return [name, Text(text=_(": decision {outcome}.").format(outcome=change.decision.outcome))]
    assert isinstance(change, KpiMove)
    text = _(": {kpi} {old} → {new} {unit}.").format(
        kpi=change.kpi.name, old=number(change.old), new=number(change.new), unit=change.kpi.unit
    )
    return [name, Text(text=text)]


CHART_MAX_BARS = 30


def chart_data(report: DigestReport) -> KpiChart | None:
    """KPI progress to target per pilot, or None when no KPI has a measurement."""
    bars = tuple(
        ChartBar(
            pilot=r.pilot.name,
            kpi=line.kpi.name,
            percent=line.percent,
            status=line.status.value if line.status else None,
        )
        for r in report.pilots
        for line in r.kpis
        if line.percent is not None
    )
    if not bars:
        return None
    channel = conversation_label(report.channel_id, report.channel_name)
    title = _("KPI progress to target, {channel}, {week}").format(channel=channel, week=report.week)
    if len(bars) > CHART_MAX_BARS:
        # A chart of hundreds of bars is unreadable (and megabytes): show those that
        # most need the committee's attention, in the digest's order.
        furthest = set(sorted(range(len(bars)), key=lambda i: bars[i].percent)[:CHART_MAX_BARS])
        title += " " + _("({shown} furthest from target of {total})").format(
            shown=CHART_MAX_BARS, total=len(bars)
        )
        bars = tuple(bar for i, bar in enumerate(bars) if i in furthest)
    return KpiChart(
        title=title,
        bars=bars,
        target_label=_("target"),
        axis_label=_("% of the way from baseline to target"),
    )


def schedule_set(
    *, channel: str, weekday: int, at: str, timezone: str, next_at: datetime
) -> Message:
    """Confirm a channel's new digest time, with the next send."""
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    text = _("Digests for {channel}: every {day} at {at} ({tz}). Next: {date} {time}.").format(
        channel=channel,
        day=names[weekday],
        at=at,
        tz=timezone,
        date=format_date(next_at.date()),
        time=f"{next_at:%H:%M}",
    )
    return Message(text=text, blocks=[Paragraph(spans=spans(text))])
