"""The APScheduler wiring: two fixed jobs in UTC, and a wake-up after a command."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fakes import FakeChatGateway

from adapters.scheduler import DELIVERY_JOB, SWEEP_JOB, Scheduler
from bot.clock import MovableClock
from bot.delivery.models import Conversation, MessageRef
from bot.delivery.service import enqueue
from bot.messages import Message, say
from bot.pilots.models import Workspace
from storage.db import Database


class SignallingGateway(FakeChatGateway):
    def __init__(self) -> None:
        super().__init__()
        self.posted = asyncio.Event()

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        ref = await super().post(to, message)
        self.posted.set()
        return ref


async def test_two_fixed_jobs_with_stable_ids_in_utc(
    sqlite_database: Database, clock: MovableClock
) -> None:
    scheduler = Scheduler(
        uow_factory=sqlite_database.uow, clock=clock, gateways={"console": FakeChatGateway()}
    )
    aps = scheduler.start()
    try:
        jobs = {job.id: job for job in aps.get_jobs()}
        assert set(jobs) == {SWEEP_JOB, DELIVERY_JOB}
        sweep, delivery = jobs[SWEEP_JOB], jobs[DELIVERY_JOB]
        assert sweep.trigger.interval == timedelta(minutes=1)
        assert delivery.trigger.interval == timedelta(seconds=5)
        assert str(sweep.trigger.timezone) == "UTC" and str(aps.timezone) == "UTC"
        assert sweep.coalesce and sweep.max_instances == 1 and sweep.misfire_grace_time == 60
        scheduler.start()  # a second start replaces the jobs rather than adding more
    finally:
        await scheduler.stop()


async def test_waking_delivers_a_new_message_without_waiting_for_the_next_run(
    sqlite_database: Database, clock: MovableClock
) -> None:
    gateway = SignallingGateway()
    scheduler = Scheduler(
        uow_factory=sqlite_database.uow,
        clock=clock,
        gateways={"console": gateway},
        sweep_seconds=3600,
        delivery_seconds=3600,  # only a wake-up can deliver within this test
    )
    scheduler.start()
    try:
        await asyncio.sleep(0.2)  # let the first runs at start-up finish
        async with sqlite_database.uow() as uow:
            workspace = Workspace(platform="console", external_id="acme")
            await uow.workspaces.add(workspace)
            await uow.flush()
            to = Conversation(platform="console", workspace_id="acme", channel_id="C1")
            await enqueue(
                uow, workspace=workspace, key="hello", to=to, message=say("hi"), now=clock.now()
            )
            await uow.commit()
        scheduler.wake()
        await asyncio.wait_for(gateway.posted.wait(), timeout=30)
        assert [s.message.text for s in gateway.posts] == ["hi"]
    finally:
        await scheduler.stop()


async def test_a_serving_process_wires_the_wake_up_into_the_core(sqlite_url: str) -> None:
    from adapters.app import build_runtime
    from adapters.leader import SoleLeader
    from adapters.scheduler import start_for_runtime
    from adapters.settings import load_settings

    runtime = await build_runtime(load_settings(DATABASE_URL=sqlite_url))
    scheduler = start_for_runtime(runtime)
    try:
        assert runtime.golive.on_enqueued == scheduler.wake
        assert isinstance(scheduler.leader, SoleLeader)  # SQLite: one process
        assert scheduler.gateways is runtime.gateways  # platforms added later are used
    finally:
        await scheduler.stop()
        await runtime.database.dispose()


async def test_a_serving_process_sends_under_the_configured_timeout(sqlite_url: str) -> None:
    from adapters.app import build_runtime
    from adapters.scheduler import start_for_runtime
    from adapters.settings import load_settings
    from bot.delivery.worker import SEND_TIMEOUT

    defaults = load_settings(DATABASE_URL=sqlite_url)
    assert defaults.golive_send_timeout_seconds == SEND_TIMEOUT
    assert defaults.golive_send_timeout_seconds <= 0.6 * defaults.golive_delivery_seconds

    settings = load_settings(DATABASE_URL=sqlite_url, GOLIVE_SEND_TIMEOUT_SECONDS="1.5")
    runtime = await build_runtime(settings)
    scheduler = start_for_runtime(runtime)
    try:
        assert scheduler.send_timeout == 1.5
    finally:
        await scheduler.stop()
        await runtime.database.dispose()
