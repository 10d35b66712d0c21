"""Pilot use cases: find, create, move the stage, seat the committee; and the shared
checks (who may act) and audit trail of the checklist and KPI use cases.

Each function checks who may act, changes the domain objects through their own rules, and
writes an audit entry. The facade commits; any error raised here rolls everything back.
"""

from __future__ import annotations

import re
from datetime import date

from bot.env import Env
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.i18n import _
from bot.people import resolve_person
from bot.pilots.models import (
    AuditEntry,
    ChecklistItem,
    CommitteeMember,
    ItemEvent,
    Person,
    Pilot,
    Role,
    Stage,
    StageChange,
)
from bot.pilots.template import readiness_template, template_due_dates

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def person_id(person: Person) -> int:
    assert person.id is not None, "people are flushed before use"
    return person.id


async def get_pilot(env: Env, key: str) -> Pilot:
    """The workspace's pilot ``key``, or a NotFound naming it."""
    assert env.workspace.id is not None
    pilot = await env.uow.pilots.get_by_key(env.workspace.id, key.lower())
    if pilot is None:
        raise NotFound(
            _("No pilot `{key}` in this workspace. `list` shows the pilots.").format(key=key)
        )
    return pilot


def is_owner(env: Env, pilot: Pilot) -> bool:
    return env.caller.is_admin or pilot.owner_id == env.person.id


async def require_owner(env: Env, pilot: Pilot, action: str) -> None:
    """Refuse unless the caller is the business owner or a workspace admin; ``action``
    completes "Only ... can ___."."""
    if is_owner(env, pilot):
        return
    owner = await env.uow.people.get(pilot.owner_id)
    raise Forbidden(
        _("Only the business owner (@{owner}) or a workspace admin can {action}.").format(
            owner=owner.name if owner else "?", action=action
        )
    )


async def audit(env: Env, pilot: Pilot, action: str, subject: str, detail: str = "") -> None:
    """Record who changed what, and mark the pilot active."""
    now = env.clock.now()
    pilot.last_activity_at = now
    assert env.workspace.id is not None
    await env.uow.audit.add(
        AuditEntry(
            workspace_id=env.workspace.id,
            actor_id=env.person.id,
            action=action,
            subject=subject,
            at=now,
            detail=detail,
        )
    )


def item_subject(pilot: Pilot, item: ChecklistItem) -> str:
    return f"item:{pilot.key}#{item.number}"


async def create_pilot(
    *,
    env: Env,
    key: str,
    name: str,
    owner: Person,
    channel_id: str,
    channel_name: str | None,
    golive: date | None,
) -> Pilot:
    """A new pilot in the POC stage with its owner on the committee and the readiness
    checklist assigned to them."""
    assert env.workspace.id is not None
    if not KEY_PATTERN.match(key):
        raise Invalid(
            _("A pilot key is 2-40 lowercase letters, digits and dashes, like `churn-model`.")
        )
    if not name.strip():
        raise Invalid(_("The pilot needs a name."))
    if await env.uow.pilots.get_by_key(env.workspace.id, key) is not None:
        raise Conflict(_("A pilot with the key `{key}` already exists.").format(key=key))
    now = env.clock.now()
    today = env.local_now(owner).date()
    if golive is not None and golive <= today:
        raise Invalid(_("The go-live target must be after today."))
    pilot = Pilot(
        workspace_id=env.workspace.id,
        key=key,
        name=name.strip(),
        owner_id=person_id(owner),
        channel_id=channel_id,
        channel_name=channel_name,
        golive_target=golive,
        stage=Stage.POC,
        stage_since=now,
        created_at=now,
        last_activity_at=now,
    )
    pilot.committee.append(CommitteeMember(person_id=person_id(owner), role=Role.BUSINESS))
    template = readiness_template()
    for number, ((title, role), due) in enumerate(
        zip(template, template_due_dates(today, golive, len(template)), strict=True), start=1
    ):
        pilot.items.append(
            ChecklistItem(
                number=number,
                title=title,
                category=role.value,
                owner_id=pilot.holder_of(role),
                due=due,
                blocking=True,
                needs_evidence=True,
                created_at=now,
                events=[ItemEvent(kind="created", at=now, by_id=env.person.id)],
            )
        )
    await env.uow.pilots.add(pilot)
    await env.uow.flush()
    assert pilot.id is not None
    env.uow.add(
        StageChange(
            pilot_id=pilot.id, from_stage=None, to_stage=Stage.POC, at=now, by_id=env.person.id
        )
    )
    await audit(env, pilot, "pilot.create", f"pilot:{key}", f"owner={owner.external_id}")
    return pilot


async def move_stage(*, env: Env, pilot: Pilot, stage: Stage) -> Stage:
    """Move the pilot to ``stage`` (any stage, ``stopped`` from anywhere); returns the old."""
    await require_owner(env, pilot, _("move the stage"))
    if pilot.stage == stage:
        raise Conflict(_("{key} is already in {stage}.").format(key=pilot.key, stage=stage))
    old, now = pilot.stage, env.clock.now()
    assert pilot.id is not None
    env.uow.add(
        StageChange(pilot_id=pilot.id, from_stage=old, to_stage=stage, at=now, by_id=env.person.id)
    )
    pilot.stage, pilot.stage_since = stage, now
    await audit(env, pilot, "pilot.stage", f"pilot:{pilot.key}", f"{old}->{stage}")
    return old


async def add_member(
    *, env: Env, pilot: Pilot, person: Person, role: Role, voting: bool
) -> list[ChecklistItem]:
    """Seat ``person`` with ``role``; open template items of that role still held by the
    business owner move to them. Returns the items that moved."""
    await require_owner(env, pilot, _("change the committee"))
    seat = pilot.member(person_id(person))
    if seat is not None:
        raise Conflict(
            _("@{name} is already on the committee ({role}).").format(
                name=person.name, role=seat.role
            )
        )
    pilot.committee.append(CommitteeMember(person_id=person_id(person), role=role, voting=voting))
    moved = []
    if role != Role.BUSINESS:
        now = env.clock.now()
        for item in pilot.items:
            if item.is_open and item.category == role and item.owner_id == pilot.owner_id:
                item.assign(person_id(person), at=now, by_id=env.person.id)
                moved.append(item)
    detail = f"{person.external_id} {role}{'' if voting else ' observer'}"
    await audit(env, pilot, "committee.add", f"pilot:{pilot.key}", detail)
    return moved


async def remove_member(*, env: Env, pilot: Pilot, person: Person) -> list[ChecklistItem]:
    """Unseat ``person``; their open items return to the business owner (returned)."""
    await require_owner(env, pilot, _("change the committee"))
    if person.id == pilot.owner_id:
        raise Invalid(
            _("@{name} is the business owner and stays on the committee.").format(name=person.name)
        )
    seat = pilot.member(person_id(person))
    if seat is None:
        raise NotFound(
            _("@{name} is not on the committee of {key}.").format(name=person.name, key=pilot.key)
        )
    pilot.committee.remove(seat)
    now = env.clock.now()
    returned = [i for i in pilot.items if i.is_open and i.owner_id == person.id]
    for item in returned:
        item.assign(pilot.owner_id, at=now, by_id=env.person.id)
    await audit(env, pilot, "committee.remove", f"pilot:{pilot.key}", person.external_id)
    return returned


async def resolve_owner(env: Env, user_id: str | None) -> Person:
    """The person named by ``owner:``, else the caller."""
    return env.person if user_id is None else await resolve_person(env, user_id)
