"""People named in commands: found, or created on first mention."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.env import Env
from bot.errors import Invalid
from bot.i18n import _
from bot.pilots.models import AuditEntry, Person


async def resolve_person(env: Env, user_id: str) -> Person:
    """The workspace's person with platform id ``user_id``, created on first mention
    (named from the platform's directory when it knows them, else by the id itself)."""
    workspace_id = env.workspace.id
    assert workspace_id is not None
    if user_id == env.person.external_id:
        return env.person
    found = await env.uow.people.get_by_external(workspace_id, user_id)
    if found is not None:
        return found
    info = (env.looked_up or {}).get(user_id)
    person = Person(
        workspace_id=workspace_id,
        external_id=user_id,
        name=info.name if info is not None and info.name else user_id,
        timezone=info.timezone if info is not None else None,
        locale=info.locale if info is not None else None,
    )
    await env.uow.people.add(person)
    await env.uow.flush()
    return person


async def people_by_id(env: Env, person_ids: Iterable[int]) -> dict[int, Person]:
    """Several people at once, by row id (the caller's row included)."""
    wanted: Sequence[int] = sorted(set(person_ids))
    found = dict(await env.uow.people.get_many(wanted)) if wanted else {}
    if env.person.id is not None and env.person.id in wanted:
        found[env.person.id] = env.person
    return found


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")


def weekend_days(weekend: str) -> frozenset[int]:
    """Weekday numbers (0 = Monday) of a ``day-day`` or single-day weekend."""
    parts = weekend.strip().lower().split("-")
    if not 1 <= len(parts) <= 2 or any(p[:3] not in DAYS for p in parts):
        raise Invalid(_("A weekend is one or two days, like `sat-sun` or `fri-sat`."))
    first, last = DAYS.index(parts[0][:3]), DAYS.index(parts[-1][:3])
    if len(parts) == 2 and (last - first) % 7 != 1:
        raise Invalid(_("A weekend is one or two days, like `sat-sun` or `fri-sat`."))
    return frozenset({first, last})


async def update_settings(
    *,
    env: Env,
    timezone: str | None,
    hours: tuple[time, time] | None,
    weekend: str | None,
    language: str | None,
) -> Person:
    """Change the caller's own settings; each value is checked before anything changes."""
    person = env.person
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(
                _("{zone} is not a time zone; use an IANA name like Asia/Dubai.").format(
                    zone=timezone
                )
            ) from None
    if hours is not None and hours[0] >= hours[1]:
        raise Invalid(_("Working hours must end after they start, like `hours:09-17`."))
    if weekend is not None:
        weekend_days(weekend)
    if language is not None and not LANGUAGE.match(language):
        raise Invalid(_("A language is a code like `en` or `ar`."))
    if timezone is not None:
        person.timezone = timezone
    if hours is not None:
        person.work_start, person.work_end = hours
    if weekend is not None:
        person.weekend = "-".join(p[:3] for p in weekend.strip().lower().split("-"))
    if language is not None:
        person.locale = language.replace("_", "-")
    changed = [
        n
        for n, v in (("tz", timezone), ("hours", hours), ("weekend", weekend), ("lang", language))
        if v is not None
    ]
    if changed:
        assert env.workspace.id is not None
        await env.uow.audit.add(
            AuditEntry(
                workspace_id=env.workspace.id,
                actor_id=person.id,
                action="person.settings",
                subject=f"person:{person.external_id}",
                at=env.clock.now(),
                detail=" ".join(changed),
            )
        )
    return person
