"""The reminder sweep: queue the overdue reminders, heads-ups and escalations due now."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.delivery.models import Conversation
from bot.delivery.service import Outgoing, enqueue, enqueue_many
from bot.messages import Message
from bot.pilots.models import Person, Workspace
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.reminders import messaging
from bot.reminders.models import DueItem, ReminderMark
from bot.reminders.planning import Planned, mark_key, plan_reminders

log = logging.getLogger(__name__)

# Heads-ups look ahead two working days; with a weekend of up to three days and time zones
# a day either side of UTC, a week covers every case.
HORIZON = timedelta(days=7)


async def send_due_reminders(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Queue every reminder due now; the number of messages queued.

    Each message is queued in its own short transaction, with its idempotency key (and the
    items' marks) under unique constraints, so a sweep killed halfway or run twice queues
    nothing twice.
    """
    now = clock.now()
    async with uow_factory() as uow:
        items = await uow.reminders.open_items_due_by((now + HORIZON).date())
        if not items:
            return 0
        people, workspaces = await _people_and_workspaces(uow, items)
        candidates = [mark_key(kind, i) for i in items for kind in ("headsup", "escalate")]
        marked = await uow.reminders.marked(candidates)
        planned = plan_reminders(
            items=items, people=people, workspaces=workspaces, now=now, marked=marked
        )
        already = await uow.outbox.existing_keys(p.key for p in planned)
    due = [plan for plan in planned if plan.key not in already]
    # Overdue lists carry no marks, only their key: queue them in bulk, a chunk a
    # transaction. Heads-ups and escalations record marks too, one plan a transaction.
    lists = [plan for plan in due if not plan.marks]
    queued = 0
    for start in range(0, len(lists), BULK):
        chunk = [_outgoing(plan, people) for plan in lists[start : start + BULK]]
        async with uow_factory() as uow:
            queued += len(await enqueue_many(uow, chunk, now=now))
            await uow.commit()
    for plan in due:
        if not plan.marks:
            continue
        message = _message(plan, people)
        async with uow_factory() as uow:
            if await _queue(uow, plan, message, now=now):
                await uow.commit()
                queued += 1
    return queued


BULK = 500


def _outgoing(plan: Planned, people: dict[int, Person]) -> Outgoing:
    to = Conversation(
        platform=plan.workspace.platform,
        workspace_id=plan.workspace.external_id,
        user_id=plan.person.external_id,
    )
    return Outgoing(plan.workspace, plan.key, to, _message(plan, people))


async def _people_and_workspaces(
    uow: UnitOfWork, items: list[DueItem]
) -> tuple[dict[int, Person], dict[int, Workspace]]:
    wanted = sorted({i.owner_id for i in items} | {i.business_owner_id for i in items})
    people = await uow.people.get_many(wanted)
    workspaces: dict[int, Workspace] = {}
    for workspace_id in sorted({p.workspace_id for p in people.values()}):
        workspace = await uow.workspaces.get(workspace_id)
        if workspace is not None:
            workspaces[workspace_id] = workspace
    known = {pid: p for pid, p in people.items() if p.workspace_id in workspaces}
    return known, workspaces


def _message(plan: Planned, people: dict[int, Person]) -> Message:
    if plan.kind == "remind":
        return messaging.overdue_reminder(plan)
    if plan.kind == "headsup":
        return messaging.heads_up(plan)
    return messaging.escalation(plan, people)


async def _queue(uow: UnitOfWork, plan: Planned, message: Message, *, now: datetime) -> bool:
    """Record the plan's marks and its outbox row; False (roll back) when another sweep
    got there first."""
    # Overdue lists have no marks: their outbox key (owner + local date) is enough.
    marked_items = plan.items if plan.marks else ()
    for item, key in zip(marked_items, plan.marks, strict=True):
        mark = ReminderMark(
            workspace_id=plan.workspace.stored_id,
            key=key,
            kind=plan.kind,
            item_id=item.item_id,
            created_at=now,
        )
        if not await uow.reminders.mark(mark):
            await uow.rollback()
            return False
    to = Conversation(
        platform=plan.workspace.platform,
        workspace_id=plan.workspace.external_id,
        user_id=plan.person.external_id,
    )
    added = await enqueue(
        uow, workspace=plan.workspace, key=plan.key, to=to, message=message, now=now
    )
    if not added:
        await uow.rollback()
    return added
