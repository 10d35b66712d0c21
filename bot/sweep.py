"""The sweep: every scheduled duty of the core, run once at the clock's current time.

The scheduler calls :func:`run_sweep` each minute on the leader replica (and the console
after each ``:clock`` move). Each duty is idempotent and keeps its schedule in golive's own
tables, so a sweep that is missed, killed halfway or run twice loses and doubles nothing.
Duties are looked up when the sweep runs: one that is missing or fails is logged and the
others still run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from bot.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

# (name, module, function): each function takes (*, uow_factory, clock) and returns a count.
DUTIES: tuple[tuple[str, str, str], ...] = (
    ("close polls", "bot.polls.scheduled", "close_due_polls"),
    ("voter reminders", "bot.polls.scheduled", "due_voter_reminders"),
    ("overdue reminders", "bot.reminders.service", "send_due_reminders"),
    ("digests", "bot.digests.service", "post_due_digests"),
    ("prune outbox", "bot.delivery.service", "prune_outbox"),
)


def _duty(module_name: str, function_name: str) -> Callable[..., Awaitable[int]] | None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        log.exception("sweep: cannot import %s", module_name)
        return None
    function = getattr(module, function_name, None)
    if function is None:
        log.error("sweep: %s has no %s", module_name, function_name)
    return function


async def run_sweep(
    *, uow_factory: UnitOfWorkFactory, clock: Clock, charts: Any = None
) -> dict[str, int]:
    """Run every duty once; what each did (a count), failed duties left out."""
    done: dict[str, int] = {}
    for name, module_name, function_name in DUTIES:
        duty = _duty(module_name, function_name)
        if duty is None:
            continue
        extra = {"charts": charts} if name == "digests" and charts is not None else {}
        try:
            done[name] = await duty(uow_factory=uow_factory, clock=clock, **extra)
        except Exception:  # one failing duty must not stop the others
            log.exception("sweep: %s failed; the next sweep tries again", name)
    if any(done.values()):
        log.info("sweep at %s: %s", clock.now().isoformat(), done)
    return done
