"""Enqueueing messages through the outbox.

Every message the core sends outside a command's own reply goes through here, in the same
transaction as the change that caused it, under an idempotency key. Delivery itself is in
:mod:`bot.delivery.worker`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.delivery.models import Conversation, OutboxMessage
from bot.messages import Message
from bot.pilots.models import Workspace
from bot.ports import UnitOfWork

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
    assert workspace.id is not None, "enqueue needs a stored workspace"
    row = OutboxMessage(
        workspace_id=workspace.id,
        key=key,
        platform=to.platform,
        message_json=message.model_dump_json(),
        created_at=now,
        next_attempt_at=now,
        channel_id=to.channel_id,
        user_id=to.user_id,
    )
    return await uow.outbox.add(row)


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
