"""Go/no-go polls as conversations through the Golive facade, on the in-memory store."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from memory import MemoryStore
from pilot_support import load, snapshot, text
from poll_support import (
    buttons,
    card,
    decisions,
    message_of,
    ok,
    outbox,
    pilot_with_committee,
    record,
    said,
    say,
    the_poll,
)

from bot import parsing
from bot.clock import MovableClock
from bot.messages import Progress
from bot.pilots.models import Stage
from bot.polls.models import Choice, PollStatus
from bot.polls.rules import Criteria
from bot.polls.scheduled import close_due_polls
from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


async def test_owner_opens_a_poll_and_the_channel_gets_the_card(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", 'kpi churn add "Churn rate" kind:revenue unit:% baseline:10 target:6 '
             "lower-is-better")  # fmt: skip
    await ok(golive, "amal", 'kpi churn record "Churn rate" 8')

    reply = await say(golive, "amal", 'poll churn closes:+48h "Ship the churn model?"')

    assert reply.private
    assert text(reply).splitlines()[0] == (
        "Poll opened on churn in the steering channel; it closes Thu 2026-12-03 09:00 UTC. "
        "Eligible voters: amal, sam, lee, ola."
    )
    pilot, _ = await load(database, "churn")
    assert pilot.stage == Stage.REVIEW
    rows = await snapshot(database)
    assert [(r[2], r[3]) for r in rows["stage_changes"]][-1] == ("poc", "review")
    poll = await the_poll(database)
    posted = (await outbox(database))[f"poll:{poll.id}:card"]
    assert (posted.channel_id, posted.platform) == ("C-steer", "console")
    shown = message_of(posted)
    lines = text(shown)
    assert "Ship the churn model?" in lines
    assert "Deadline: Thu 2026-12-03 09:00 UTC" in lines
    assert "Open blocking items: #1 Business KPIs defined and measurable" in lines
    assert "Turnout: 0 of 4 voted" in lines
    assert "Churn rate | 8 % | 6 % | 50%" in lines
    progress = [b for b in shown.blocks if isinstance(b, Progress)]
    assert [(p.done, p.total) for p in progress] == [(0, 6)]
    assert [(b.label, parsing.command_line(b.action or b.form.action)) for b in buttons(shown)] == [
        ("Go", "vote churn go"),
        ("Go with conditions", "vote churn conditional"),
        ("No-go", "vote churn no-go"),
        ("Abstain", "vote churn abstain"),
    ]


async def test_the_vote_forms_submit_commands_the_parser_accepts(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    shown = await card(database, (await the_poll(database)).id or 0)
    forms = {b.label: b.form for b in buttons(shown) if b.form is not None}
    assert set(forms) == {"Go with conditions", "No-go"}

    condition = forms["Go with conditions"]
    assert condition is not None
    line = parsing.command_line(condition.action, {condition.inputs[0].name: "pen test first"})
    reply = await say(golive, "sam", line)
    assert text(reply).splitlines()[0] == "You voted Go with conditions on churn."
    reason = forms["No-go"]
    assert reason is not None
    line = parsing.command_line(reason.action, {reason.inputs[0].name: "no rollback"})
    assert text(await say(golive, "lee", line)).splitlines()[0] == "You voted No-go on churn."
    poll = await the_poll(database)
    assert sorted((v.choice, v.text) for v in poll.votes if v.choice) == [
        (Choice.CONDITIONAL, "pen test first"),
        (Choice.NO_GO, "no rollback"),
    ]


async def test_voters_see_the_tally_only_after_voting_and_can_change_their_vote(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")

    first = await say(golive, "lee", "vote churn go")
    assert first.private
    assert "lee | Go" in text(first)
    poll = await the_poll(database)
    public = text(await card(database, poll.id or 0))
    assert "Turnout: 1 of 4 voted: @lee" in public
    assert "lee | Go" not in public  # the channel sees turnout only

    second = await say(golive, "sam", 'vote churn no-go "data residency unclear"')
    assert "lee | Go" in text(second) and "sam | No-go | data residency unclear" in text(second)

    changed = await say(golive, "lee", "vote churn abstain")
    assert text(changed).splitlines()[0] == "You changed your vote on churn to Abstain."
    poll = await the_poll(database)
    assert len(poll.votes) == 2
    assert {v.choice for v in poll.votes} == {Choice.ABSTAIN, Choice.NO_GO}
    assert "Turnout: 2 of 4 voted: @sam, @lee" in text(await card(database, poll.id or 0))


async def test_someone_off_the_committee_is_refused_and_nothing_changes(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "zed", "status churn")  # zed is known to the workspace
    before = await snapshot(database)

    reply = await said(golive, "zed", "vote churn go")

    assert reply.splitlines()[0] == (
        "Only the eligible voters of this poll may vote: @amal, @sam, @lee, @ola."
    )
    assert await snapshot(database) == before


async def test_members_seated_after_opening_are_not_eligible(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "amal", "committee churn add @kim legal")
    assert "Only the eligible voters" in await said(golive, "kim", "vote churn go")


async def test_a_conditional_vote_needs_its_condition(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    assert "condition" in await said(golive, "lee", "vote churn conditional")
    assert (await the_poll(database)).votes == []


async def test_the_poll_closes_early_when_everyone_has_voted(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn")
    for handle in ("amal", "sam", "lee"):
        await ok(golive, handle, "vote churn go")
    assert (await the_poll(database)).is_open

    last = await said(golive, "ola", "vote churn go")

    assert "Everyone has voted, so the poll closed: GO (majority for go: 4 for, 0 against)" in last
    poll = await the_poll(database)
    assert (poll.status, poll.close_reason, poll.closed_by_id) == (
        PollStatus.CLOSED,
        "all-voted",
        None,
    )
    pilot, _ = await load(database, "churn")
    assert pilot.stage == Stage.APPROVED
    rows = await outbox(database)
    result = text(message_of(rows[f"poll:{poll.id}:result"]))
    assert "Decision on Churn model: GO" in result
    assert rows[f"poll:{poll.id}:result"].channel_id == "C-steer"
    final = await card(database, poll.id or 0)
    assert buttons(final) == []
    assert "Decision: GO" in text(final) and "ola | Go" in text(final)
    (decision,) = await decisions(database)
    assert (decision.outcome, decision.seq, decision.poll_id) == ("GO", 1, poll.id)


async def test_deadline_close_after_the_clock_moves(
    golive: Golive, database: MemoryStore, clock: MovableClock
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn closes:+48h")
    await ok(golive, "amal", "vote churn go")
    await ok(golive, "sam", "vote churn go")
    await ok(golive, "lee", 'vote churn no-go "rollback untested"')

    clock.move(timedelta(hours=47))
    assert await close_due_polls(uow_factory=database.uow, clock=clock) == 0
    clock.move(timedelta(hours=1))
    too_late = await said(golive, "ola", "vote churn go")
    assert too_late.splitlines()[0] == "Voting on churn has ended; the result is on its way."
    assert await close_due_polls(uow_factory=database.uow, clock=clock) == 1
    assert await close_due_polls(uow_factory=database.uow, clock=clock) == 0

    poll = await the_poll(database)
    assert (poll.status, poll.close_reason) == (PollStatus.CLOSED, "deadline")
    (decision,) = await decisions(database)
    assert decision.outcome == "GO WITH CONDITIONS"
    assert record(decision)["reasons"] == [
        "majority for go: 2 for, 1 against",
        "6 blocking checklist items open",
    ]
    late = await said(golive, "ola", "vote churn go")
    assert late.splitlines()[0] == "churn has no open poll; the owner opens one with `poll churn`."
    pilot, _ = await load(database, "churn")
    assert pilot.stage == Stage.APPROVED


async def test_conditions_become_checklist_items_of_the_business_owner(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "amal", "vote churn go")
    await ok(golive, "sam", 'vote churn conditional "Pen test before launch"')
    await ok(golive, "lee", 'vote churn conditional "Load test at 2x peak"')
    await ok(golive, "ola", "vote churn go")

    (decision,) = await decisions(database)
    assert decision.outcome == "GO WITH CONDITIONS"
    pilot, people = await load(database, "churn")
    added = [i for i in pilot.items if i.decision_id is not None]
    assert [(i.number, i.title) for i in added] == [
        (7, "Load test at 2x peak"),
        (8, "Pen test before launch"),
    ]
    assert {(i.owner_id, i.due, i.decision_id) for i in added} == {
        (people["amal"].id, date(2026, 12, 15), decision.id)
    }
    checklist = await said(golive, "amal", "checklist churn")
    assert "Pen test before launch" in checklist


async def test_a_security_no_go_vetoes_and_returns_the_pilot_to_pilot_stage(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn")
    for handle in ("amal", "lee", "ola"):
        await ok(golive, handle, "vote churn go")
    await ok(golive, "sam", 'vote churn no-go "data leaves the EU"')

    (decision,) = await decisions(database)
    assert (decision.outcome, record(decision)["reasons"]) == ("NO-GO", ["vetoed by security"])
    pilot, _ = await load(database, "churn")
    assert pilot.stage == Stage.PILOT
    rows = await snapshot(database)
    assert [(r[2], r[3]) for r in rows["stage_changes"]][-2:] == [
        ("poc", "review"),
        ("review", "pilot"),
    ]


async def test_only_the_owner_closes_early_and_without_quorum_there_is_no_decision(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "lee", "vote churn go")

    assert "Only the business owner" in await said(golive, "lee", "poll churn close")
    reply = await said(golive, "amal", "poll churn close")

    assert reply.splitlines()[0] == (
        "The poll on churn is closed: NO DECISION (quorum not met: 1 of 4 voted, 3 needed; "
        "required voters missing: business owner, security)."
    )
    (decision,) = await decisions(database)
    assert record(decision)["closed_by"]["name"] == "amal"
    pilot, _ = await load(database, "churn")
    assert pilot.stage == Stage.REVIEW
    # With the poll closed, a new one may open.
    await ok(golive, "amal", "poll churn")


async def test_one_open_poll_per_pilot_and_cancel_restores_the_stage(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    assert "already has an open poll" in await said(golive, "amal", "poll churn")

    reply = await said(golive, "amal", "poll churn cancel")

    assert reply.splitlines()[0] == "The poll on churn is cancelled; no decision was recorded."
    pilot, _ = await load(database, "churn")
    assert pilot.stage == Stage.POC
    assert await decisions(database) == []
    poll = await the_poll(database)
    assert "This poll was cancelled" in text(await card(database, poll.id or 0))


async def test_decisions_lists_the_log(golive: Golive, database: MemoryStore) -> None:
    await pilot_with_committee(golive, ready=True)
    assert "No decisions on churn yet." in await said(golive, "zed", "decisions churn")
    await ok(golive, "amal", "poll churn")
    for handle in ("amal", "sam", "lee", "ola"):
        await ok(golive, handle, "vote churn go")

    shown = await said(golive, "zed", "decisions churn")

    assert "Tue 2026-12-01 09:00: GO" in shown
    assert "Why: majority for go: 4 for, 0 against" in shown
    assert "4 of 4 voted: amal, sam, lee, ola." in shown


async def test_status_shows_the_open_poll_turnout(golive: Golive, database: MemoryStore) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", 'poll churn "Go live in January?"')
    await ok(golive, "lee", "vote churn go")

    shown = await said(golive, "zed", "status churn")

    assert "Open go/no-go poll: Go live in January? (closes Fri 2026-12-04 09:00 UTC)" in shown
    assert "Turnout: 1 of 4 voted: @lee" in shown


async def test_criteria_configured_for_a_pilot_carry_over_to_its_next_poll(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    await ok(golive, "amal", "poll churn")
    await ok(golive, "amal", "poll churn cancel")
    lenient = Criteria(quorum_numerator=1, quorum_denominator=2, required_roles=())
    pilot, _ = await load(database, "churn")
    async with database.uow() as uow:  # no command sets criteria yet: write them directly
        for poll in await uow.polls.list_for_pilot(pilot.stored_id):
            poll.criteria_json = json.dumps(lenient.to_dict())
        await uow.commit()

    await ok(golive, "amal", "poll churn")
    await ok(golive, "amal", "vote churn go")
    await ok(golive, "lee", "vote churn go")
    closed = await said(golive, "amal", "poll churn close")

    assert (await the_poll(database)).criteria == lenient
    assert closed.splitlines()[0] == (
        "The poll on churn is closed: GO WITH CONDITIONS (majority for go: 2 for, 0 against; "
        "6 blocking checklist items open)."
    )
