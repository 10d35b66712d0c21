"""The outbox's scheduled duty: prune rows that no idempotency check can ask for again."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.ports import UnitOfWorkFactory

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
closes, and a poll has no longest duration (:func:`bot.polls.messaging.card_key`)."""


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
