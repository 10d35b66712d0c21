"""The digest's rules as pure functions: forecast, KPI status, stalls, health, and the
weekly send time across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digests import rules
from bot.digests.models import ChannelSlot, iso_week, next_slot, weekly_slot
from bot.digests.rules import Forecast, Health, Rag
from bot.pilots.models import ChecklistItem, ItemStatus, Kpi, KpiKind, Measurement, Pilot, Stage
from bot.polls.models import Poll, Vote

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 12, 15)


def item(number: int, closed: date | None = None) -> ChecklistItem:
    return ChecklistItem(
        number=number,
        title=f"item {number}",
        category="general",
        owner_id=1,
        status=ItemStatus.DONE if closed else ItemStatus.OPEN,
        closed_at=datetime.combine(closed, time(12), tzinfo=UTC) if closed else None,
    )


def pilot(stage: Stage = Stage.PILOT, target: date | None = None) -> Pilot:
    return Pilot(
        workspace_id=1,
        key="p",
        name="P",
        owner_id=1,
        channel_id="C",
        stage=stage,
        golive_target=target,
    )


def kpi(baseline: float, target: float, *values: float, lower: bool = False) -> Kpi:
    return Kpi(
        name="k",
        kind=KpiKind.COST,
        unit="€",
        baseline=baseline,
        target=target,
        lower_is_better=lower,
        measurements=[Measurement(value=v, at=date(2026, 12, i + 1)) for i, v in enumerate(values)],
    )


def test_forecast_projects_the_recent_closing_pace() -> None:
    items = [item(1, date(2026, 12, 3)), item(2, date(2026, 12, 10)), item(3), item(4), item(5)]

    outlook = rules.forecast(
        items, today=TODAY, zone=BERLIN, started=date(2026, 12, 1), target=date(2027, 1, 1)
    )

    # 2 closed in 14 days: 3 open need 21 more days.
    assert outlook == Forecast(3, 2, 14, date(2027, 1, 5), late=True)
    on_time = rules.forecast(
        items, today=TODAY, zone=BERLIN, started=date(2026, 12, 1), target=date(2027, 1, 5)
    )
    assert on_time.completion == date(2027, 1, 5) and not on_time.late


def test_forecast_forgets_closes_older_than_four_weeks() -> None:
    items = [item(1, date(2026, 10, 1)), item(2, date(2026, 12, 1)), item(3), item(4)]

    outlook = rules.forecast(items, today=TODAY, zone=BERLIN, started=date(2026, 9, 1), target=None)

    assert outlook == Forecast(2, 1, 28, TODAY + timedelta(days=56), late=False)


def test_forecast_without_pace_is_late_only_against_a_target() -> None:
    items = [item(1), item(2)]
    kwargs = {"today": TODAY, "zone": BERLIN, "started": date(2026, 12, 1)}

    assert rules.forecast(items, target=date(2027, 6, 1), **kwargs).late
    assert not rules.forecast(items, target=None, **kwargs).late
    assert rules.forecast(items, target=None, **kwargs).completion is None
    done = rules.forecast([item(1, date(2026, 12, 2))], target=date(2026, 12, 1), **kwargs)
    assert done == Forecast(0, 1, 14, TODAY, late=False)


@pytest.mark.parametrize(
    ("measure", "percent", "status"),
    [
        (kpi(10, 30, 14, 20), 50.0, Rag.AMBER),
        (kpi(10, 30, 28), 90.0, Rag.GREEN),
        (kpi(10, 30, 5), -25.0, Rag.RED),
        (kpi(100, 60, 80, lower=True), 50.0, Rag.AMBER),  # cost down from 100 to 80 of 60
        (kpi(100, 60, 110, lower=True), -25.0, Rag.RED),
        (kpi(5, 5, 5), 100.0, Rag.GREEN),
        (kpi(5, 5, 6, lower=True), 0.0, Rag.RED),
    ],
)
def test_kpi_percent_of_the_way_and_status(measure: Kpi, percent: float, status: Rag) -> None:
    latest = rules.latest(measure)
    assert latest is not None
    value = rules.percent_of_way(measure, latest.value)
    assert value == pytest.approx(percent)
    assert rules.rag(value) == status


def test_kpi_without_measurement_has_no_status() -> None:
    assert rules.latest(kpi(1, 2)) is None and rules.rag(None) is None


def test_latest_measurement_is_by_date_not_by_entry_order() -> None:
    measure = kpi(0, 10)
    measure.measurements = [
        Measurement(value=7, at=date(2026, 12, 9)),
        Measurement(value=3, at=date(2026, 12, 2)),  # back-dated, entered later
    ]
    latest = rules.latest(measure)
    assert latest is not None and latest.value == 7


def test_stalled_after_fourteen_quiet_days_unless_live_or_stopped() -> None:
    now = datetime(2026, 12, 15, 10, tzinfo=UTC)
    quiet = now - timedelta(days=14)

    assert rules.is_stalled(pilot(), quiet, now)
    assert not rules.is_stalled(pilot(), quiet + timedelta(minutes=1), now)
    assert not rules.is_stalled(pilot(Stage.PRODUCTION), quiet, now)
    assert not rules.is_stalled(pilot(Stage.STOPPED), quiet, now)


def test_last_activity_counts_votes_events_and_measurements() -> None:
    subject = pilot()
    subject.created_at = datetime(2026, 11, 1, tzinfo=UTC)
    subject.kpis = [kpi(0, 1)]
    subject.kpis[0].measurements[0:0] = [
        Measurement(value=1, at=date(2026, 11, 5), recorded_at=datetime(2026, 11, 5, tzinfo=UTC))
    ]
    poll = Poll(
        workspace_id=1,
        pilot_id=1,
        question="q",
        opened_by_id=1,
        opened_at=datetime(2026, 11, 10, tzinfo=UTC),
        closes_at=datetime(2026, 11, 20, tzinfo=UTC),
        votes=[
            Vote(person_id=2, choice=None, text=None, cast_at=datetime(2026, 11, 12, tzinfo=UTC))
        ],
    )

    assert rules.last_activity(subject, [], []) == datetime(2026, 11, 5, tzinfo=UTC)
    assert rules.last_activity(subject, [], [poll]) == datetime(2026, 11, 12, tzinfo=UTC)


def test_health_prefers_stalled_over_at_risk() -> None:
    late = Forecast(3, 1, 14, date(2027, 3, 1), late=True)
    fine = Forecast(3, 3, 14, date(2027, 1, 1), late=False)

    assert (
        rules.health(pilot(), stalled=True, overdue=2, outlook=late, missed=True) == Health.STALLED
    )
    assert rules.health(pilot(), stalled=False, overdue=1, outlook=fine, missed=False) == (
        Health.AT_RISK
    )
    assert rules.health(pilot(), stalled=False, overdue=0, outlook=late, missed=False) == (
        Health.AT_RISK
    )
    assert rules.health(pilot(), stalled=False, overdue=0, outlook=fine, missed=True) == (
        Health.AT_RISK
    )
    assert rules.health(pilot(), stalled=False, overdue=0, outlook=fine, missed=False) == (
        Health.ON_TRACK
    )
    # Live pilots answer for overdue items only; stopped ones for nothing.
    live = pilot(Stage.PRODUCTION)
    assert rules.health(live, stalled=False, overdue=0, outlook=late, missed=False) == (
        Health.ON_TRACK
    )
    assert rules.health(
        pilot(Stage.STOPPED), stalled=True, overdue=3, outlook=late, missed=True
    ) == (Health.STOPPED)


def test_target_missed_only_before_going_live() -> None:
    assert rules.target_missed(pilot(target=date(2026, 12, 14)), TODAY)
    assert not rules.target_missed(pilot(target=TODAY), TODAY)
    assert not rules.target_missed(pilot(Stage.PRODUCTION, date(2026, 12, 1)), TODAY)


def test_weekly_slot_keeps_the_wall_time_across_dst() -> None:
    def monday_nine(now: datetime) -> datetime:
        return weekly_slot(now, weekday=0, at=time(9), timezone="Europe/Berlin").astimezone(UTC)

    # Winter time (UTC+1) before the last Sunday of March 2027, summer time (UTC+2) after.
    assert monday_nine(datetime(2027, 3, 24, tzinfo=UTC)) == datetime(2027, 3, 22, 8, tzinfo=UTC)
    assert monday_nine(datetime(2027, 3, 31, tzinfo=UTC)) == datetime(2027, 3, 29, 7, tzinfo=UTC)
    # Sunday 28 March, 23:30 UTC is already Monday in Berlin: that week's Monday.
    assert monday_nine(datetime(2027, 3, 28, 23, 30, tzinfo=UTC)) == datetime(
        2027, 3, 29, 7, tzinfo=UTC
    )
    # A time the spring change skips is sent just after the gap; a repeated one, once.
    skipped = weekly_slot(
        datetime(2027, 3, 28, 12, tzinfo=UTC), weekday=6, at=time(2, 30), timezone="Europe/Berlin"
    )
    assert skipped.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    repeated = weekly_slot(
        datetime(2027, 10, 31, 12, tzinfo=UTC), weekday=6, at=time(2, 30), timezone="Europe/Berlin"
    )
    assert repeated.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_next_slot_is_this_weeks_or_next_weeks_at_the_same_wall_time() -> None:
    before = datetime(2027, 3, 26, 12, tzinfo=UTC)  # Friday, winter time
    after = datetime(2027, 3, 26, 16, tzinfo=UTC)

    friday = next_slot(before, weekday=4, at=time(16, 30), timezone="Europe/Berlin")
    following = next_slot(after, weekday=4, at=time(16, 30), timezone="Europe/Berlin")

    assert friday.astimezone(UTC) == datetime(2027, 3, 26, 15, 30, tzinfo=UTC)
    assert following.astimezone(UTC) == datetime(2027, 4, 2, 14, 30, tzinfo=UTC)


def test_weeks_are_iso_weeks_of_the_channels_calendar() -> None:
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    slot = ChannelSlot(1, "C", None, weekday=0, at=time(9), timezone="Pacific/Auckland")
    # Sunday 22:00 UTC is already Monday in Auckland: a new week there.
    assert slot.week(datetime(2027, 1, 3, 22, tzinfo=UTC)) == "2027-W01"
    assert slot.due(datetime(2027, 1, 3, 22, tzinfo=UTC))  # 11:00 Monday there
    late_start = ChannelSlot(
        1, "C", None, 0, time(9), "UTC", since=datetime(2027, 1, 4, 10, tzinfo=UTC)
    )
    assert not late_start.due(datetime(2027, 1, 4, 11, tzinfo=UTC))
    assert late_start.due(datetime(2027, 1, 11, 9, tzinfo=UTC))
