"""Dead rows retried by an administrator; old sent rows pruned without losing a key a later
check still needs."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from fakes import FakeChatGateway
from pilot_support import text
from poll_support import ok, pilot_with_committee, the_poll
from test_delivery_outbox import deliver, make_workspace, put, put_update, row

from bot.clock import MovableClock
from bot.delivery.models import OutboxMessage, OutboxStatus
from bot.delivery.scheduled import (
    KEPT_KEY_PREFIXES,
    KEPT_KEY_SUFFIXES,
    PRUNE_AFTER,
    PRUNE_BATCH,
    prune_outbox,
)
from bot.delivery.service import RetryRefused, retry_dead
from bot.pilots.models import Workspace
from bot.polls.messaging import card_key
from bot.polls.reach import owner_notice_key
from bot.service import Golive
from bot.sweep import run_sweep
from storage.db import Database


async def prune(
    database: Database,
    clock: MovableClock,
    *,
    older_than: timedelta = PRUNE_AFTER,
    batch: int = PRUNE_BATCH,
) -> int:
    return await prune_outbox(
        uow_factory=database.uow, clock=clock, older_than=older_than, batch=batch
    )


async def keys(database: Database) -> set[str]:
    async with database.uow() as uow:
        return {m.key for m in await uow.outbox.list(limit=1000)}


async def kill(database: Database, workspace: Workspace, key: str, clock: MovableClock) -> int:
    """Queue ``key`` and let its one attempt fail for good; the dead row's id."""
    gateway = FakeChatGateway()
    await put(database, workspace, key, f"text of {key}", clock)
    gateway.fail_next(1, "permanent")
    await deliver(database, gateway, clock)
    dead = await row(database, key)
    assert dead is not None and dead.status == OutboxStatus.DEAD and dead.id is not None
    return dead.id


async def add_raw(
    database: Database, workspace: Workspace, key: str, status: OutboxStatus, clock: MovableClock
) -> None:
    assert workspace.id is not None
    async with database.uow() as uow:
        now = clock.now()
        message = OutboxMessage(
            workspace_id=workspace.id,
            key=key,
            platform="console",
            message_json="{}",
            created_at=now,
            next_attempt_at=now,
            channel_id="C-steer",
            status=status,
        )
        assert await uow.outbox.add(message)
        await uow.commit()


# --- retry -----------------------------------------------------------------------------


async def test_a_retried_dead_row_is_sent_once_its_cause_is_fixed(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    dead_id = await kill(database, workspace, "digest:C-steer:2026-W49", clock)
    clock.move(timedelta(hours=3))  # the admin reinstalls the app

    requeued = await retry_dead(uow_factory=database.uow, clock=clock, ids=[dead_id])

    assert [(m.id, m.key) for m in requeued] == [(dead_id, "digest:C-steer:2026-W49")]
    again = await row(database, "digest:C-steer:2026-W49")
    assert again is not None
    assert (again.status, again.attempts, again.last_error) == (OutboxStatus.PENDING, 0, None)
    assert again.next_attempt_at == clock.now()
    gateway = FakeChatGateway()
    assert await deliver(database, gateway, clock) == 1
    assert [s.message.text for s in gateway.posts] == ["text of digest:C-steer:2026-W49"]


async def test_retrying_a_row_that_is_not_dead_changes_nothing(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    dead_id = await kill(database, workspace, "died", clock)
    await put(database, workspace, "sent", "fine", clock)
    await deliver(database, FakeChatGateway(), clock)
    sent = await row(database, "sent")
    assert sent is not None and sent.id is not None
    missing_id = sent.id + dead_id + 100

    with pytest.raises(RetryRefused) as refused:
        await retry_dead(uow_factory=database.uow, clock=clock, ids=[dead_id, sent.id, missing_id])

    assert refused.value.refused == {sent.id: OutboxStatus.SENT, missing_id: None}
    still = await row(database, "died")
    assert still is not None and still.status == OutboxStatus.DEAD and still.attempts == 1


async def test_retrying_every_dead_row_leaves_the_others_alone(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    first = await kill(database, workspace, "a", clock)
    second = await kill(database, workspace, "b", clock)
    await put(database, workspace, "waiting", "later", clock)

    requeued = await retry_dead(uow_factory=database.uow, clock=clock, ids=None)

    assert sorted(m.id for m in requeued if m.id is not None) == sorted([first, second])
    assert await retry_dead(uow_factory=database.uow, clock=clock, ids=None) == []
    waiting = await row(database, "waiting")
    assert waiting is not None and waiting.status == OutboxStatus.PENDING


# --- prune -----------------------------------------------------------------------------


async def test_prune_deletes_only_old_finished_rows_no_check_still_needs(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway()
    for key in ("remind:4:2026-12-01", "unreachable:acme:U9", "poll:3:card"):
        await put(database, workspace, key, key, clock)
    await deliver(database, gateway, clock)
    await put_update(database, workspace, "poll:3:card", "card v2", clock)
    await deliver(database, gateway, clock)
    await add_raw(database, workspace, "replaced", OutboxStatus.SUPERSEDED, clock)
    await kill(database, workspace, "dead", clock)
    await put(database, workspace, "stuck", "never due", clock)
    async with database.uow() as uow:  # a pending row waiting out a long back-off
        stuck = await uow.outbox.get_by_key("stuck")
        assert stuck is not None and stuck.id is not None
        await uow.outbox.retry_later(stuck.id, at=clock.now() + timedelta(days=90), error="x")
        await uow.commit()
    clock.move(PRUNE_AFTER - timedelta(minutes=1))
    assert await prune(database, clock) == 0

    clock.move(timedelta(minutes=2))
    assert await prune(database, clock) == 3

    assert await keys(database) == {
        "unreachable:acme:U9",
        "poll:3:card",
        "dead",
        "stuck",
    }


async def test_a_row_sent_again_recently_is_not_old(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway()
    await put(database, workspace, "poll:5:card", "card", clock)
    await put_update(database, workspace, "poll:5:card", "card v2", clock)
    await deliver(database, gateway, clock)
    clock.move(PRUNE_AFTER)
    await put_update(database, workspace, "poll:5:card", "card v3", clock)  # created long ago
    await deliver(database, gateway, clock)
    clock.move(timedelta(days=1))

    assert await prune(database, clock) == 0
    assert await keys(database) == {"poll:5:card", "poll:5:card:update"}


async def test_prune_works_in_bounded_batches(database: Database, clock: MovableClock) -> None:
    workspace = await make_workspace(database)
    for n in range(7):
        await put(database, workspace, f"remind:{n}:2026-12-01", "overdue", clock)
    assert await deliver(database, FakeChatGateway(), clock) == 7
    clock.move(PRUNE_AFTER + timedelta(days=1))

    assert [await prune(database, clock, batch=3) for _ in range(4)] == [3, 3, 1, 0]
    assert await keys(database) == set()


async def test_prune_refuses_an_age_that_checks_still_need(
    database: Database, clock: MovableClock
) -> None:
    with pytest.raises(ValueError):
        await prune(database, clock, older_than=timedelta(days=2))


def test_the_kept_keys_are_the_ones_golive_writes() -> None:
    assert owner_notice_key("acme", "U9").startswith(KEPT_KEY_PREFIXES)
    assert card_key(SimpleNamespace(id=7)).endswith(KEPT_KEY_SUFFIXES)  # type: ignore[arg-type]
    assert not f"{card_key(SimpleNamespace(id=7))}:update".endswith(KEPT_KEY_SUFFIXES)  # type: ignore[arg-type]


async def test_the_sweep_prunes_and_a_long_poll_card_still_updates(
    golive: Golive, database: Database, clock: MovableClock
) -> None:
    """amal opens a two-month poll; sam votes at once, lee only after six weeks: the card
    posted on day one still gets lee's vote after the sweep has pruned old rows."""
    gateway = FakeChatGateway(clock=clock)
    await pilot_with_committee(golive)
    await ok(golive, "amal", 'poll churn closes:+60d "Ship the churn model?"')
    await ok(golive, "sam", "vote churn go")
    await deliver(database, gateway, clock)
    poll = await the_poll(database)
    assert {f"poll:{poll.id}:card", f"poll:{poll.id}:card:update"} <= await keys(database)

    clock.move(timedelta(days=42))
    done = await run_sweep(uow_factory=database.uow, clock=clock)

    assert done["prune outbox"] >= 1
    assert f"poll:{poll.id}:card:update" not in await keys(database)
    await ok(golive, "lee", "vote churn go")
    await deliver(database, gateway, clock)
    card = next(s for s in gateway.posts if s.to is not None and s.to.channel_id == "C-steer")
    latest = gateway.updates[-1]
    assert latest.ref == card.ref and latest.at == clock.now()
    assert "Turnout: 2 of 4 voted" in text(latest.message)
    update = await row(database, f"poll:{poll.id}:card:update")
    assert update is not None and update.status == OutboxStatus.SENT
