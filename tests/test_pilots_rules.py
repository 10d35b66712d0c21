"""Pure rules of pilots: no database, no chat."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import Conflict, Invalid, NotFound
from bot.pilots.models import (
    AuditEntry,
    ChecklistItem,
    CommitteeMember,
    ItemStatus,
    Kpi,
    KpiKind,
    Measurement,
    Person,
    Pilot,
    Role,
    Stage,
    StageChange,
    kpi_progress,
)
from bot.pilots.template import readiness_template, template_due_dates

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)


def test_template_has_six_items_with_their_roles() -> None:
    roles = [role for _, role in readiness_template()]
    assert roles == [
        Role.BUSINESS,
        Role.SECURITY,
        Role.OPERATIONS,
        Role.ENGINEERING,
        Role.OPERATIONS,
        Role.DATA_SCIENCE,
    ]
    assert readiness_template()[1][0] == "Security and compliance review completed"


def test_without_target_items_are_due_in_two_weeks() -> None:
    assert template_due_dates(TODAY, None, 6) == [date(2026, 12, 15)] * 6


def test_with_target_items_are_spread_until_a_week_before_it() -> None:
    dues = template_due_dates(TODAY, date(2027, 1, 19), 6)  # last due 2027-01-12: 42 days
    assert dues == [
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 22),
        date(2026, 12, 29),
        date(2027, 1, 5),
        date(2027, 1, 12),
    ]


def test_close_target_puts_items_no_sooner_than_tomorrow() -> None:
    assert template_due_dates(TODAY, date(2026, 12, 3), 6) == [date(2026, 12, 2)] * 6


def _pilot() -> Pilot:
    pilot = Pilot(workspace_id=1, key="churn", name="Churn", owner_id=1, channel_id="C1")
    pilot.committee = [
        CommitteeMember(person_id=1, role=Role.BUSINESS),
        CommitteeMember(person_id=2, role=Role.SECURITY),
        CommitteeMember(person_id=3, role=Role.SECURITY),
    ]
    return pilot


def test_items_go_to_the_first_holder_of_the_role_else_the_owner() -> None:
    pilot = _pilot()
    assert pilot.holder_of(Role.SECURITY) == 2
    assert pilot.holder_of(Role.LEGAL) == 1
    assert pilot.holder_of(Role.BUSINESS) == 1


def _item(**kwargs: object) -> ChecklistItem:
    values: dict[str, object] = {
        "number": 2,
        "title": "Security review",
        "category": "security",
        "owner_id": 2,
    }
    values.update(kwargs)
    return ChecklistItem(**values)  # type: ignore[arg-type]


def test_item_needing_evidence_is_not_done_without_it() -> None:
    item = _item(needs_evidence=True)
    with pytest.raises(Invalid) as refused:
        item.mark_done(evidence="  ", at=NOW, by_id=2, key="churn")
    assert refused.value.message == (
        "Item 2 needs evidence to be marked done: "
        '`checklist churn done 2 evidence:<link or "text">`'
    )
    assert item.status == ItemStatus.OPEN and item.events == []
    item.mark_done(evidence="https://wiki/sec", at=NOW, by_id=2, key="churn")
    assert (item.status, item.evidence, item.closed_at) == (
        ItemStatus.DONE,
        "https://wiki/sec",
        NOW,
    )
    assert [e.kind for e in item.events] == ["done"]


def test_closed_items_refuse_further_changes() -> None:
    item = _item()
    item.waive(reason="Covered by the group policy", at=NOW, by_id=1)
    for change in (
        lambda: item.mark_done(evidence="x", at=NOW, by_id=1),
        lambda: item.assign(5, at=NOW, by_id=1),
        lambda: item.reschedule(date(2026, 12, 20), today=TODAY, at=NOW, by_id=1),
        lambda: item.waive(reason="again", at=NOW, by_id=1),
    ):
        with pytest.raises(Conflict, match="already waived"):
            change()
    assert item.waive_reason == "Covered by the group policy"


def test_slip_and_reassignment_are_recorded() -> None:
    item = _item(due=date(2026, 12, 10))
    item.reschedule(date(2026, 12, 17), today=TODAY, at=NOW, by_id=2)
    item.assign(7, at=NOW, by_id=1)
    slipped, assigned = item.events
    assert (slipped.kind, slipped.old_value, slipped.new_value) == (
        "slipped",
        "2026-12-10",
        "2026-12-17",
    )
    assert (assigned.kind, assigned.old_value, assigned.new_value) == ("assigned", "2", "7")
    assert item.owner_id == 7 and item.due == date(2026, 12, 17)


def test_due_date_in_the_past_is_refused() -> None:
    item = _item(due=date(2026, 12, 10))
    with pytest.raises(Invalid, match="in the past"):
        item.reschedule(date(2026, 11, 30), today=TODAY, at=NOW, by_id=2)
    assert item.due == date(2026, 12, 10) and item.events == []


def test_overdue_is_strictly_after_the_due_date() -> None:
    item = _item(due=date(2026, 12, 10))
    assert not item.is_overdue(date(2026, 12, 10))
    assert item.is_overdue(date(2026, 12, 11))
    item.waive(reason="n/a", at=NOW, by_id=1)
    assert not item.is_overdue(date(2026, 12, 11))


def test_progress_runs_from_baseline_to_target_in_both_directions() -> None:
    higher = Kpi(name="Deflection", kind=KpiKind.COST, unit="%", baseline=10, target=30)
    lower = Kpi(
        name="Handling time",
        kind=KpiKind.TIME,
        unit="min",
        baseline=12,
        target=8,
        lower_is_better=True,
    )
    assert kpi_progress(higher, 25) == 75
    assert kpi_progress(lower, 10) == 50
    assert kpi_progress(lower, 13) == -25  # worse than the baseline
    assert kpi_progress(lower, 6) == 150  # past the target


def test_progress_uses_the_latest_measurement_by_date() -> None:
    kpi = Kpi(name="Deflection", kind=KpiKind.COST, unit="%", baseline=10, target=30)
    assert kpi.progress() is None
    kpi.measurements = [
        Measurement(value=20, at=date(2026, 12, 8)),
        Measurement(value=14, at=date(2026, 12, 1)),  # recorded late, older date
    ]
    assert kpi.latest() is kpi.measurements[0]
    assert kpi.progress() == 50


def test_a_conversation_is_named_by_its_name_never_by_an_opaque_id() -> None:
    from bot.pilots.messaging import conversation_label

    assert conversation_label("C123", "ai-steering") == "#ai-steering"
    assert conversation_label("a:1Xf-personal-chat-id", None) == "an unnamed chat"


# --- the aggregate's transitions ----------------------------------------------------------


def _person(person_id: int, handle: str) -> Person:
    return Person(workspace_id=1, external_id=handle, name=handle, id=person_id)


AMAL, SARA, DEV = _person(1, "amal"), _person(2, "sara"), _person(3, "dev")


def _new_pilot() -> Pilot:
    pilot = Pilot.new(
        workspace_id=1,
        key="churn",
        name=" Churn model ",
        owner=AMAL,
        channel_id="C1",
        channel_name="ai-steering",
        golive=None,
        key_taken=False,
        today=TODAY,
        at=NOW,
        by_id=1,
    )
    pilot.id = 10  # as the unit of work's flush would
    return pilot


def _log(pilot: Pilot) -> list[str]:
    return [
        f"{r.action} {r.subject} {r.detail}".strip()
        if isinstance(r, AuditEntry)
        else f"stage {r.from_stage}->{r.to_stage}"
        for r in pilot.new_records
        if isinstance(r, AuditEntry | StageChange)
    ]


def test_a_new_pilot_seats_its_owner_and_starts_the_readiness_checklist() -> None:
    pilot = _new_pilot()
    pilot.record_creation(owner=AMAL, at=NOW, by_id=1)

    assert (pilot.name, pilot.stage, pilot.stage_since) == ("Churn model", Stage.POC, NOW)
    assert [(m.person_id, m.role, m.voting) for m in pilot.committee] == [(1, Role.BUSINESS, True)]
    assert [i.number for i in pilot.items] == [1, 2, 3, 4, 5, 6]
    assert all(i.owner_id == 1 and i.blocking and i.needs_evidence for i in pilot.items)
    assert _log(pilot) == ["stage None->poc", "pilot.create pilot:churn owner=amal"]


def test_a_new_pilot_refuses_a_taken_key_before_a_past_target() -> None:
    with pytest.raises(Conflict, match="already exists"):
        Pilot.new(
            workspace_id=1,
            key="churn",
            name="Churn",
            owner=AMAL,
            channel_id="C1",
            channel_name=None,
            golive=TODAY,
            key_taken=True,
            today=TODAY,
            at=NOW,
            by_id=1,
        )


def test_seating_a_member_hands_them_their_roles_open_items_once() -> None:
    pilot = _new_pilot()
    moved = pilot.seat(SARA, Role.SECURITY, voting=True, at=NOW, by_id=1)

    assert [i.number for i in moved] == [2]
    assert pilot.items[1].owner_id == 2
    assert pilot.holder_of(Role.SECURITY) == 2
    with pytest.raises(Conflict, match=r"@sara is already on the committee \(security\)"):
        pilot.seat(SARA, Role.LEGAL, voting=False, at=NOW, by_id=1)
    assert _log(pilot) == ["committee.add pilot:churn sara security"]


def test_unseating_returns_open_items_to_the_owner_who_stays() -> None:
    pilot = _new_pilot()
    pilot.seat(SARA, Role.SECURITY, voting=True, at=NOW, by_id=1)
    pilot.new_records.clear()

    with pytest.raises(Invalid, match="business owner and stays"):
        pilot.unseat(AMAL, at=NOW, by_id=1)
    with pytest.raises(NotFound, match="@dev is not on the committee of churn"):
        pilot.unseat(DEV, at=NOW, by_id=1)
    returned = pilot.unseat(SARA, at=NOW, by_id=1)

    assert [i.number for i in returned] == [2] and pilot.items[1].owner_id == 1
    assert pilot.member(2) is None
    assert _log(pilot) == ["committee.remove pilot:churn sara"]


def test_the_owners_stage_move_is_recorded_and_a_move_to_the_same_stage_refused() -> None:
    pilot = _new_pilot()
    assert pilot.set_stage(Stage.PILOT, at=NOW, by_id=1) == Stage.POC
    with pytest.raises(Conflict, match="churn is already in pilot"):
        pilot.set_stage(Stage.PILOT, at=NOW, by_id=1)
    assert _log(pilot) == ["stage poc->pilot", "pilot.stage pilot:churn poc->pilot"]


def test_item_transitions_go_through_the_pilot_and_are_logged() -> None:
    pilot = _new_pilot()
    added = pilot.add_item(
        " Red-team the prompts ",
        owner=DEV,
        due=date(2026, 12, 4),
        blocking=False,
        needs_evidence=False,
        today=TODAY,
        at=NOW,
        by_id=1,
    )
    pilot.mark_done(7, evidence=None, at=NOW, by_id=3)
    pilot.waive(4, reason="No model to roll back", at=NOW, by_id=1)
    pilot.assign(3, SARA, at=NOW, by_id=1)
    pilot.reschedule(5, date(2026, 12, 20), today=TODAY, at=NOW, by_id=1)

    assert (added.number, added.title, added.owner_id) == (7, "Red-team the prompts", 3)
    assert added.status == ItemStatus.DONE
    with pytest.raises(NotFound, match="Pilot churn has no item 9"):
        pilot.mark_done(9, evidence="x", at=NOW, by_id=1)
    assert _log(pilot) == [
        "checklist.add item:churn#7 Red-team the prompts",
        "checklist.done item:churn#7",
        "checklist.waive item:churn#4 No model to roll back",
        "checklist.assign item:churn#3 sara",
        "checklist.due item:churn#5 2026-12-15->2026-12-20",
    ]


def test_kpis_are_defined_once_and_measured_up_to_today() -> None:
    pilot = _new_pilot()
    pilot.add_kpi(
        "Deflection",
        kind=KpiKind.COST,
        unit="%",
        baseline=10,
        target=30,
        lower_is_better=False,
        at=NOW,
        by_id=1,
    )
    with pytest.raises(Conflict, match="already has a KPI named deflection"):
        pilot.add_kpi(
            " deflection ",
            kind=KpiKind.COST,
            unit="%",
            baseline=10,
            target=30,
            lower_is_better=False,
            at=NOW,
            by_id=1,
        )
    with pytest.raises(Invalid, match="cannot be dated in the future"):
        pilot.record_kpi("deflection", 20, on=date(2026, 12, 2), today=TODAY, at=NOW, by_id=2)
    kpi = pilot.record_kpi("deflection", 20, on=None, today=TODAY, at=NOW, by_id=2)

    assert [(m.value, m.at, m.recorded_by_id) for m in kpi.measurements] == [(20, TODAY, 2)]
    assert _log(pilot) == [
        "kpi.add kpi:churn/Deflection 10->30 %",
        "kpi.record kpi:churn/Deflection 20 at 2026-12-01",
    ]


def test_settings_are_checked_before_any_changes_and_the_change_is_logged() -> None:
    person = _person(2, "sara")
    with pytest.raises(Invalid, match="not a time zone"):
        person.change_settings(
            timezone="Mars/Olympus", hours=None, weekend="fri-sat", language=None, at=NOW
        )
    assert (person.timezone, person.weekend, person.new_records) == (None, None, [])
    person.change_settings(
        timezone="Asia/Dubai", hours=None, weekend="Fri-Sat", language="ar_AE", at=NOW
    )
    assert (person.timezone, person.weekend, person.locale) == ("Asia/Dubai", "fri-sat", "ar-AE")
    [entry] = person.new_records
    assert isinstance(entry, AuditEntry)
    assert (entry.action, entry.subject, entry.detail) == (
        "person.settings",
        "person:sara",
        "tz weekend lang",
    )
