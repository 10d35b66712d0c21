"""Helpers for digest tests: a portfolio of pilots built through the Golive facade, and a
digest flattened to one line per thing it says."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pilot_support import run

from adapters.console.render import render
from bot import commands as c
from bot.clock import MovableClock
from bot.digests.scheduled import post_due_digests
from bot.messages import Message
from bot.service import Golive

STEER = "C-steer"  # #ai-steering, where pilot_support's callers type


def lines(message: Message) -> list[str]:
    """The digest as the console shows it, line by line."""
    return render(message).splitlines()


async def at(clock: MovableClock, when: datetime) -> None:
    clock.set(when)


def utc(day: int, hour: int = 9, month: int = 12, year: int = 2026, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def build_portfolio(golive: Golive, clock: MovableClock) -> None:
    """Three pilots reporting to #ai-steering and one elsewhere, over two weeks of
    December 2026 (the clock starts on Tuesday 1 December, 09:00 UTC):

    - churn (amal): moves fast; a KPI; an overdue item for amal and one for sara; a slip
      and a stage change this week; an open poll sara has voted in, amal has not.
    - triage (rania): closed one item in its first days, then nothing but a poll that
      ends in a decision this week; at that pace the checklist ends after its target.
    - invoice (omar): created and then left alone.
    - ledger (omar) in #finance: must never show in #ai-steering's digest.
    """
    await at(clock, utc(1))
    await run(golive, "amal", c.NewPilot(key="churn", name="Churn model", golive=date(2027, 1, 15)))
    await run(golive, "amal", c.CommitteeAdd(key="churn", person="sara", role="security"))
    await run(
        golive, "rania", c.NewPilot(key="triage", name="Ticket triage", golive=date(2027, 1, 31))
    )
    await run(golive, "omar", c.NewPilot(key="invoice", name="Invoice matching"))
    await run(golive, "omar", c.NewPilot(key="ledger", name="Ledger bot"), channel="C-fin")
    await at(clock, utc(2))
    await run(golive, "amal", c.ChecklistDone(key="churn", number=1, evidence="https://kpi"))
    await run(golive, "amal", c.ChecklistDue(key="churn", number=5, due=date(2026, 12, 10)))
    await run(golive, "amal", c.ChecklistAssign(key="churn", number=6, person="sara"))
    await run(golive, "amal", c.ChecklistDue(key="churn", number=6, due=date(2026, 12, 14)))
    await run(
        golive,
        "amal",
        c.KpiAdd(key="churn", name="Hours saved", kind="time", unit="h", baseline=10, target=30),
    )
    await at(clock, utc(3))
    await run(golive, "rania", c.ChecklistDone(key="triage", number=1, evidence="https://t"))
    await run(golive, "amal", c.KpiRecord(key="churn", name="Hours saved", value=14))
    await at(clock, utc(4))
    await run(golive, "amal", c.ChecklistDone(key="churn", number=2, evidence="pen test"))
    await at(clock, utc(7))  # Monday 09:00: the first scheduled digests
    assert await post_due_digests(uow_factory=golive.uow_factory, clock=clock) == 2
    await at(clock, utc(8))
    await run(golive, "amal", c.SetStage(key="churn", stage="pilot"))
    await run(golive, "amal", c.KpiRecord(key="churn", name="Hours saved", value=20))
    await run(golive, "amal", c.ChecklistDone(key="churn", number=3, evidence="grafana"))
    await run(golive, "amal", c.ChecklistDue(key="churn", number=4, due=date(2027, 1, 8)))
    await at(clock, utc(9))
    await run(golive, "rania", c.PollOpen(key="triage", question="Ship triage?"))
    await run(golive, "rania", c.CastVote(key="triage", choice="go"))
    await at(clock, utc(10))
    await run(golive, "amal", c.PollOpen(key="churn", closes=utc(18, 17)))
    await run(golive, "sara", c.CastVote(key="churn", choice="go"))
