"""Enqueueing and delivering messages through the outbox.

Every message the core sends outside a command's own reply goes through here, in the same
transaction as the change that caused it, under an idempotency key.
"""

from __future__ import annotations

from datetime import datetime

from bot.delivery.models import Conversation
from bot.messages import Message
from bot.pilots.models import Workspace
from bot.ports import UnitOfWork


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
    raise NotImplementedError


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
    raise NotImplementedError
