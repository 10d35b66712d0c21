"""The sweep: every scheduled duty of the core, run once at the clock's current time.

The scheduler calls :func:`run_sweep` each minute on the leader replica (and the console
after each ``:clock`` move). Each duty is idempotent and keeps its schedule in golive's own
tables, so a sweep that is missed, killed halfway or run twice loses and doubles nothing.
One duty that fails is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.delivery import scheduled as delivery
from bot.digests import scheduled as digests
from bot.digests.ports import ChartRenderer
from bot.polls import scheduled as polls
from bot.ports import UnitOfWorkFactory
from bot.reminders import scheduled as reminders

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Duty:
    name: str
    run: Callable[[UnitOfWorkFactory, Clock, ChartRenderer | None], Awaitable[int]]


def duties(outbox_retention: timedelta = delivery.PRUNE_AFTER) -> tuple[Duty, ...]:
    """Every scheduled duty, in the order a sweep runs them (a test checks that each
    feature's ``scheduled`` module has all its duties here); sent messages are kept for
    ``outbox_retention`` (GOLIVE_OUTBOX_RETENTION_DAYS)."""
    return (
        Duty("close polls", lambda u, c, _charts: polls.close_due_polls(uow_factory=u, clock=c)),
        Duty(
            "voter reminders",
            lambda u, c, _charts: polls.due_voter_reminders(uow_factory=u, clock=c),
        ),
        Duty(
            "overdue reminders",
            lambda u, c, _charts: reminders.send_due_reminders(uow_factory=u, clock=c),
        ),
        Duty(
            "digests",
            lambda u, c, charts: digests.post_due_digests(uow_factory=u, clock=c, charts=charts),
        ),
        Duty(
            "prune outbox",
            lambda u, c, _charts: delivery.prune_outbox(
                uow_factory=u, clock=c, older_than=outbox_retention
            ),
        ),
    )


async def run_sweep(
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    charts: ChartRenderer | None = None,
    outbox_retention: timedelta = delivery.PRUNE_AFTER,
) -> dict[str, int]:
    """Run every duty once; what each did (a count), failed duties left out."""
    done: dict[str, int] = {}
    for duty in duties(outbox_retention):
        try:
            done[duty.name] = await duty.run(uow_factory, clock, charts)
        except Exception:  # one failing duty must not stop the others
            log.exception("sweep: %s failed; the next sweep tries again", duty.name)
    if any(done.values()):
        log.info("sweep at %s: %s", clock.now().isoformat(), done)
    return done
