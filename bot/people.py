"""People named in commands: found, or created on first mention."""

from __future__ import annotations

from collections.abc import Iterable

from bot.actor import Actor
from bot.pilots.models import Person
from bot.ports import UnitOfWork


async def resolve_person(*, uow: UnitOfWork, actor: Actor, user_id: str) -> Person:
    """The workspace's person with platform id ``user_id``, created on first mention: named
    from what their platform said before the transaction (``actor.looked_up``), else by
    the id alone. No platform is asked here: a transaction is open."""
    if user_id == actor.person.external_id:
        return actor.person
    found = await uow.people.get_by_external(actor.workspace_id, user_id)
    if found is not None:
        return found
    info = actor.looked_up.get(user_id)
    person = Person(
        workspace_id=actor.workspace_id,
        external_id=user_id,
        name=info.name if info is not None and info.name else user_id,
        timezone=info.timezone if info is not None else None,
        locale=info.locale if info is not None else None,
    )
    await uow.people.add(person)
    await uow.flush()
    return person


async def people_by_id(
    *, uow: UnitOfWork, actor: Actor, person_ids: Iterable[int]
) -> dict[int, Person]:
    """Several people at once, by row id (the actor's own row as the actor holds it)."""
    wanted = sorted(set(person_ids))
    found = dict(await uow.people.get_many(wanted)) if wanted else {}
    if actor.person_id in wanted:
        found[actor.person_id] = actor.person
    return found
