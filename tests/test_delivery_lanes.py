"""Delivery by destination: a channel that hangs holds up only its own messages, sends to
one conversation go one at a time and in order, and a timed-out send is retried later.

Every wait here is on an event the fake gateway sets; none measures wall-clock time."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from datetime import timedelta

import pytest
from fakes import FakeChatGateway

from bot.clock import MovableClock
from bot.delivery.models import Conversation, MessageRef, OutboxMessage, OutboxStatus
from bot.delivery.service import enqueue, enqueue_update
from bot.delivery.worker import deliver_due
from bot.messages import Message, say
from bot.pilots.models import Workspace
from storage.db import Database


def channel(name: str) -> Conversation:
    return Conversation(platform="console", workspace_id="acme", channel_id=name)


async def make_workspace(database: Database) -> Workspace:
    async with database.uow() as uow:
        workspace = Workspace(platform="console", external_id="acme")
        await uow.workspaces.add(workspace)
        await uow.commit()
    return workspace


async def post(database: Database, workspace: Workspace, to: str, text: str, clock) -> None:
    """Queue ``text`` for channel ``to``, under the key ``text``."""
    async with database.uow() as uow:
        message = say(text, private=False)
        await enqueue(
            uow, workspace=workspace, key=text, to=channel(to), message=message, now=clock.now()
        )
        await uow.commit()


async def update(database: Database, workspace: Workspace, of_key: str, text: str, clock):
    async with database.uow() as uow:
        message = say(text, private=False)
        await enqueue_update(
            uow, workspace=workspace, of_key=of_key, message=message, now=clock.now()
        )
        await uow.commit()


async def row(database: Database, key: str) -> OutboxMessage:
    async with database.uow() as uow:
        found = await uow.outbox.get_by_key(key)
        assert found is not None
        return dataclasses.replace(found)


async def reached(event: asyncio.Event) -> None:
    """Wait for the gateway to signal (the bound only turns a bug into a failure)."""
    await asyncio.wait_for(event.wait(), timeout=30)


class GatedGateway(FakeChatGateway):
    """Sends to the channels in ``held`` start, then wait until :meth:`release` lets them
    through (or the worker's timeout cuts them off). Records what is in flight."""

    def __init__(self, *held: str) -> None:
        super().__init__()
        self.held = set(held)
        self._events: dict[tuple[str, str], asyncio.Event] = {}
        self.in_flight: Counter[str] = Counter()  # by channel
        self.most_in_flight: Counter[str] = Counter()
        self.most_overall = 0

    def _event(self, what: str, text: str) -> asyncio.Event:
        return self._events.setdefault((what, text), asyncio.Event())

    def started(self, text: str) -> asyncio.Event:
        """Set when the send of ``text`` starts."""
        return self._event("started", text)

    def accepted(self, text: str) -> asyncio.Event:
        """Set when the send of ``text`` is accepted."""
        return self._event("accepted", text)

    def release(self, text: str) -> None:
        self._event("released", text).set()

    async def _pass(self, channel_id: str, text: str) -> None:
        self.in_flight[channel_id] += 1
        self.most_in_flight[channel_id] = max(
            self.most_in_flight[channel_id], self.in_flight[channel_id]
        )
        self.most_overall = max(self.most_overall, sum(self.in_flight.values()))
        self.started(text).set()
        try:
            if channel_id in self.held:
                await self._event("released", text).wait()
            else:
                await asyncio.sleep(0)  # let the other lanes start meanwhile
        finally:
            self.in_flight[channel_id] -= 1

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        assert to.channel_id is not None
        await self._pass(to.channel_id, message.text)
        ref = await super().post(to, message)
        self.accepted(message.text).set()
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self._pass(ref.channel_id, message.text)
        await super().update(ref, message)
        self.accepted(message.text).set()


def deliver(database: Database, gateway: FakeChatGateway, clock: MovableClock, **options):
    return deliver_due(
        uow_factory=database.uow, gateways={"console": gateway}, clock=clock, **options
    )


async def test_a_hanging_channel_does_not_delay_another(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    await post(database, workspace, "A", "to A", clock)
    await post(database, workspace, "B", "to B", clock)
    gateway = GatedGateway("A")  # A's platform call hangs until released

    run = asyncio.create_task(deliver(database, gateway, clock, send_timeout=0.2))
    await reached(gateway.accepted("to B"))
    assert gateway.in_flight["A"] == 1  # B went out while A was still hanging
    assert [s.message.text for s in gateway.posts] == ["to B"]

    assert await run == 1  # A timed out: retried later, with back-off
    stuck = await row(database, "to A")
    assert stuck.status == OutboxStatus.PENDING and stuck.attempts == 1
    assert stuck.last_error == "timed out after 0.2s"
    assert stuck.next_attempt_at > clock.now()
    assert (await row(database, "to B")).status == OutboxStatus.SENT

    gateway.release("to A")
    assert await deliver(database, gateway, clock) == 0  # not yet due
    clock.move(timedelta(minutes=1))
    assert await deliver(database, gateway, clock) == 1
    assert [s.message.text for s in gateway.posts] == ["to B", "to A"]  # each once
    assert (await row(database, "to A")).status == OutboxStatus.SENT


async def test_what_falls_due_while_a_channel_hangs_goes_out_before_that_channel_is_done(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    for n in (1, 2, 3):
        await post(database, workspace, "A", f"A{n}", clock)
    gateway = GatedGateway("A")

    run = asyncio.create_task(deliver(database, gateway, clock))
    await reached(gateway.started("A1"))
    await post(database, workspace, "B", "B1", clock)  # a vote's result, say
    gateway.release("A1")
    await reached(gateway.accepted("B1"))
    assert gateway.in_flight["A"] == 1 and gateway.started("A2").is_set()  # A2 still hangs

    gateway.release("A2")
    gateway.release("A3")
    assert await run == 4
    assert [s.message.text for s in gateway.posts] == ["A1", "B1", "A2", "A3"]


async def test_one_conversation_gets_one_send_at_a_time_in_order_and_others_run_alongside(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    for n in range(4):
        await post(database, workspace, "steer", f"steer {n}", clock)
    for name in ("C1", "C2", "C3", "C4"):
        await post(database, workspace, name, f"to {name}", clock)
    await update(database, workspace, "steer 0", "steer 0, edited", clock)
    gateway = GatedGateway()

    assert await deliver(database, gateway, clock, concurrency=3) == 9
    assert gateway.most_in_flight["steer"] == 1
    assert gateway.most_overall == 3  # bounded, and used
    steer = [s.message.text for s in gateway.sent if s.ref.channel_id == "steer"]
    # The update comes after its post, with the reference that post got in the same run.
    assert steer == ["steer 0", "steer 1", "steer 2", "steer 3", "steer 0, edited"]
    card = next(s for s in gateway.posts if s.message.text == "steer 0")
    assert gateway.updates[0].ref == card.ref


async def test_two_updates_of_one_card_are_never_in_flight_together_and_arrive_in_order(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    await post(database, workspace, "steer", "poll:1:card", clock)
    gateway = GatedGateway()
    assert await deliver(database, gateway, clock) == 1
    gateway.held.add("steer")  # from now on the card's updates hang until released
    clock.move(timedelta(seconds=1))  # past the pause after the post

    await update(database, workspace, "poll:1:card", "turnout 1/5", clock)
    first = asyncio.create_task(deliver(database, gateway, clock))
    await reached(gateway.started("turnout 1/5"))
    await update(database, workspace, "poll:1:card", "turnout 2/5", clock)  # a vote lands
    # Another worker (or replica) finds nothing to take: the update row is out on lease.
    assert await deliver(database, gateway, clock) == 0
    assert not gateway.started("turnout 2/5").is_set()

    gateway.release("turnout 1/5")
    assert await first == 1
    assert await deliver(database, gateway, clock) == 0  # the usual pause between updates
    clock.move(timedelta(seconds=1))
    gateway.release("turnout 2/5")
    assert await deliver(database, gateway, clock) == 1
    assert [s.message.text for s in gateway.updates] == ["turnout 1/5", "turnout 2/5"]
    assert gateway.most_in_flight["steer"] == 1


async def test_a_row_that_waited_out_most_of_its_lease_is_claimed_again_before_it_is_sent(
    database: Database, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = await make_workspace(database)
    await post(database, workspace, "A", "A1", clock)
    await post(database, workspace, "A", "A2", clock)

    class SlowFirst(FakeChatGateway):
        async def post(self, to: Conversation, message: Message) -> MessageRef:
            if message.text == "A1":
                clock.move(timedelta(seconds=100))  # well into the two-minute lease
            return await super().post(to, message)

    gateway = SlowFirst()
    caplog.set_level(logging.INFO, logger="bot.delivery.worker")
    assert await deliver(database, gateway, clock) == 2
    assert [s.message.text for s in gateway.posts] == ["A1", "A2"]
    assert "outbox A2: waited behind slow sends" in caplog.text
    again = await row(database, "A2")
    assert again.status == OutboxStatus.SENT and again.attempts == 1  # the put-back is free


async def test_a_cancelled_run_puts_back_what_it_had_not_started(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    await post(database, workspace, "A", "A1", clock)
    await post(database, workspace, "A", "A2", clock)
    gateway = GatedGateway("A")

    run = asyncio.create_task(deliver(database, gateway, clock))
    await reached(gateway.started("A1"))
    run.cancel()  # SIGTERM's flush ran out of time, say
    with pytest.raises(asyncio.CancelledError):
        await run

    # A1 was in flight: its outcome is unknown, so it waits for its lease, as after a crash.
    in_flight = await row(database, "A1")
    assert in_flight.status == OutboxStatus.PENDING and in_flight.next_attempt_at > clock.now()
    # A2 never started: it is due again at once, its attempt not counted.
    waiting = await row(database, "A2")
    assert waiting.attempts == 0 and waiting.next_attempt_at == clock.now()

    gateway.held.clear()
    assert await deliver(database, gateway, clock) == 1
    clock.move(timedelta(minutes=3))
    assert await deliver(database, gateway, clock) == 1
    assert [s.message.text for s in gateway.posts] == ["A2", "A1"]


async def test_a_database_failure_stops_the_run_once_the_sends_under_way_are_recorded(
    database: Database, clock: MovableClock
) -> None:
    workspace = await make_workspace(database)
    await post(database, workspace, "A", "A1", clock)
    await post(database, workspace, "A", "A2", clock)
    await post(database, workspace, "B", "B1", clock)

    class Flaky:
        """The database, unreachable for one transaction once told so."""

        failing = False

        def __call__(self):
            if self.failing:
                self.failing = False
                raise OSError("database unreachable")
            return database.uow()

    flaky = Flaky()

    class LosesTheDatabaseAfterA1(FakeChatGateway):
        async def post(self, to: Conversation, message: Message) -> MessageRef:
            ref = await super().post(to, message)
            flaky.failing = flaky.failing or message.text == "A1"
            return ref

    gateway = LosesTheDatabaseAfterA1()
    with pytest.raises(OSError):
        await deliver_due(uow_factory=flaky, gateways={"console": gateway}, clock=clock)

    assert [s.message.text for s in gateway.posts] == ["A1", "B1"]  # B's lane finished
    assert (await row(database, "B1")).status == OutboxStatus.SENT
    # A1 was sent but not recorded: it goes again after its lease, as after a crash.
    unrecorded = await row(database, "A1")
    assert unrecorded.status == OutboxStatus.PENDING and unrecorded.next_attempt_at > clock.now()
    # A2 never started: it is due again at once.
    waiting = await row(database, "A2")
    assert waiting.attempts == 0 and waiting.next_attempt_at == clock.now()
