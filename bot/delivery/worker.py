"""Delivering the outbox: claim a due row, send it, record the outcome.

Each row goes through three short steps, each its own transaction when it touches the
database: *claim* (the row gets one more attempt and a lease: its next attempt moves to the
end of the lease, so no other worker or replica takes it meanwhile), *send* (no transaction
is open while the platform is called), *record* (sent with its reference, a retry with
back-off, or dead).

The window in which a crash can send a message twice is the time between the platform
accepting a send and the "sent" commit that follows it: one row per worker at most, since a
worker sends one row at a time. After a crash that row is sent again once its lease ends;
rows claimed but not yet sent are simply sent late, never twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.delivery.models import (
    Conversation,
    DeliveryFailed,
    MessageRef,
    OutboxMessage,
    OutboxStatus,
)
from bot.delivery.ports import ChatGateway
from bot.delivery.service import UPDATE_INTERVAL
from bot.messages import Message
from bot.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)  # well above SEND_TIMEOUT, so a live send never loses its lease
SEND_TIMEOUT = 30.0
BACKOFF_BASE = 15.0
BACKOFF_CAP = 3600.0


@dataclass(frozen=True)
class _Job:
    """What a claimed row needs for its send, copied out of the claiming transaction."""

    id: int
    key: str
    platform: str
    attempts: int
    message_json: str
    to: Conversation | None = None  # a post
    ref: MessageRef | None = None  # an update


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
) -> int:
    """Send up to ``batch`` due outbox rows, one at a time; the number sent."""
    sent = 0
    for _ in range(batch):
        job = await _claim_one(uow_factory, clock)
        if job is None:
            break
        if job is _SKIPPED:
            continue
        if await _send(
            job,
            uow_factory=uow_factory,
            gateways=gateways,
            clock=clock,
            send_timeout=send_timeout,
        ):
            sent += 1
    return sent


_SKIPPED = _Job(id=0, key="", platform="", attempts=0, message_json="")
"""A claimed row that needs no send now (dead, or an update waiting for its post)."""


async def _claim_one(uow_factory: UnitOfWorkFactory, clock: Clock) -> _Job | None:
    """Claim the most overdue row; None when nothing is due."""
    now = clock.now()
    async with uow_factory() as uow:
        rows = await uow.outbox.claim_due(now, 1, lease_until=now + LEASE)
        if not rows:
            return None
        job = await _job_for(uow, rows[0], now)
        await uow.commit()
    return job


async def _job_for(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> _Job:
    assert row.id is not None
    base = _Job(
        id=row.id,
        key=row.key,
        platform=row.platform,
        attempts=row.attempts,
        message_json=row.message_json,
    )
    if row.update_of is not None:
        return await _update_job(uow, row, base, now)
    workspace = await uow.workspaces.get(row.workspace_id)
    if workspace is None:
        await uow.outbox.mark_dead(row.id, error="workspace removed")
        return _SKIPPED
    to = Conversation(
        platform=row.platform,
        workspace_id=workspace.external_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
    )
    return replace(base, to=to)


async def _update_job(uow: UnitOfWork, row: OutboxMessage, base: _Job, now: datetime) -> _Job:
    """An update needs the original's reference: wait while the original is pending."""
    assert row.id is not None and row.update_of is not None
    original = await uow.outbox.get_by_key(row.update_of)
    if original is None or original.status in (OutboxStatus.DEAD, OutboxStatus.SUPERSEDED):
        await uow.outbox.mark_dead(row.id, error="the message to update was never delivered")
        return _SKIPPED
    if original.status != OutboxStatus.SENT or original.ref_json is None:
        wait_until = max(original.next_attempt_at, now + UPDATE_INTERVAL)
        await uow.outbox.defer(row.id, at=wait_until)
        return _SKIPPED
    return replace(base, ref=MessageRef.model_validate_json(original.ref_json))


async def _send(
    job: _Job,
    *,
    uow_factory: UnitOfWorkFactory,
    gateways: Mapping[str, ChatGateway],
    clock: Clock,
    send_timeout: float,
) -> bool:
    """Send one claimed row and record the outcome; True when it was sent."""
    gateway = gateways.get(job.platform)
    ref: MessageRef | None = job.ref
    error: DeliveryFailed | None = None
    if gateway is None:
        error = DeliveryFailed(f"no gateway for platform {job.platform!r}")
    else:
        try:
            message = Message.model_validate_json(job.message_json)
            async with asyncio.timeout(send_timeout):
                if job.ref is not None:
                    await gateway.update(job.ref, message)
                else:
                    assert job.to is not None
                    ref = await gateway.post(job.to, message)
        except DeliveryFailed as failed:
            error = failed
        except TimeoutError:
            error = DeliveryFailed(f"timed out after {send_timeout:g}s")
        except Exception as unexpected:  # a gateway bug must not stop the other rows
            log.exception("outbox %s: unexpected error from the %s gateway", job.key, job.platform)
            error = DeliveryFailed(type(unexpected).__name__)
    now = clock.now()
    async with uow_factory() as uow:
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
    return error is None


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
