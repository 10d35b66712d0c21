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
    return OutboxMessage(
        workspace_id=item.workspace.stored_id,
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
    row = OutboxMessage(
        workspace_id=workspace.stored_id,
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
