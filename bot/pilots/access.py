"""Who may act on a pilot: the rules every feature's handlers share."""

from __future__ import annotations

from bot.actor import Actor
from bot.errors import Forbidden, NotFound
from bot.i18n import _
from bot.pilots.models import ChecklistItem, Pilot
from bot.ports import UnitOfWork


def no_such_pilot(key: str) -> NotFound:
    return NotFound(
        _("No pilot `{key}` in this workspace. `list` shows the pilots.").format(key=key)
    )


async def get_pilot(*, uow: UnitOfWork, actor: Actor, key: str) -> Pilot:
    """The actor's workspace's pilot ``key``, or a NotFound naming it."""
    pilot = await uow.pilots.get_by_key(actor.workspace_id, key.lower())
    if pilot is None:
        raise no_such_pilot(key)
    return pilot


def is_owner(actor: Actor, pilot: Pilot) -> bool:
    """The business owner, or a workspace admin (who may do anything an owner may)."""
    return actor.is_admin or pilot.owner_id == actor.person.id


async def require_owner(*, uow: UnitOfWork, actor: Actor, pilot: Pilot, action: str) -> None:
    """Refuse unless the actor is the business owner or a workspace admin; ``action``
    completes "Only ... can ___."."""
    if is_owner(actor, pilot):
        return
    owner = await uow.people.get(pilot.owner_id)
    raise Forbidden(
        _("Only the business owner (@{owner}) or a workspace admin can {action}.").format(
            owner=owner.name if owner else "?", action=action
        )
    )


async def require_item_owner(
    *, uow: UnitOfWork, actor: Actor, pilot: Pilot, item: ChecklistItem, action: str
) -> None:
    """Refuse unless the actor holds ``item``, is the business owner or a workspace admin;
    ``action`` completes "Only ... can ___."."""
    if item.owner_id == actor.person_id or is_owner(actor, pilot):
        return
    people = await uow.people.get_many([item.owner_id, pilot.owner_id])
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


def require_kpi_recorder(actor: Actor, pilot: Pilot) -> None:
    """Refuse unless the actor sits on the committee or is a workspace admin: who may
    record KPI measurements."""
    if pilot.member(actor.person_id) is None and not actor.is_admin:
        raise Forbidden(
            _("Only members of the {key} committee or a workspace admin can record KPIs.").format(
                key=pilot.key
            )
        )
