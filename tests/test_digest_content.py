"""A steering committee's weekly digest, built from pilots in different states through
the Golive facade, read line by line as the console shows it."""

from __future__ import annotations

import json

import pytest
from digest_support import STEER, at, build_portfolio, lines, utc
from memory import MemoryStore
from pilot_support import run

from bot import commands as c
from bot.clock import MovableClock
from bot.digests.scheduled import post_due_digests
from bot.messages import Message
from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


OVERDUE_5 = "Overdue: #5 Operations team trained and runbook available, @amal, 5 days late"
OVERDUE_6 = "Overdue: #6 Performance benchmarks established and tracked, @sara, 1 day late"
CHURN_POLL = (
    "Open poll “Should Churn model go to production?”, closes Fri 2026-12-18 17:00; "
    "waiting for @amal"
)
FOOTER = "Stalled means no activity for 14 days; forecasts follow the pace of the last 28 days."


async def stored(database: MemoryStore, channel: str = STEER) -> list[tuple[str, str, dict]]:
    """(week, created_at, KPI values by KPI name) of the channel's stored digests."""
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", "T-acme")
        assert workspace is not None and workspace.id is not None
        digests = await uow.digests.list(workspace.id, channel)
        portfolio = await uow.digests.portfolio(workspace, channel, since=utc(1))
        names = {k.id: k.name for p in portfolio.pilots for k in p.kpis}
        return [
            (
                d.week,
                d.created_at.isoformat(),
                {names[int(k)]: v for k, v in json.loads(d.kpi_values_json).items()},
            )
            for d in digests
        ]


async def outbox(database: MemoryStore) -> list[tuple[str, str | None, Message]]:
    async with database.uow() as uow:
        rows = await uow.outbox.list(limit=1000)
        return [(r.key, r.channel_id, Message.model_validate_json(r.message_json)) for r in rows]


async def test_preview_shows_headline_changes_and_every_pilot(
    golive: Golive, clock: MovableClock, database: MemoryStore
) -> None:
    await build_portfolio(golive, clock)
    await at(clock, utc(15, 10))  # Tuesday of the third week: the Monday digest is not out

    reply = await run(golive, "omar", c.DigestPreview())

    assert reply.private
    assert lines(reply) == [
        "(only you) Weekly digest for #ai-steering, week 2026-W51",
        "=" * len("Weekly digest for #ai-steering, week 2026-W51"),
        "3 pilots: 1 poc, 1 review, 1 approved",
        "0 on track, 2 at risk, 1 stalled",
        "What changed since last week",
        "Churn model moved from poc to pilot.",
        "Ticket triage moved from poc to review.",
        "Ticket triage moved from review to approved.",
        "Churn model moved from pilot to review.",
        "Churn model: #3 Monitoring, alerting and escalation paths in place: done.",
        "Ticket triage: decision GO WITH CONDITIONS.",
        "Churn model: Hours saved 14 → 20 h.",
        "---",
        "Churn model (churn): at risk: 2 overdue",
        "Stage: review for 5 days",
        "Go-live: Fri 2027-01-15, in 31 days",
        "Forecast: complete by Tue 2026-12-29",
        "Checklist: [#####-----] 3/6",
        OVERDUE_5,
        OVERDUE_6,
        "Slipped: #4 Rollback procedure tested and documented, 2026-12-26 → 2027-01-08",
        "KPI              Baseline → current → target  Of the way  Since last digest  Status",
        "---------------  ---------------------------  ----------  -----------------  ------",
        "Hours saved (h)  10 → 20 → 30                 50%         +6                 amber",
        CHURN_POLL,
        "---",
        "Invoice matching (invoice): stalled: no activity for 14 days",
        "Stage: poc for 14 days",
        "Go-live: not set",
        "Forecast: no items closed in the last 28 days",
        "Checklist: [----------] 0/6",
        "---",
        "Ticket triage (triage): at risk: checklist forecast after go-live",
        "Stage: approved for 6 days",
        "Go-live: Sun 2027-01-31, in 47 days",
        "Forecast: complete by Tue 2027-02-23, after the go-live target",
        "Checklist: [##--------] 1/6",
        "Decision on Wed 2026-12-09: GO WITH CONDITIONS",
        FOOTER,
    ]
    assert reply.text == (
        "Weekly digest for #ai-steering, week 2026-W51: 0 on track, 2 at risk, 1 stalled"
    )
    # A preview posts nothing and stores nothing.
    keys = [key for key, _, _ in await outbox(database) if key.startswith("digest:")]
    assert sorted(keys) == ["digest:C-fin:2026-W50", "digest:C-steer:2026-W50"]
    assert [week for week, _, _ in await stored(database)] == ["2026-W50"]


async def test_first_scheduled_digest_looks_back_a_week_and_keeps_its_kpi_values(
    golive: Golive, clock: MovableClock, database: MemoryStore
) -> None:
    await build_portfolio(golive, clock)  # posts Monday 7 December's digests on the way

    assert await stored(database) == [
        ("2026-W50", "2026-12-07T09:00:00+00:00", {"Hours saved": 14.0})
    ]
    posted = {key: (channel, message) for key, channel, message in await outbox(database)}
    channel, message = posted["digest:C-steer:2026-W50"]
    assert channel == STEER and not message.private
    assert lines(message) == [
        "Weekly digest for #ai-steering, week 2026-W50",
        "=" * len("Weekly digest for #ai-steering, week 2026-W50"),
        "3 pilots: 3 poc",
        "3 on track, 0 at risk, 0 stalled",
        "What changed since last week",
        "Churn model entered poc.",
        "Ticket triage entered poc.",
        "Invoice matching entered poc.",
        "Churn model: #1 Business KPIs defined and measurable: done.",
        "Ticket triage: #1 Business KPIs defined and measurable: done.",
        "Churn model: #2 Security and compliance review completed: done.",
        "---",
        "Churn model (churn): on track",
        "Stage: poc for 6 days",
        "Go-live: Fri 2027-01-15, in 39 days",
        # 2 items closed in the 6 days since creation: 4 open ones take 12 more days.
        "Forecast: complete by Sat 2026-12-19",
        "Checklist: [###-------] 2/6",
        "Slipped: #5 Operations team trained and runbook available, 2027-01-02 → 2026-12-10",
        "Slipped: #6 Performance benchmarks established and tracked, 2027-01-08 → 2026-12-14",
        "KPI              Baseline → current → target  Of the way  Since last digest  Status",
        "---------------  ---------------------------  ----------  -----------------  ------",
        "Hours saved (h)  10 → 14 → 30                 20%         –                  red",
        "---",
        "Invoice matching (invoice): on track",
        "Stage: poc for 6 days",
        "Go-live: not set",
        "Forecast: no items closed in the last 28 days",
        "Checklist: [----------] 0/6",
        "---",
        "Ticket triage (triage): on track",
        "Stage: poc for 6 days",
        "Go-live: Sun 2027-01-31, in 55 days",
        "Forecast: complete by Wed 2027-01-06",
        "Checklist: [##--------] 1/6",
        FOOTER,
    ]
    # Another channel's pilots never leak in, and it gets its own digest.
    channel, finance = posted["digest:C-fin:2026-W50"]
    assert channel == "C-fin"
    assert lines(finance)[2:6] == [
        "1 pilot: 1 poc",
        "1 on track, 0 at risk, 0 stalled",
        "What changed since last week",
        "Ledger bot entered poc.",
    ]


async def test_next_scheduled_digest_compares_with_the_stored_one(
    golive: Golive, clock: MovableClock, database: MemoryStore
) -> None:
    await build_portfolio(golive, clock)
    await at(clock, utc(14, 9))

    assert await post_due_digests(uow_factory=golive.uow_factory, clock=clock) == 2
    await at(clock, utc(15, 10))
    await run(golive, "amal", c.KpiRecord(key="churn", name="Hours saved", value=27))
    preview = lines(await run(golive, "amal", c.DigestPreview()))

    assert [w for w, _, _ in await stored(database)] == ["2026-W50", "2026-W51"]
    assert (await stored(database))[1][2] == {"Hours saved": 20.0}
    assert "Churn model: Hours saved 20 → 27 h." in preview
    assert "Hours saved (h)  10 → 27 → 30                 85%         +7                 amber" in (
        preview
    )
    # Changes already reported on Monday are not news on Tuesday.
    assert "Churn model moved from pilot to review." not in preview
    assert "Invoice matching (invoice): stalled: no activity for 14 days" in preview


async def test_digest_now_posts_through_the_outbox_for_owners_and_admins(
    golive: Golive, clock: MovableClock, database: MemoryStore
) -> None:
    await build_portfolio(golive, clock)
    await at(clock, utc(15, 10))

    refused = await run(golive, "sara", c.DigestNow())
    reply = await run(golive, "amal", c.DigestNow())
    again = await run(golive, "amal", c.DigestNow())  # the same second: one post
    await at(clock, utc(15, 11))
    by_admin = await run(golive, "zoe", c.DigestNow(), admin=True)

    assert refused.private and refused.text == (
        "Only the owner of a pilot in #ai-steering or an admin may do that."
    )
    assert reply.private and reply.text == "Digest posted to #ai-steering."
    assert again.text == "A digest was just posted to #ai-steering."
    assert by_admin.text == "Digest posted to #ai-steering."
    rows = {key: (channel, message) for key, channel, message in await outbox(database)}
    assert sorted(k for k in rows if ":now:" in k) == [
        "digest:C-steer:now:20261215T100000",
        "digest:C-steer:now:20261215T110000",
    ]
    channel, posted = rows["digest:C-steer:now:20261215T100000"]
    assert channel == STEER and not posted.private
    assert lines(posted)[13:16] == [
        "Churn model (churn): at risk: 2 overdue",
        "Stage: review for 5 days",
        "Go-live: Fri 2027-01-15, in 31 days",
    ]
    # Posting now is not the week's scheduled digest: nothing more is stored.
    assert [w for w, _, _ in await stored(database)] == ["2026-W50"]


async def test_digest_for_a_channel_without_pilots_or_without_a_channel(
    golive: Golive, clock: MovableClock
) -> None:
    await build_portfolio(golive, clock)

    empty = await run(golive, "amal", c.DigestPreview(), channel="C-random")
    direct = await run(golive, "amal", c.DigestPreview(), channel=None)
    named = await run(
        golive,
        "amal",
        c.DigestPreview(channel=c.ChannelRef(id="C-fin", name="finance")),
        channel=None,
    )

    assert empty.private and empty.text == "No pilot reports to C-random."
    assert (
        direct.private and direct.text == "Name a channel, for example: digest #steering preview."
    )
    assert lines(named)[:3] == [
        "(only you) Weekly digest for #C-fin, week 2026-W50",
        "=" * len("Weekly digest for #C-fin, week 2026-W50"),
        "1 pilot: 1 poc",
    ]
