"""Delivering the outbox: claim due rows, send them, record each outcome.

A row goes through three short steps, each its own transaction when it touches the
database: *claim* (due rows are claimed a batch at a time; each gets one more attempt and a
lease: its next attempt moves to the end of the lease, so no other worker or replica takes
it meanwhile), *send* (no transaction is open while the platform is called), *record* (sent
with its reference, a retry with back-off, or dead).

Claimed rows queue by destination: a channel, or a person's direct messages; an update joins
its post's. Each destination is a lane that sends its rows one at a time, in the order they
fell due, so two sends to one conversation (two updates of a card) are never in flight
together and an update goes out after its post. Lanes run side by side, at most
:data:`CONCURRENCY` sends at once, and each send has a timeout well under the delivery
interval (a send that times out is retried with back-off like any failure): a destination
that hangs holds up only its own lane, and as other sends finish the run claims what has
fallen due since, for every other destination.

The window in which a crash can send a message twice is the time between the platform
accepting a send and the "sent" commit that follows it: one row per send in flight, so at
most :data:`CONCURRENCY` rows per worker. After a crash those rows are sent again once their
lease ends; rows claimed but not yet sent are simply sent late, never twice (a run that is
cancelled, as at the end of a graceful shutdown, puts them back at once).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.delivery import legacy
from bot.delivery.models import (
    Conversation,
    DeliveryFailed,
    MessageRef,
    OutboxMessage,
    OutboxStatus,
)
from bot.delivery.ports import ChatGateway
from bot.delivery.service import UPDATE_INTERVAL
from bot.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CONCURRENCY = 8
SEND_TIMEOUT = 3.0
"""Seconds one send may take, a platform client's own retries included: Slack and Teams
answer in well under a second, and the delivery job runs every few seconds."""
LEASE = timedelta(minutes=2)
LEASE_MARGIN = timedelta(seconds=30)
"""A row starts its send only if the send times out this long before the row's lease ends
(room to record the outcome); one that waited longer goes back to be claimed afresh."""
BACKOFF_BASE = 15.0
BACKOFF_CAP = 3600.0

Destination = tuple[str, int, str | None, str | None]
"""Platform, workspace row, channel, person: the conversation a row is sent to."""


@dataclass(frozen=True)
class _Job:
    """What a claimed row needs for its send, copied out of the claiming transaction."""

    id: int
    key: str
    platform: str
    attempts: int
    message_json: str
    lease_until: datetime
    to: Conversation | None = None  # a post
    ref: MessageRef | None = None  # an update of a post sent before
    after: str | None = None  # an update of a post this run is sending: the post's key


def backoff(
    attempts: int, retry_after: float | None, *, jitter: Callable[[], float] = random.random
) -> timedelta:
    """The wait before the next attempt: exponential with "equal jitter" (half fixed, half
    random, so retries of many rows spread out), never shorter than the platform's
    ``retry_after``."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    seconds = ceiling / 2 + jitter() * ceiling / 2
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


async def deliver_due(
    *,
    uow_factory: UnitOfWorkFactory,
    gateways: Mapping[str, ChatGateway],
    clock: Clock,
    batch: int = 50,
    send_timeout: float = SEND_TIMEOUT,
    concurrency: int = CONCURRENCY,
) -> int:
    """Send due outbox rows until none is due, with at most ``batch`` claimed and
    ``concurrency`` in flight at a time; the number sent."""
    run = _Run(
        uow_factory=uow_factory,
        gateways=gateways,
        clock=clock,
        batch=batch,
        send_timeout=send_timeout,
        concurrency=concurrency,
    )
    return await run.deliver()


def _destination(row: OutboxMessage) -> Destination:
    return (row.platform, row.workspace_id, row.channel_id, row.user_id)


class _Run:
    """One :func:`deliver_due`: its lanes, and what they share."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        gateways: Mapping[str, ChatGateway],
        clock: Clock,
        batch: int,
        send_timeout: float,
        concurrency: int,
    ) -> None:
        self.uow_factory = uow_factory
        self.gateways = gateways
        self.clock = clock
        self.batch = batch
        self.send_timeout = send_timeout
        self.concurrency = concurrency
        self.lanes: dict[Destination, deque[_Job]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(concurrency)
        # The run's own transactions go one at a time: each takes milliseconds, and SQLite
        # in memory has a single connection that cannot interleave them.
        self.transaction = asyncio.Lock()
        self.progress = asyncio.Event()  # a row finished, or a lane ended
        self.claimed = 0  # rows claimed and not finished
        self.posting: set[str] = set()  # keys of posts claimed and not finished
        self.posted: dict[str, MessageRef] = {}  # the posts this run sent, by key
        self.unsent: list[_Job] = []  # claimed, never started: put back at the end
        self.sent = 0
        self.failure: Exception | None = None

    async def deliver(self) -> int:
        try:
            while True:
                if self._may_claim() and await self._claim():
                    continue  # fill what room is left before waiting
                if not self.lanes:
                    break
                await self.progress.wait()
                self.progress.clear()  # what it signalled is looked at next, from the top
        finally:
            await self._wind_up()
        if self.failure is not None:
            raise self.failure
        return self.sent

    def _may_claim(self) -> bool:
        # With every slot taken, a newly claimed destination could only wait: claim when
        # a slot is free, so a destination that falls due waits at most one send.
        return (
            self.failure is None
            and self.claimed < self.batch
            and len(self.lanes) < self.concurrency
        )

    async def _claim(self) -> bool:
        """Claim the most overdue rows and queue them; False when nothing was due."""
        now = self.clock.now()
        lease_until = now + LEASE
        rows: list[OutboxMessage] = []
        queued: list[tuple[Destination, _Job]] = []
        try:
            async with self.transaction, self.uow_factory() as uow:
                rows = await uow.outbox.claim_due(
                    now, self.batch - self.claimed, lease_until=lease_until
                )
                # Posts first, so that an update claimed with its post finds it here.
                for row in sorted(rows, key=lambda r: r.update_of is not None):
                    found = await self._job_for(uow, row, now, lease_until)
                    if found is not None:
                        queued.append(found)
                await uow.commit()
        except Exception as error:  # the database: stop claiming, let the lanes finish
            self.failure = error
            return False
        for destination, job in queued:
            self._queue(destination, job)
        return bool(rows)

    async def _job_for(
        self, uow: UnitOfWork, row: OutboxMessage, now: datetime, lease_until: datetime
    ) -> tuple[Destination, _Job] | None:
        """A claimed row's lane and job; None when it needs no send now (dead, or an update
        waiting for its post)."""
        assert row.id is not None
        job = _Job(
            id=row.id,
            key=row.key,
            platform=row.platform,
            attempts=row.attempts,
            message_json=row.message_json,
            lease_until=lease_until,
        )
        if row.update_of is not None:
            return await self._update_job(uow, row, job, now)
        workspace = await uow.workspaces.get(row.workspace_id)
        if workspace is None:
            await uow.outbox.mark_dead(row.id, error="workspace removed")
            return None
        to = Conversation(
            platform=row.platform,
            workspace_id=workspace.external_id,
            channel_id=row.channel_id,
            user_id=row.user_id,
        )
        self.posting.add(row.key)
        return _destination(row), replace(job, to=to)

    async def _update_job(
        self, uow: UnitOfWork, row: OutboxMessage, job: _Job, now: datetime
    ) -> tuple[Destination, _Job] | None:
        """An update needs its post's reference: it goes after its post when this run sends
        that post, and waits while the post is pending anywhere else."""
        assert row.id is not None and row.update_of is not None
        original = await uow.outbox.get_by_key(row.update_of)
        if original is None or original.status in (OutboxStatus.DEAD, OutboxStatus.SUPERSEDED):
            await uow.outbox.mark_dead(row.id, error="the message to update was never delivered")
            return None
        if original.key in self.posting:
            return _destination(original), replace(job, after=original.key)
        if original.status != OutboxStatus.SENT or original.ref_json is None:
            wait_until = max(original.next_attempt_at, now + UPDATE_INTERVAL)
            await uow.outbox.defer(row.id, at=wait_until)
            return None
        ref = MessageRef.model_validate_json(original.ref_json)
        return _destination(original), replace(job, ref=ref)

    def _queue(self, destination: Destination, job: _Job) -> None:
        lane = self.lanes.get(destination)
        if lane is None:
            lane = self.lanes[destination] = deque()
            task = asyncio.create_task(self._lane(destination, lane))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        lane.append(job)
        self.claimed += 1

    async def _lane(self, destination: Destination, lane: deque[_Job]) -> None:
        """Send one destination's rows in order, one at a time."""
        try:
            while lane and self.failure is None:
                # Where a send starts: a limit on sends per workspace would wait here too.
                async with self.slots:
                    if self.failure is not None:
                        break
                    job = lane.popleft()
                    try:
                        await self._deliver(job)
                    finally:
                        self.claimed -= 1
                        self.posting.discard(job.key)
                        self.progress.set()
        except Exception as error:  # the database: the run stops after the sends under way
            self.failure = self.failure or error
        finally:
            self.unsent.extend(self.lanes.pop(destination))
            self.progress.set()

    async def _deliver(self, job: _Job) -> None:
        """Send one claimed row and record the outcome."""
        if job.after is not None:
            ref = self.posted.get(job.after)
            if ref is None:  # its post failed just now: the next claim sees the post's state
                await self._put_back([job], at=self.clock.now() + UPDATE_INTERVAL)
                return
            job = replace(job, ref=ref)
        latest_end = job.lease_until - LEASE_MARGIN
        if self.clock.now() + timedelta(seconds=self.send_timeout) > latest_end:
            # It waited behind slow sends until its lease is nearly over: sent now, it could
            # still be in flight when another worker claims it.
            log.info("outbox %s: waited behind slow sends until its lease nearly ended", job.key)
            await self._put_back([job], at=self.clock.now())
            return
        ref, error = await _call(job, self.gateways.get(job.platform), self.send_timeout)
        now = self.clock.now()
        async with self.transaction, self.uow_factory() as uow:
            if error is None:
                await uow.outbox.mark_sent(
                    job.id,
                    sent_message_json=job.message_json,
                    ref_json=ref.model_dump_json() if ref is not None else None,
                    at=now,
                )
            else:
                await _record_failure(uow, job, error, now)
            await uow.commit()
        if error is None:
            self.sent += 1
            if job.to is not None and ref is not None:
                self.posted[job.key] = ref

    async def _put_back(self, jobs: list[_Job], *, at: datetime) -> None:
        """Return claimed rows unsent, due at ``at``, the attempt not counted. A row whose
        lease is over is left alone: it is due already, and another worker may own it."""
        now = self.clock.now()
        held = [job for job in jobs if job.lease_until > now]
        if not held:
            return
        async with self.transaction, self.uow_factory() as uow:
            for job in held:
                await uow.outbox.defer(job.id, at=at)
            await uow.commit()

    async def _wind_up(self) -> None:
        """Stop the lanes still running (the run was cancelled or failed) and put back the
        rows they had not started: another run sends them without waiting for the lease."""
        running = [task for task in self.tasks if not task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if not self.unsent:
            return
        try:
            await self._put_back(self.unsent, at=self.clock.now())
        except Exception as error:
            log.warning(
                "outbox: %d claimed rows not put back (%s); they go out when their lease ends",
                len(self.unsent),
                type(error).__name__,
            )


async def _call(
    job: _Job, gateway: ChatGateway | None, send_timeout: float
) -> tuple[MessageRef | None, DeliveryFailed | None]:
    """The platform call for one row, under the send timeout: the reference of the post
    (for an update, of the post it replaces), or why the call failed.

    A send cut off by the timeout may still have been delivered: the platform took it and
    only its answer was late. The row is retried like any failure, so that message can
    arrive twice, as one in flight at a crash can: one extra copy at most for each send
    cut off (an update sent twice shows the same card again). The timeout is several times
    a platform's usual answer, so this is rare.
    """
    if gateway is None:
        return None, DeliveryFailed(f"no gateway for platform {job.platform!r}")
    try:
        message = legacy.load(job.message_json)
        async with asyncio.timeout(send_timeout):
            if job.ref is not None:
                await gateway.update(job.ref, message)
                return job.ref, None
            assert job.to is not None
            return await gateway.post(job.to, message), None
    except DeliveryFailed as failed:
        return None, failed
    except TimeoutError:
        return None, DeliveryFailed(f"timed out after {send_timeout:g}s")
    except Exception as unexpected:  # a gateway bug must not stop the other rows
        log.exception("outbox %s: unexpected error from the %s gateway", job.key, job.platform)
        return None, DeliveryFailed(type(unexpected).__name__)


async def _record_failure(uow: UnitOfWork, job: _Job, error: DeliveryFailed, now: datetime) -> None:
    # Log the key and the reason only: the content may be a secret ballot's tally.
    reason = error.reason[:500]
    if error.permanent or job.attempts >= MAX_ATTEMPTS:
        log.error("outbox %s: dead after %d attempts: %s", job.key, job.attempts, reason)
        await uow.outbox.mark_dead(job.id, error=reason)
        return
    at = now + backoff(job.attempts, error.retry_after)
    log.warning(
        "outbox %s: attempt %d failed (%s); retry at %s",
        job.key,
        job.attempts,
        reason,
        at.isoformat(),
    )
    await uow.outbox.retry_later(job.id, at=at, error=reason)
