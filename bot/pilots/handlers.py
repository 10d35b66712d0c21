"""The pilots feature's use cases, listed in :mod:`bot.handlers`.

Each loads the pilot, checks who may act (:mod:`bot.pilots.access`), lets the aggregate
apply its rules (:mod:`bot.pilots.models`) and renders the reply (:mod:`bot.pilots.messaging`).
The facade commits when it returns; an error raised anywhere changes nothing.
"""

from __future__ import annotations

from bot import commands as c
from bot.actor import Actor
from bot.clock import Clock
from bot.errors import Invalid
from bot.help import help_message
from bot.i18n import _
from bot.messages import Message
from bot.people import people_by_id, resolve_person
from bot.pilots import messaging
from bot.pilots.access import (
    get_pilot,
    readable,
    require_item_owner,
    require_kpi_recorder,
    require_owner,
)
from bot.pilots.models import Pilot
from bot.polls.handlers import status_section as open_poll_section
from bot.ports import UnitOfWork


async def _people(uow: UnitOfWork, actor: Actor, pilot: Pilot) -> messaging.People:
    """The owner, the committee and the checklist's item owners."""
    ids = {pilot.owner_id, *(m.person_id for m in pilot.committee)}
    ids |= {i.owner_id for i in pilot.items}
    return await people_by_id(uow=uow, actor=actor, person_ids=ids)


async def help_(cmd: c.Help, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    return help_message(cmd.topic)


async def new_pilot(cmd: c.NewPilot, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    channel_id = cmd.channel.id if cmd.channel else actor.caller.channel_id
    channel_name = cmd.channel.name if cmd.channel else actor.caller.channel_name
    if not channel_id:
        raise Invalid(
            _('Name the steering channel: `new {key} "{name}" channel:#channel`.').format(
                key=cmd.key, name=cmd.name
            )
        )
    owner = actor.person
    if cmd.owner is not None:
        owner = await resolve_person(uow=uow, actor=actor, user_id=cmd.owner)
    now = clock.now()
    pilot = Pilot.new(
        workspace_id=actor.workspace_id,
        key=cmd.key,
        name=cmd.name,
        owner=owner,
        channel_id=channel_id,
        channel_name=channel_name,
        golive=cmd.golive,
        key_taken=await uow.pilots.get_by_key(actor.workspace_id, cmd.key) is not None,
        today=actor.local_now(clock, owner).date(),
        at=now,
        by_id=actor.person_id,
    )
    await uow.pilots.add(pilot)
    await uow.flush()  # the pilot's id, which its first stage record names
    pilot.record_creation(owner=owner, at=now, by_id=actor.person_id)
    return messaging.created(pilot, await _people(uow, actor, pilot))


async def list_pilots(cmd: c.ListPilots, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    listed = await uow.pilots.list(
        actor.workspace_id, stage=cmd.stage, person_id=actor.person_id if cmd.mine else None
    )
    pilots = readable(actor, listed)
    people = await people_by_id(uow=uow, actor=actor, person_ids={p.owner_id for p in pilots})
    return messaging.list_message(pilots, people)


async def status(cmd: c.Status, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    people = await _people(uow, actor, pilot)
    message = messaging.status_message(
        pilot, people, today=actor.local_now(clock).date(), now=clock.now()
    )
    extra = await open_poll_section(uow=uow, actor=actor, pilot=pilot)
    if not extra:
        return message
    # The extra sections go before the buttons, which stay last.
    blocks = message.blocks[:-1] + extra + message.blocks[-1:]
    return message.model_copy(update={"blocks": blocks})


async def set_stage(cmd: c.SetStage, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("move the stage"))
    old = pilot.set_stage(cmd.stage, at=clock.now(), by_id=actor.person_id)
    return messaging.stage_moved(pilot, old, actor.person)


async def committee_add(
    cmd: c.CommitteeAdd, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    person = await resolve_person(uow=uow, actor=actor, user_id=cmd.person)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("change the committee"))
    moved = pilot.seat(
        person, cmd.role, voting=not cmd.observer, at=clock.now(), by_id=actor.person_id
    )
    return messaging.member_added(pilot, person, cmd.role, not cmd.observer, moved)


async def committee_remove(
    cmd: c.CommitteeRemove, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    person = await resolve_person(uow=uow, actor=actor, user_id=cmd.person)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("change the committee"))
    returned = pilot.unseat(person, at=clock.now(), by_id=actor.person_id)
    owner = await people_by_id(uow=uow, actor=actor, person_ids=[pilot.owner_id])
    return messaging.member_removed(pilot, person, returned, owner.get(pilot.owner_id))


async def checklist_show(
    cmd: c.ChecklistShow, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    people = await _people(uow, actor, pilot)
    return messaging.checklist_message(pilot, people, today=actor.local_now(clock).date())


async def checklist_add(
    cmd: c.ChecklistAdd, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    owner = None
    if cmd.owner:
        owner = await resolve_person(uow=uow, actor=actor, user_id=cmd.owner)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("add checklist items"))
    item = pilot.add_item(
        cmd.title,
        owner=owner,
        due=cmd.due,
        blocking=cmd.blocking,
        needs_evidence=cmd.evidence,
        today=actor.local_now(clock).date(),
        at=clock.now(),
        by_id=actor.person_id,
    )
    return messaging.item_added(pilot, item, await _people(uow, actor, pilot))


async def checklist_done(
    cmd: c.ChecklistDone, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    item = pilot.checklist_item(cmd.number)
    action = _("mark item {n} done").format(n=cmd.number)
    await require_item_owner(uow=uow, actor=actor, pilot=pilot, item=item, action=action)
    pilot.mark_done(cmd.number, evidence=cmd.evidence, at=clock.now(), by_id=actor.person_id)
    return messaging.item_done(pilot, item, actor.person)


async def checklist_waive(
    cmd: c.ChecklistWaive, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    item = pilot.checklist_item(cmd.number)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("waive checklist items"))
    pilot.waive(cmd.number, reason=cmd.reason, at=clock.now(), by_id=actor.person_id)
    return messaging.item_waived(pilot, item, actor.person)


async def checklist_assign(
    cmd: c.ChecklistAssign, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    person = await resolve_person(uow=uow, actor=actor, user_id=cmd.person)
    item = pilot.checklist_item(cmd.number)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("reassign checklist items"))
    was = item.owner_id
    pilot.assign(cmd.number, person, at=clock.now(), by_id=actor.person_id)
    old = await people_by_id(uow=uow, actor=actor, person_ids=[was])
    return messaging.item_assigned(pilot, item, old.get(was), person)


async def checklist_due(
    cmd: c.ChecklistDue, *, uow: UnitOfWork, actor: Actor, clock: Clock
) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    item = pilot.checklist_item(cmd.number)
    action = _("change the due date of item {n}").format(n=cmd.number)
    await require_item_owner(uow=uow, actor=actor, pilot=pilot, item=item, action=action)
    was = item.due
    today = actor.local_now(clock).date()
    pilot.reschedule(cmd.number, cmd.due, today=today, at=clock.now(), by_id=actor.person_id)
    return messaging.item_rescheduled(pilot, item, was)


async def kpi_add(cmd: c.KpiAdd, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    await require_owner(uow=uow, actor=actor, pilot=pilot, action=_("define KPIs"))
    kpi = pilot.add_kpi(
        cmd.name,
        kind=cmd.kind,
        unit=cmd.unit,
        baseline=cmd.baseline,
        target=cmd.target,
        lower_is_better=cmd.lower_is_better,
        at=clock.now(),
        by_id=actor.person_id,
    )
    return messaging.kpi_added(pilot, kpi)


async def kpi_record(cmd: c.KpiRecord, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    pilot = await get_pilot(uow=uow, actor=actor, key=cmd.key)
    require_kpi_recorder(actor, pilot)
    today = actor.local_now(clock).date()
    kpi = pilot.record_kpi(
        cmd.name, cmd.value, on=cmd.at, today=today, at=clock.now(), by_id=actor.person_id
    )
    return messaging.kpi_recorded(pilot, kpi, cmd.value, cmd.at or today, actor.person)


async def settings(cmd: c.Settings, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Message:
    actor.person.change_settings(
        timezone=cmd.timezone,
        hours=cmd.hours,
        weekend=cmd.weekend,
        language=cmd.language,
        at=clock.now(),
    )
    workspace = actor.workspace
    return messaging.settings_shown(actor.person, workspace.timezone, workspace.weekend)
