"""The scheduler: two fixed jobs that call the core.

- ``golive.sweep`` every minute, on the leader replica only (see :mod:`adapters.leader`):
  closes due polls, reminds voters, queues overdue reminders, heads-ups, escalations and
  digests (:func:`bot.sweep.run_sweep`).
- ``golive.delivery`` every few seconds, on every replica: sends due outbox rows
  (:func:`bot.delivery.worker.deliver_due`; rows are claimed with ``FOR UPDATE SKIP
  LOCKED``, so replicas share the work and none sends a row twice; each send gives up after
  ``send_timeout`` seconds, well under the interval). :meth:`wake` runs it at once after a
  command has queued something.

Business schedules live in golive's tables, so the jobs are in memory with stable ids; a
restart loses nothing. Times are UTC; a run more than ``misfire_grace_time`` late is
skipped and missed runs coalesce into one, which is safe because every run catches up on
all that is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters import metrics
from adapters.leader import Leadership, SoleLeader
from bot.clock import Clock, MovableClock
from bot.delivery.ports import ChatGateway
from bot.delivery.scheduled import PRUNE_AFTER
from bot.delivery.worker import SEND_TIMEOUT, deliver_due
from bot.ports import UnitOfWorkFactory
from bot.sweep import run_sweep

log = logging.getLogger(__name__)

SWEEP_JOB = "golive.sweep"
DELIVERY_JOB = "golive.delivery"
BATCH = 50
AUDIT_PRUNE_BATCH = 5000  # a sweep's share; a backlog drains over the following sweeps


class AuditPruner(Protocol):
    """Deletes a batch of audit entries older than ``before``; how many (the database's
    ``prune_audit``)."""

    async def __call__(self, *, before: datetime, limit: int) -> int: ...


@dataclass(frozen=True)
class Retention:
    """How long the sweep keeps what it prunes (GOLIVE_OUTBOX_RETENTION_DAYS and
    GOLIVE_AUDIT_RETENTION_DAYS): sent messages for ``outbox``; audit entries for ``audit``
    (None: forever), through ``prune_audit``. The decision log is never pruned."""

    outbox: timedelta = PRUNE_AFTER
    audit: timedelta | None = None
    prune_audit: AuditPruner | None = None


class Scheduler:
    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        gateways: Mapping[str, ChatGateway],
        leader: Leadership | None = None,
        sweep_seconds: float = 60,
        delivery_seconds: float = 5,
        send_timeout: float = SEND_TIMEOUT,
        charts: Any = None,
        retention: Retention | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.gateways = gateways
        self.leader = leader or SoleLeader()
        self.sweep_seconds = sweep_seconds
        self.delivery_seconds = delivery_seconds
        self.send_timeout = send_timeout
        self.charts = charts
        self.retention = retention or Retention()
        self._apscheduler: AsyncIOScheduler | None = None
        self._delivering = False
        self._again = False
        self._running: set[asyncio.Task[object]] = set()  # job runs in progress
        self._last_sweep: float | None = None  # monotonic start of the previous sweep

    async def sweep_once(self) -> dict[str, int] | None:
        with self._in_flight():
            return await self._sweep()

    async def deliver_once(self) -> int:
        with self._in_flight():
            return await self._deliver()

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._running.discard(task)

    async def _sweep(self) -> dict[str, int] | None:
        """One sweep if this replica leads; what it did, or None when it does not lead."""
        started = time.monotonic()
        if self._last_sweep is not None:
            late = started - self._last_sweep - self.sweep_seconds
            metrics.SWEEP_LAG_SECONDS.set(max(0.0, late))
        self._last_sweep = started
        leading = await self.leader.is_leader()
        metrics.LEADER.set(1 if leading else 0)
        if not leading:
            return None
        with metrics.SWEEP_SECONDS.time():
            done = await run_sweep(
                uow_factory=self.uow_factory,
                clock=self.clock,
                charts=self.charts,
                outbox_retention=self.retention.outbox,
            )
            done.update(await self._prune_audit())
        if any(done.values()):
            self.wake()  # what the sweep queued goes out now, not at the next delivery run
        return done

    async def _prune_audit(self) -> dict[str, int]:
        """A batch of audit entries past retention; like a duty of the sweep, a failure is
        logged and the next sweep tries again."""
        keep, prune = self.retention.audit, self.retention.prune_audit
        if keep is None or prune is None:
            return {}
        try:
            pruned = await prune(before=self.clock.now() - keep, limit=AUDIT_PRUNE_BATCH)
        except Exception:
            log.exception("sweep: prune audit failed; the next sweep tries again")
            return {}
        return {"prune audit": pruned}

    async def _deliver(self) -> int:
        """Send what is due until nothing is left; the number sent."""
        self._delivering = True
        total = 0
        try:
            while True:
                self._again = False
                total += await deliver_due(
                    uow_factory=self.uow_factory,
                    gateways=self.gateways,
                    clock=self.clock,
                    batch=BATCH,
                    send_timeout=self.send_timeout,
                )
                if not self._again:
                    return total
        finally:
            self._delivering = False

    def wake(self) -> None:
        """Deliver now (a command just queued something): ``Golive.on_enqueued``."""
        if self._delivering:
            self._again = True  # the running job loops once more
        elif self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.modify_job(DELIVERY_JOB, next_run_time=datetime.now(UTC))

    def start(self) -> AsyncIOScheduler:
        """Start both jobs on the running event loop."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        scheduler.add_job(
            self.sweep_once,
            "interval",
            seconds=self.sweep_seconds,
            id=SWEEP_JOB,
            name="sweep: polls, reminders, digests",
            replace_existing=True,
            next_run_time=now,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(self.sweep_seconds),
        )
        scheduler.add_job(
            self.deliver_once,
            "interval",
            seconds=self.delivery_seconds,
            id=DELIVERY_JOB,
            name="deliver the outbox",
            replace_existing=True,
            next_run_time=now,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(self.delivery_seconds)),
        )
        scheduler.start()
        self._apscheduler = scheduler
        return scheduler

    async def stop(self, *, wait_seconds: float = 10.0) -> None:
        """Start no new run, let the runs in progress finish (the database they write to is
        closed next), then release leadership."""
        if self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.pause()
            if self._running:
                await asyncio.wait(set(self._running), timeout=wait_seconds)
            self._apscheduler.shutdown(wait=False)
        self._apscheduler = None
        await self.leader.close()


async def run_due_work(
    *,
    uow_factory: UnitOfWorkFactory,
    gateways: Mapping[str, ChatGateway],
    now: datetime,
    since: datetime | None = None,
    step: timedelta = timedelta(hours=1),
) -> None:
    """Sweep and deliver as the scheduler would have from ``since`` to ``now``: at each
    ``step`` (the console's ``:clock +3d`` shows each day's reminders as they would have
    arrived), then at ``now``."""
    instants: list[datetime] = []
    if since is not None and since < now:
        span = now - since
        step = max(step, span / 500)  # a long jump stays quick
        at = since + step
        while at < now:
            instants.append(at)
            at += step
    instants.append(now)
    for instant in instants:
        clock = MovableClock(instant)
        await run_sweep(uow_factory=uow_factory, clock=clock)
        while await deliver_due(uow_factory=uow_factory, gateways=gateways, clock=clock):
            pass


def due_work_hook(start: datetime, *, platform: str = "console") -> Any:
    """A console ``after_clock_move`` hook: after each ``:clock`` move, run the sweep and
    delivery over the time that passed, through the session's gateway, so each person's
    reminders print as they would have arrived."""
    last = [start]

    async def hook(session: Any) -> None:
        now = session.clock.now()
        await run_due_work(
            uow_factory=session.golive.uow_factory,
            gateways={platform: session.gateway},
            since=last[0],
            now=now,
        )
        last[0] = now

    return hook


def console_setup(session: Any, runtime: Any) -> None:
    """Wire the due work into a ``golive shell`` session (see adapters.console.shell)."""
    session.after_clock_move.append(due_work_hook(session.clock.now()))
    session.after_command.append(deliver_now_hook)


async def deliver_now_hook(session: Any) -> None:
    """A console ``after_command`` hook: deliver what the command queued (a poll card, a
    result, a digest posted now) through the session's gateway, as serve would at once."""
    while await deliver_due(
        uow_factory=session.golive.uow_factory,
        gateways={"console": session.gateway},
        clock=session.clock,
    ):
        pass


def start_for_runtime(
    runtime: Any,
    *,
    sweep_seconds: float = 60,
    delivery_seconds: float = 5,
    gateways: Mapping[str, ChatGateway] | None = None,
) -> Scheduler:
    """Start the scheduler of a serving process (``adapters.app.Runtime``): on PostgreSQL
    the sweep runs where the advisory lock is held, on SQLite here; every command that
    queues a message wakes delivery. ``gateways`` (default: the runtime's) are what the
    outbox delivers through. Stop it with ``await scheduler.stop()``."""
    from adapters.leader import AdvisoryLockLeader

    database = runtime.background_database
    leader: Leadership = (
        AdvisoryLockLeader(database.engine) if database.is_postgres else SoleLeader()
    )
    scheduler = Scheduler(
        uow_factory=database.uow,
        clock=runtime.clock,
        gateways=runtime.gateways if gateways is None else gateways,
        leader=leader,
        sweep_seconds=sweep_seconds,
        delivery_seconds=delivery_seconds,
        send_timeout=runtime.settings.golive_send_timeout_seconds,
        charts=runtime.golive.charts,  # scheduled digests carry their chart too
        retention=retention_of(runtime.settings, database),
    )
    runtime.golive.on_enqueued = scheduler.wake
    scheduler.start()
    return scheduler


def retention_of(settings: Any, database: Any) -> Retention:
    """The retention settings, audit entries pruned through ``database``."""
    audit_days = settings.golive_audit_retention_days
    return Retention(
        outbox=timedelta(days=settings.golive_outbox_retention_days),
        audit=timedelta(days=audit_days) if audit_days else None,
        prune_audit=database.prune_audit,
    )
