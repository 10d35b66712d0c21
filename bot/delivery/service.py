"""Enqueueing messages through the outbox.

Every message the core sends outside a command's own reply goes through here, in the same
transaction as the change that caused it, under an idempotency key. Delivery itself is in
:mod:`bot.delivery.worker`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.delivery.models import Conversation, OutboxMessage, OutboxStatus
from bot.messages import Message
from bot.pilots.models import Workspace
from bot.ports import UnitOfWork, UnitOfWorkFactory

UPDATE_INTERVAL = timedelta(seconds=1)
"""The least time between two updates of one posted message (Slack's chat.update is Tier 3:
a burst of votes becomes about one update a second, each carrying the newest card)."""


def update_key(of_key: str) -> str:
    """The key of the one update row of the post queued under ``of_key``."""
    return f"{of_key}:update"


async def enqueue(
    uow: UnitOfWork,
    *,
    workspace: Workspace,
    key: str,
    to: Conversation,
    message: Message,
    now: datetime,
) -> bool:
    """Queue ``message`` for ``to`` under the idempotency ``key``; False if the key was
    already used (the message was queued before and is not queued again)."""
    return await uow.outbox.add(_row(Outgoing(workspace, key, to, message), now))


@dataclass(frozen=True)
class Outgoing:
    """One message to queue with :func:`enqueue_many`."""

    workspace: Workspace
    key: str
    to: Conversation
    message: Message


async def enqueue_many(uow: UnitOfWork, outgoing: Sequence[Outgoing], *, now: datetime) -> set[str]:
    """Queue many messages at once (a sweep's reminders); the keys that were new."""
    return await uow.outbox.add_many([_row(item, now) for item in outgoing])


def _row(item: Outgoing, now: datetime) -> OutboxMessage:
    assert item.workspace.id is not None, "enqueue needs a stored workspace"
    return OutboxMessage(
        workspace_id=item.workspace.id,
        key=item.key,
        platform=item.to.platform,
        message_json=item.message.model_dump_json(),
        created_at=now,
        next_attempt_at=now,
        channel_id=item.to.channel_id,
        user_id=item.to.user_id,
    )


async def enqueue_update(
    uow: UnitOfWork,
    *,
    workspace: Workspace,
    of_key: str,
    message: Message,
    now: datetime,
) -> None:
    """Queue a replacement of the message posted under ``of_key`` (a poll card after a
    vote). Pending replacements of the same post collapse into this newest one."""
    assert workspace.id is not None, "enqueue_update needs a stored workspace"
    row = OutboxMessage(
        workspace_id=workspace.id,
        key=update_key(of_key),
        platform=workspace.platform,
        message_json=message.model_dump_json(),
        created_at=now,
        next_attempt_at=now,
        update_of=of_key,
    )
    await uow.outbox.put_update(row, not_before=now)


class RetryRefused(Exception):
    """Some of the rows asked for are not dead: ``refused`` maps each such id to its status,
    or None when there is no such row. Nothing was requeued."""

    def __init__(self, refused: dict[int, OutboxStatus | None]) -> None:
        super().__init__(", ".join(f"{i}: {s or 'no such row'}" for i, s in refused.items()))
        self.refused = refused


async def retry_dead(
    *, uow_factory: UnitOfWorkFactory, clock: Clock, ids: Sequence[int] | None
) -> list[OutboxMessage]:
    """Requeue dead rows, due now with a fresh count of attempts: all of ``ids`` or none
    (:class:`RetryRefused`), or every dead row when ``ids`` is None; the rows requeued."""
    async with uow_factory() as uow:
        requeued = await uow.outbox.requeue_dead(ids, at=clock.now())
        if ids is not None:
            missing = sorted(set(ids) - set(requeued))
            if missing:
                found = {m.id: m.status for m in await uow.outbox.get_many(missing)}
                # Leaving without a commit undoes the rows requeued above: all or none.
                raise RetryRefused({i: found.get(i) for i in missing})
        rows = list(await uow.outbox.get_many(requeued))
        await uow.commit()
    return rows


PRUNE_AFTER = timedelta(days=30)
PRUNE_BATCH = 5000
PRUNE_MIN_AGE = timedelta(days=8)
"""The youngest rows pruning may touch: the longest period a key is checked in (a digest's
week) and a day of time zones."""

KEPT_KEY_PREFIXES = ("unreachable:",)
"""Keys whose idempotency check has no end: the owner hears about an unreachable voter once,
ever (:func:`bot.polls.reach.owner_notice_key`)."""

KEPT_KEY_SUFFIXES = (":card",)
"""Posts that later updates need (their reference): a poll card is updated until its poll
closes, and a poll has no longest duration (:func:`bot.polls.closing.card_key`)."""


async def prune_outbox(
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    older_than: timedelta = PRUNE_AFTER,
    batch: int = PRUNE_BATCH,
) -> int:
    """Delete up to ``batch`` sent or superseded rows older than ``older_than``; how many.

    A row's key is how a second sweep learns a message was already queued, so a row may go
    only once no check can ask for its key again. Scheduled sends are checked only within
    their own period: an overdue list, heads-up or escalation for one person and local day
    (``remind:``/``headsup:``/``escalate:<person>:<date>``; the items' once-per-due-date
    marks live in their own table), a digest for one channel and week, a voter reminder
    between its poll's reminder time and deadline (at most 24 hours), a poll's result once,
    as it closes. Thirty days is far beyond each of those periods. Two kinds of rows are
    still needed afterwards and kept forever: :data:`KEPT_KEY_PREFIXES` and
    :data:`KEPT_KEY_SUFFIXES`. Pending and dead rows are never pruned: they are waiting for
    a send or for an administrator (``golive outbox retry``). The batch bounds one sweep's
    work; a backlog drains over the following sweeps.
    """
    if older_than < PRUNE_MIN_AGE:
        raise ValueError(f"rows younger than {PRUNE_MIN_AGE} still guard against duplicates")
    async with uow_factory() as uow:
        pruned = await uow.outbox.prune(
            before=clock.now() - older_than,
            limit=batch,
            keep_prefixes=KEPT_KEY_PREFIXES,
            keep_suffixes=KEPT_KEY_SUFFIXES,
        )
        await uow.commit()
    return pruned
