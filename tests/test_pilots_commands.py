"""Pilots through the Golive facade: creating, staging, the committee, list, status,
settings. Refused commands leave every row as it was."""

from __future__ import annotations

from datetime import date, time

import pytest
from memory import MemoryStore
from pilot_support import audit_actions, caller, load, run, snapshot, text

from bot import commands as c
from bot.clock import MovableClock
from bot.delivery.models import PersonInfo
from bot.messages import Actions, Header, Progress, Table
from bot.pilots.models import ItemStatus, Role, Stage
from bot.service import Golive

NEW = c.NewPilot(key="churn", name="Churn model")


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


async def test_new_pilot_starts_from_the_readiness_template(
    golive: Golive, database: MemoryStore
) -> None:
    reply = await run(golive, "amal", NEW)

    assert not reply.private
    assert text(reply).splitlines()[1] == (
        "Pilot Churn model (churn) created in poc. Business owner: @amal. Steering channel: "
        "#ai-steering. Readiness checklist: 6 items, due Tue 2026-12-15."
    )
    pilot, people = await load(database, "churn")
    amal = people["amal"]
    assert (pilot.stage, pilot.channel_id, pilot.owner_id) == (Stage.POC, "C-steer", amal.id)
    assert [(m.person_id, m.role, m.voting) for m in pilot.committee] == [
        (amal.id, Role.BUSINESS, True)
    ]
    assert [i.category for i in pilot.items] == [
        "business",
        "security",
        "operations",
        "engineering",
        "operations",
        "data-science",
    ]
    assert all(i.blocking and i.needs_evidence and i.owner_id == amal.id for i in pilot.items)
    assert {i.due for i in pilot.items} == {date(2026, 12, 15)}
    assert await audit_actions(database) == ["pilot.create pilot:churn"]
    rows = await snapshot(database)
    assert [(r[2], r[3]) for r in rows["stage_changes"]] == [(None, Stage.POC.value)]


async def test_go_live_target_spreads_due_dates_and_owner_can_be_someone_else(
    golive: Golive, database: MemoryStore
) -> None:
    await run(
        golive,
        "amal",
        c.NewPilot(
            key="triage",
            name="Ticket triage",
            owner="sara",
            channel=c.ChannelRef(id="C-ops", name="ops"),
            golive=date(2027, 1, 19),
        ),
    )
    pilot, people = await load(database, "triage")
    assert pilot.owner_id == people["sara"].id
    assert pilot.channel_name == "ops"
    dues = [i.due for i in pilot.items]
    assert (dues[0], dues[-1]) == (date(2026, 12, 8), date(2027, 1, 12))


async def test_refused_creations_change_nothing(golive: Golive, database: MemoryStore) -> None:
    await run(golive, "amal", NEW)
    before = await snapshot(database)

    duplicate = await run(golive, "sara", c.NewPilot(key="churn", name="Other"))
    no_channel = await golive.execute(caller("sara", channel=None), c.NewPilot(key="x1", name="X"))
    past = await run(golive, "sara", c.NewPilot(key="x2", name="X", golive=date(2026, 11, 1)))

    assert duplicate.private and duplicate.text == "A pilot with the key `churn` already exists."
    assert no_channel.private and "channel:#channel" in no_channel.text
    assert past.private and past.text == "The go-live target must be after today."
    after = await snapshot(database)
    # Only sara's own row appears (first contact creates the caller); nothing else moves.
    assert {k: v for k, v in after.items() if k != "people"} == {
        k: v for k, v in before.items() if k != "people"
    }


async def test_only_the_owner_or_an_admin_moves_the_stage(
    golive: Golive, database: MemoryStore, clock: MovableClock
) -> None:
    await run(golive, "amal", NEW)
    await run(golive, "sara", c.Status(key="churn"))  # sara exists before the snapshot
    before = await snapshot(database)

    refused = await run(golive, "sara", c.SetStage(key="churn", stage=Stage.PILOT))

    assert refused.private
    assert (
        refused.text == "Only the business owner (@amal) or a workspace admin can move the stage."
    )
    assert await snapshot(database) == before

    from datetime import timedelta

    clock.move(timedelta(days=3))
    moved = await run(golive, "amal", c.SetStage(key="churn", stage=Stage.PILOT))
    assert text(moved).splitlines()[1] == "@amal moved churn from poc to pilot."
    by_admin = await run(golive, "sara", c.SetStage(key="churn", stage=Stage.REVIEW), admin=True)
    assert not by_admin.private
    pilot, _ = await load(database, "churn")
    assert (pilot.stage, pilot.stage_since) == (Stage.REVIEW, clock.now())
    rows = (await snapshot(database))["stage_changes"]
    assert [(r[2], r[3]) for r in rows] == [(None, "poc"), ("poc", "pilot"), ("pilot", "review")]

    same = await run(golive, "amal", c.SetStage(key="churn", stage=Stage.REVIEW))
    assert same.private and same.text == "churn is already in review."


async def test_committee_members_take_their_roles_items(
    golive: Golive, database: MemoryStore
) -> None:
    await run(golive, "amal", NEW)

    added = await run(
        golive, "amal", c.CommitteeAdd(key="churn", person="omar", role=Role.OPERATIONS)
    )
    observer = await run(
        golive, "amal", c.CommitteeAdd(key="churn", person="lina", role=Role.LEGAL, observer=True)
    )

    assert text(added).splitlines()[1] == (
        "@omar joined the churn committee as operations (voting). Reassigned from the business "
        "owner to @omar: 3. Monitoring, alerting and escalation paths in place; "
        "5. Operations team trained and runbook available."
    )
    assert "as legal (observer, no vote)." in text(observer)
    pilot, people = await load(database, "churn")
    owners = {i.number: i.owner_id for i in pilot.items}
    assert owners[3] == owners[5] == people["omar"].id
    assert owners[1] == owners[2] == people["amal"].id
    event = pilot.items[2].events[-1]
    assert (event.kind, event.old_value, event.new_value) == (
        "assigned",
        str(people["amal"].id),
        str(people["omar"].id),
    )
    assert [m.voting for m in pilot.committee] == [True, True, False]

    removed = await run(golive, "amal", c.CommitteeRemove(key="churn", person="omar"))
    assert text(removed).splitlines()[1] == (
        "@omar left the churn committee. Returned to @amal: 3. Monitoring, alerting and "
        "escalation paths in place; 5. Operations team trained and runbook available."
    )
    pilot, people = await load(database, "churn")
    assert {i.owner_id for i in pilot.items} == {people["amal"].id}
    assert len(pilot.committee) == 2


async def test_refused_committee_changes_change_nothing(
    golive: Golive, database: MemoryStore
) -> None:
    await run(golive, "amal", NEW)
    await run(golive, "amal", c.CommitteeAdd(key="churn", person="sara", role=Role.SECURITY))
    before = await snapshot(database)

    by_member = await run(
        golive, "sara", c.CommitteeAdd(key="churn", person="sara", role=Role.LEGAL)
    )
    owner_out = await run(golive, "amal", c.CommitteeRemove(key="churn", person="amal"))
    twice = await run(golive, "amal", c.CommitteeAdd(key="churn", person="sara", role=Role.LEGAL))
    missing = await run(golive, "amal", c.CommitteeRemove(key="nope", person="sara"))

    assert by_member.text == (
        "Only the business owner (@amal) or a workspace admin can change the committee."
    )
    assert owner_out.text == "@amal is the business owner and stays on the committee."
    assert twice.text == "@sara is already on the committee (security)."
    assert missing.text == "No pilot `nope` in this workspace. `list` shows the pilots."
    assert all(m.private for m in (by_member, owner_out, twice, missing))
    assert await snapshot(database) == before


async def test_list_and_status(golive: Golive, database: MemoryStore) -> None:
    await run(golive, "amal", NEW)
    await run(golive, "sara", c.NewPilot(key="triage", name="Ticket triage"))
    await run(golive, "amal", c.CommitteeAdd(key="churn", person="sara", role=Role.SECURITY))
    await run(golive, "sara", c.SetStage(key="triage", stage=Stage.PILOT))

    everything = await run(golive, "omar", c.ListPilots())
    mine = await run(golive, "sara", c.ListPilots(mine=True))
    piloting = await run(golive, "omar", c.ListPilots(stage=Stage.PILOT))

    table = next(b for b in everything.blocks if isinstance(b, Table))
    assert [r[:5] for r in table.rows] == [
        ["churn", "Churn model", "poc", "@amal", "0/6"],
        ["triage", "Ticket triage", "pilot", "@sara", "0/6"],
    ]
    assert [r[0] for r in next(b for b in mine.blocks if isinstance(b, Table)).rows] == [
        "churn",
        "triage",
    ]
    assert [r[0] for r in next(b for b in piloting.blocks if isinstance(b, Table)).rows] == [
        "triage"
    ]

    status = await run(golive, "omar", c.Status(key="churn"))
    lines = text(status).splitlines()
    assert isinstance(status.blocks[0], Header) and status.blocks[0].text == "Churn model (churn)"
    assert "Stage: poc (for 0 days)" in lines
    assert "Business owner: @amal" in lines
    assert "Go-live target: not set" in lines
    assert "Committee: @amal (business), @sara (security)" in lines
    assert "Open blocking items (6):" in lines
    assert (
        "2. [ ] Security and compliance review completed (blocking, needs evidence) — @sara, "
        "due Tue 2026-12-15" in lines
    )
    progress = next(b for b in status.blocks if isinstance(b, Progress))
    assert (progress.done, progress.total) == (0, 6)
    assert isinstance(status.blocks[-1], Actions)

    empty = await golive.execute(
        caller("amal").model_copy(update={"workspace_id": "T-other"}), c.ListPilots()
    )
    assert empty.text.startswith("No pilots here yet.")


async def test_settings_update_the_caller_only(golive: Golive, database: MemoryStore) -> None:
    shown = await run(
        golive,
        "amal",
        c.Settings(
            timezone="Asia/Dubai", hours=(time(8), time(16)), weekend="fri-sat", language="ar"
        ),
    )
    assert shown.private
    assert text(shown).splitlines()[1:] == [
        "Time zone: Asia/Dubai",
        "Working hours: 08:00-16:00",
        "Weekend: fri-sat",
        "Language: ar",
    ]
    await run(golive, "amal", NEW)
    _, people = await load(database, "churn")
    amal = people["amal"]
    assert (amal.timezone, amal.work_start, amal.weekend, amal.locale) == (
        "Asia/Dubai",
        time(8),
        "fri-sat",
        "ar",
    )

    before = await snapshot(database)
    bad = await run(golive, "amal", c.Settings(timezone="Mars/Base", weekend="sat-sun"))
    backwards = await run(golive, "amal", c.Settings(hours=(time(17), time(9))))
    assert bad.text == "Mars/Base is not a time zone; use an IANA name like Asia/Dubai."
    assert backwards.text.startswith("Working hours must end after they start")
    assert await snapshot(database) == before


async def test_items_of_a_closed_pilot_count_in_the_list(
    golive: Golive, database: MemoryStore
) -> None:
    await run(golive, "amal", NEW)
    await run(
        golive, "amal", c.ChecklistWaive(key="churn", number=4, reason="No model to roll back")
    )
    pilot, _ = await load(database, "churn")
    assert pilot.items[3].status == ItemStatus.WAIVED
    listed = await run(golive, "amal", c.ListPilots())
    table = next(b for b in listed.blocks if isinstance(b, Table))
    assert table.rows[0][4] == "1/6"


async def test_mentioned_people_are_named_from_the_platform_directory(
    database: MemoryStore, clock: MovableClock
) -> None:
    asked: list[tuple[str, str]] = []

    class Directory:
        async def lookup_person(self, workspace: str, user_id: str) -> PersonInfo | None:
            asked.append((workspace, user_id))
            if user_id == "U-SARA":
                return PersonInfo(name="Sara Haddad", timezone="Asia/Dubai", locale="ar")
            return None

    gateways = {"console": Directory()}
    golive = Golive(uow_factory=database.uow, clock=clock, gateways=gateways)  # type: ignore[arg-type]
    await run(golive, "amal", NEW)
    added = await run(
        golive, "amal", c.CommitteeAdd(key="churn", person="U-SARA", role=Role.SECURITY)
    )
    await run(golive, "amal", c.CommitteeAdd(key="churn", person="U-GHOST", role=Role.LEGAL))
    await run(golive, "amal", c.CommitteeRemove(key="churn", person="U-SARA"))

    assert text(added).splitlines()[1].startswith("@Sara Haddad joined the churn committee")
    mention = added.blocks[0].spans[0]  # type: ignore[union-attr]
    assert (mention.user_id, mention.name) == ("U-SARA", "Sara Haddad")
    # Each person is looked up once, on first mention; later mentions find the row.
    assert asked == [("T-acme", "U-SARA"), ("T-acme", "U-GHOST")]
    _, people = await load(database, "churn")
    assert people["U-GHOST"].name == "U-GHOST"
    async with database.uow() as uow:
        sara = await uow.people.get_by_external(people["amal"].workspace_id, "U-SARA")
        assert sara is not None
        assert (sara.timezone, sara.locale) == ("Asia/Dubai", "ar")


async def test_help_and_bare_settings_answer_privately(golive: Golive) -> None:
    helped = await run(golive, "amal", c.Help(topic="committee"))
    assert helped.private
    assert "committee <key> add @person <role> [observer]" in text(helped)

    shown = await run(golive, "noor", c.Settings())
    assert text(shown).splitlines()[1:] == [
        "Time zone: UTC (workspace default)",
        "Working hours: 09:00-17:00",
        "Weekend: sat-sun (workspace default)",
        "Language: en",
    ]
