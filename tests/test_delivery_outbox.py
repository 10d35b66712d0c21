"""The outbox: idempotent enqueueing, coalesced updates, delivery with retries."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest
from fakes import Failure, FakeChatGateway

from bot.clock import MovableClock
from bot.delivery.models import Conversation, OutboxMessage, OutboxStatus
from bot.delivery.service import enqueue, enqueue_update
from bot.delivery.worker import MAX_ATTEMPTS, deliver_due
from bot.messages import say
from bot.pilots.models import Workspace
from storage.db import Database

TO = Conversation(platform="console", workspace_id="acme", channel_id="C-steer")


async def make_workspace(database: Database) -> Workspace:
    async with database.uow() as uow:
        workspace = Workspace(platform="console", external_id="acme")
        await uow.workspaces.add(workspace)
        await uow.commit()
    return workspace


async def put(database: Database, workspace: Workspace, key: str, text: str, clock) -> bool:
    async with database.uow() as uow:
        added = await enqueue(
            uow,
            workspace=workspace,
            key=key,
            to=TO,
            message=say(text, private=False),
            now=clock.now(),
        )
        await uow.commit()
    return added


async def put_update(database: Database, workspace: Workspace, of_key: str, text: str, clock):
    async with database.uow() as uow:
        await enqueue_update(
            uow,
            workspace=workspace,
            of_key=of_key,
            message=say(text, private=False),
            now=clock.now(),
        )
        await uow.commit()


async def deliver(
    database: Database, gateway: FakeChatGateway, clock: MovableClock, *, send_timeout: float = 30
) -> int:
    """Send what is due. The fake gateway answers at once unless told to hang, so only a
    hanging send ever reaches ``send_timeout``: nothing here depends on the machine's speed."""
    return await deliver_due(
        uow_factory=database.uow,
        gateways={"console": gateway},
        clock=clock,
        send_timeout=send_timeout,
    )


async def row(database: Database, key: str) -> OutboxMessage | None:
    """The stored row, copied out of its transaction."""
    async with database.uow() as uow:
        found = await uow.outbox.get_by_key(key)
        return dataclasses.replace(found) if found is not None else None


async def test_a_key_is_queued_and_sent_once(database: Database, clock: MovableClock) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway()
    assert await put(database, workspace, "poll:1:open", "Vote now", clock) is True
    assert await put(database, workspace, "poll:1:open", "Vote now (again)", clock) is False

    assert await deliver(database, gateway, clock) == 1
    assert await deliver(database, gateway, clock) == 0
    assert [s.message.text for s in gateway.posts] == ["Vote now"]
    stored = await row(database, "poll:1:open")
    assert stored is not None and stored.status == OutboxStatus.SENT
    assert stored.ref_json is not None and gateway.posts[0].ref.message_id in stored.ref_json


async def test_a_duplicate_key_leaves_the_transaction_usable(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    await put(database, workspace, "k1", "first", clock)
    async with database.uow() as uow:
        message = say("x", private=False)
        now = clock.now()
        assert not await enqueue(
            uow, workspace=workspace, key="k1", to=TO, message=message, now=now
        )
        assert await enqueue(uow, workspace=workspace, key="k2", to=TO, message=message, now=now)
        await uow.commit()
    assert (await row(database, "k2")) is not None


async def test_a_rolled_back_command_queues_nothing(database: Database, clock: MovableClock):
    workspace = await make_workspace(database)
    async with database.uow() as uow:
        await enqueue(
            uow, workspace=workspace, key="lost", to=TO, message=say("x"), now=clock.now()
        )
        await uow.rollback()
    assert await row(database, "lost") is None


async def test_a_burst_of_updates_becomes_one_update_a_second(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway()
    await put(database, workspace, "poll:7", "turnout 0/5", clock)
    for votes in range(1, 5):  # four votes before the card is even posted
        await put_update(database, workspace, "poll:7", f"turnout {votes}/5", clock)

    await deliver(database, gateway, clock)
    # The update went out once the post had its reference, carrying only the newest card.
    assert [s.message.text for s in gateway.posts] == ["turnout 0/5"]
    assert [s.message.text for s in gateway.updates] == ["turnout 4/5"]
    assert gateway.updates[0].ref == gateway.posts[0].ref

    # More votes within the same second wait for the next second, and collapse again.
    await put_update(database, workspace, "poll:7", "turnout 5/5 (a)", clock)
    await put_update(database, workspace, "poll:7", "turnout 5/5 (b)", clock)
    await deliver(database, gateway, clock)
    assert len(gateway.updates) == 1
    clock.move(timedelta(seconds=1))
    await deliver(database, gateway, clock)
    assert [s.message.text for s in gateway.updates] == ["turnout 4/5", "turnout 5/5 (b)"]


async def test_a_vote_while_an_update_is_in_flight_is_sent_after_it(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)

    class VoteDuringUpdate(FakeChatGateway):
        async def update(self, ref, message) -> None:
            if message.text == "turnout 1/5":  # another vote lands while this one is sent
                await put_update(database, workspace, "poll:3", "turnout 2/5", clock)
            await super().update(ref, message)

    gateway = VoteDuringUpdate()
    await put(database, workspace, "poll:3", "turnout 0/5", clock)
    await deliver(database, gateway, clock)
    await put_update(database, workspace, "poll:3", "turnout 1/5", clock)
    await deliver(database, gateway, clock)
    assert [s.message.text for s in gateway.updates] == ["turnout 1/5"]
    clock.move(timedelta(seconds=1))
    await deliver(database, gateway, clock)
    assert [s.message.text for s in gateway.updates] == ["turnout 1/5", "turnout 2/5"]
    stored = await row(database, "poll:3:update")
    assert stored is not None and stored.status == OutboxStatus.SENT


async def test_an_update_of_a_message_that_died_is_not_sent(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway()
    await put(database, workspace, "poll:9", "card", clock)
    await put_update(database, workspace, "poll:9", "card v2", clock)
    gateway.fail_next(1, "permanent")
    await deliver(database, gateway, clock)
    clock.move(timedelta(seconds=5))
    await deliver(database, gateway, clock)
    assert gateway.sent == []
    update = await row(database, "poll:9:update")
    assert update is not None and update.status == OutboxStatus.DEAD


@pytest.mark.parametrize(
    "failure",
    [Failure("error"), Failure("rate", retry_after=40.0), Failure("timeout"), Failure("crash")],
    ids=["error", "rate", "timeout", "crash"],
)
async def test_a_failing_gateway_loses_nothing_and_sends_nothing_twice(
    database: Database, clock: MovableClock, failure: Failure
) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway()
    for n in range(5):
        await put(database, workspace, f"m{n}", f"message {n}", clock)
    gateway.outage = failure
    for _ in range(4):  # a few minutes of outage, workers polling all along
        await deliver(database, gateway, clock, send_timeout=0.05)  # a hang times out at once
        clock.move(timedelta(seconds=50))
    assert gateway.sent == []
    assert gateway.attempts >= 5

    gateway.outage = None
    for _ in range(30):
        await deliver(database, gateway, clock)
        clock.move(timedelta(minutes=1))
    assert sorted(s.message.text for s in gateway.posts) == [f"message {n}" for n in range(5)]


async def test_retry_after_is_honoured(database: Database, clock: MovableClock) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway()
    await put(database, workspace, "m", "hello", clock)
    gateway.fail_next(1, "rate", retry_after=120)
    await deliver(database, gateway, clock)
    clock.move(timedelta(seconds=110))
    await deliver(database, gateway, clock)
    assert gateway.attempts == 1 and gateway.sent == []
    clock.move(timedelta(seconds=11))
    await deliver(database, gateway, clock)
    assert [s.message.text for s in gateway.posts] == ["hello"]


async def test_after_the_last_attempt_a_row_is_parked_dead_without_its_content_logged(
    database: Database, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = await make_workspace(database)
    gateway = FakeChatGateway(outage=Failure("error"))
    await put(database, workspace, "ballot", "SECRET-TALLY go=3", clock)
    caplog.set_level(logging.INFO)
    for _ in range(MAX_ATTEMPTS + 3):
        await deliver(database, gateway, clock)
        clock.move(timedelta(hours=2))
    stored = await row(database, "ballot")
    assert stored is not None and stored.status == OutboxStatus.DEAD
    assert stored.attempts == MAX_ATTEMPTS == gateway.attempts
    assert "dead" in caplog.text and "ballot" in caplog.text
    assert "SECRET-TALLY" not in caplog.text
    async with database.uow() as uow:
        dead = await uow.outbox.list(status="dead")
        assert [r.key for r in dead] == ["ballot"]
