"""Checklist use cases: add, close, waive, reassign and reschedule items."""

from __future__ import annotations

from datetime import date

from bot.env import Env
from bot.errors import Forbidden, Invalid, NotFound
from bot.i18n import _
from bot.pilots.models import ChecklistItem, ItemEvent, Person, Pilot
from bot.pilots.service import audit, is_owner, item_subject, person_id, require_owner


def _item(pilot: Pilot, number: int) -> ChecklistItem:
    item = pilot.item(number)
    if item is None:
        raise NotFound(
            _("Pilot {key} has no item {n}; `checklist {key}` shows them.").format(
                key=pilot.key, n=number
            )
        )
    return item


async def add_item(
    *,
    env: Env,
    pilot: Pilot,
    title: str,
    owner: Person | None,
    due: date | None,
    blocking: bool,
    needs_evidence: bool,
) -> ChecklistItem:
    """Append an item (owned by the business owner unless said otherwise)."""
    await require_owner(env, pilot, _("add checklist items"))
    if not title.strip():
        raise Invalid(_("The item needs a title."))
    now = env.clock.now()
    owner_id = person_id(owner) if owner is not None else pilot.owner_id
    if due is not None and due < env.local_now().date():
        raise Invalid(_("The due date is in the past; pick today or later."))
    item = ChecklistItem(
        number=pilot.next_item_number(),
        title=title.strip(),
        category="general",
        owner_id=owner_id,
        due=due,
        blocking=blocking,
        needs_evidence=needs_evidence,
        created_at=now,
        events=[ItemEvent(kind="created", at=now, by_id=env.person.id)],
    )
    pilot.items.append(item)
    await audit(env, pilot, "checklist.add", item_subject(pilot, item), item.title)
    return item


async def _require_item_owner(env: Env, pilot: Pilot, item: ChecklistItem, action: str) -> None:
    if item.owner_id == env.person.id or is_owner(env, pilot):
        return
    people = await env.uow.people.get_many([item.owner_id, pilot.owner_id])
    raise Forbidden(
        _(
            "Only the item's owner (@{item_owner}), the business owner (@{owner}) "
            "or a workspace admin can {action}."
        ).format(
            item_owner=people[item.owner_id].name if item.owner_id in people else "?",
            owner=people[pilot.owner_id].name if pilot.owner_id in people else "?",
            action=action,
        )
    )


async def mark_done(*, env: Env, pilot: Pilot, number: int, evidence: str | None) -> ChecklistItem:
    """Close item ``number``, with evidence when the item needs it."""
    item = _item(pilot, number)
    await _require_item_owner(env, pilot, item, _("mark item {n} done").format(n=number))
    item.mark_done(evidence=evidence, at=env.clock.now(), by_id=env.person.id, key=pilot.key)
    await audit(env, pilot, "checklist.done", item_subject(pilot, item), item.evidence or "")
    return item


async def waive(*, env: Env, pilot: Pilot, number: int, reason: str) -> ChecklistItem:
    """Close item ``number`` without doing it, for a stated reason."""
    item = _item(pilot, number)
    await require_owner(env, pilot, _("waive checklist items"))
    item.waive(reason=reason, at=env.clock.now(), by_id=env.person.id)
    await audit(env, pilot, "checklist.waive", item_subject(pilot, item), reason)
    return item


async def assign(*, env: Env, pilot: Pilot, number: int, person: Person) -> ChecklistItem:
    """Give item ``number`` to ``person``."""
    item = _item(pilot, number)
    await require_owner(env, pilot, _("reassign checklist items"))
    item.assign(person_id(person), at=env.clock.now(), by_id=env.person.id)
    await audit(env, pilot, "checklist.assign", item_subject(pilot, item), person.external_id)
    return item


async def reschedule(*, env: Env, pilot: Pilot, number: int, due: date) -> date | None:
    """Move item ``number``'s due date, recording the slip; returns the old date."""
    item = _item(pilot, number)
    await _require_item_owner(
        env, pilot, item, _("change the due date of item {n}").format(n=number)
    )
    old = item.due
    item.reschedule(due, today=env.local_now().date(), at=env.clock.now(), by_id=env.person.id)
    detail = f"{old.isoformat() if old else '-'}->{due.isoformat()}"
    await audit(env, pilot, "checklist.due", item_subject(pilot, item), detail)
    return old
