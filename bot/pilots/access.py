"""Who may read and act on a pilot: the rules every feature's handlers share.

Who may read a pilot: its business owner, committee members and item holders, the members
of its steering channel, and workspace admins. Everyone else is told there is no such
pilot, exactly as for a key that does not exist, and `list` leaves it out: a private
steering channel keeps its pilots private. Whether someone can read a channel is their
platform's to say (a public Slack channel: every member of the workspace); the facade asks
it before the command's transaction opens (:class:`AskPlatformFirst`), never inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.actor import Actor
from bot.errors import Forbidden, NotFound
from bot.i18n import _
from bot.pilots.models import ChecklistItem, Pilot
from bot.ports import UnitOfWork


class AskPlatformFirst(Exception):
    """Whether the caller can read these steering channels is their platform's to say: the
    facade asks it with no transaction open, then runs the command again."""

    def __init__(self, channel_ids: Iterable[str]) -> None:
        self.channel_ids = frozenset(channel_ids)
        super().__init__(sorted(self.channel_ids))


def no_such_pilot(key: str) -> NotFound:
    return NotFound(
        _("No pilot `{key}` in this workspace. `list` shows the pilots.").format(key=key)
    )


def is_named(actor: Actor, pilot: Pilot) -> bool:
    """The pilot names the actor: its business owner, a committee member, the holder of
    one of its checklist items."""
    me = actor.person_id
    return (
        pilot.owner_id == me
        or pilot.member(me) is not None
        or any(item.owner_id == me for item in pilot.items)
    )


def can_read_channel(actor: Actor, channel_id: str) -> bool:
    """A workspace admin reads every channel; anyone else, what their platform says they
    can read. Raises :class:`AskPlatformFirst` when it has not been asked yet."""
    if actor.is_admin:
        return True
    reads = actor.channels.can_read(channel_id)
    if reads is None:
        raise AskPlatformFirst([channel_id])
    return reads


def may_read(actor: Actor, pilot: Pilot) -> bool:
    """Whether the actor may read the pilot (see the module's docstring)."""
    return is_named(actor, pilot) or can_read_channel(actor, pilot.channel_id)


def readable(actor: Actor, pilots: Sequence[Pilot]) -> list[Pilot]:
    """Those of ``pilots`` the actor may read, in order; the platform is asked about all
    the channels it must answer for at once."""
    unknown = {
        pilot.channel_id
        for pilot in pilots
        if not actor.is_admin
        and not is_named(actor, pilot)
        and actor.channels.can_read(pilot.channel_id) is None
    }
    if unknown:
        raise AskPlatformFirst(unknown)
    return [pilot for pilot in pilots if may_read(actor, pilot)]


def require_reader(actor: Actor, pilot: Pilot, *, key: str) -> None:
    """Refuse, as for an unknown key, unless the actor may read the pilot."""
    if not may_read(actor, pilot):
        raise no_such_pilot(key)


async def get_pilot(*, uow: UnitOfWork, actor: Actor, key: str) -> Pilot:
    """The actor's workspace's pilot ``key`` if the actor may read it, else a NotFound
    naming the key, the same whether the pilot does not exist or may not be read: every
    command on a pilot, reading or writing, starts here."""
    pilot = await uow.pilots.get_by_key(actor.workspace_id, key.lower())
    if pilot is None:
        raise no_such_pilot(key)
    require_reader(actor, pilot, key=key)
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
