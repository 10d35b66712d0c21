"""Handlers of this feature's commands, listed in :mod:`bot.handlers`.

Each one loads what it needs, lets :mod:`bot.pilots.service` apply the rules and builds
the reply. The facade commits afterwards; an error raised anywhere changes nothing.
"""

from __future__ import annotations

from bot import commands as c
from bot.env import Env
from bot.errors import Invalid
from bot.help import help_message
from bot.i18n import _
from bot.messages import Block, Message
from bot.people import people_by_id, resolve_person, update_settings
from bot.pilots import checklist, kpis, messaging, replies, service
from bot.pilots.models import Pilot
from bot.polls.handlers import status_section as open_poll_section


async def _people(env: Env, pilot: Pilot) -> messaging.People:
    ids = {pilot.owner_id, *(m.person_id for m in pilot.committee)}
    ids |= {i.owner_id for i in pilot.items}
    return await people_by_id(env, ids)


async def help_(cmd: c.Help, env: Env) -> Message:
    return help_message(cmd.topic)


async def new_pilot(cmd: c.NewPilot, env: Env) -> Message:
    channel_id = cmd.channel.id if cmd.channel else env.caller.channel_id
    channel_name = cmd.channel.name if cmd.channel else env.caller.channel_name
    if not channel_id:
        raise Invalid(
            _('Name the steering channel: `new {key} "{name}" channel:#channel`.').format(
                key=cmd.key, name=cmd.name
            )
        )
    pilot = await service.create_pilot(
        env=env,
        key=cmd.key,
        name=cmd.name,
        owner=await service.resolve_owner(env, cmd.owner),
        channel_id=channel_id,
        channel_name=channel_name,
        golive=cmd.golive,
    )
    return replies.created(pilot, await _people(env, pilot))


async def list_pilots(cmd: c.ListPilots, env: Env) -> Message:
    assert env.workspace.id is not None
    pilots = await env.uow.pilots.list(
        env.workspace.id, stage=cmd.stage, person_id=env.person.id if cmd.mine else None
    )
    people = await people_by_id(env, {p.owner_id for p in pilots})
    return messaging.list_message(pilots, people)


async def status(cmd: c.Status, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    message = messaging.status_message(
        pilot, await _people(env, pilot), today=env.local_now().date(), now=env.clock.now()
    )
    extra: list[Block] = await open_poll_section(pilot, env)
    if not extra:
        return message
    # The extra sections go before the buttons, which stay last.
    blocks = message.blocks[:-1] + extra + message.blocks[-1:]
    return message.model_copy(update={"blocks": blocks})


async def set_stage(cmd: c.SetStage, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    old = await service.move_stage(env=env, pilot=pilot, stage=cmd.stage)
    return replies.stage_moved(pilot, old, env.person)


async def committee_add(cmd: c.CommitteeAdd, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    person = await resolve_person(env, cmd.person)
    moved = await service.add_member(
        env=env, pilot=pilot, person=person, role=cmd.role, voting=not cmd.observer
    )
    assert person.id is not None
    member = pilot.member(person.id)
    assert member is not None
    return replies.member_added(pilot, person, member, moved)


async def committee_remove(cmd: c.CommitteeRemove, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    person = await resolve_person(env, cmd.person)
    returned = await service.remove_member(env=env, pilot=pilot, person=person)
    owner = (await people_by_id(env, [pilot.owner_id])).get(pilot.owner_id)
    return replies.member_removed(pilot, person, returned, owner)


async def checklist_show(cmd: c.ChecklistShow, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    people = await _people(env, pilot)
    return messaging.checklist_message(pilot, people, today=env.local_now().date())


async def checklist_add(cmd: c.ChecklistAdd, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    owner = await resolve_person(env, cmd.owner) if cmd.owner else None
    item = await checklist.add_item(
        env=env,
        pilot=pilot,
        title=cmd.title,
        owner=owner,
        due=cmd.due,
        blocking=cmd.blocking,
        needs_evidence=cmd.evidence,
    )
    return replies.item_added(pilot, item, await _people(env, pilot))


async def checklist_done(cmd: c.ChecklistDone, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    item = await checklist.mark_done(env=env, pilot=pilot, number=cmd.number, evidence=cmd.evidence)
    return replies.item_done(pilot, item, env.person)


async def checklist_waive(cmd: c.ChecklistWaive, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    item = await checklist.waive(env=env, pilot=pilot, number=cmd.number, reason=cmd.reason)
    return replies.item_waived(pilot, item, env.person)


async def checklist_assign(cmd: c.ChecklistAssign, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    person = await resolve_person(env, cmd.person)
    previous = pilot.item(cmd.number)
    old_owner = previous.owner_id if previous else None
    item = await checklist.assign(env=env, pilot=pilot, number=cmd.number, person=person)
    old = (await people_by_id(env, [old_owner])).get(old_owner) if old_owner else None
    return replies.item_assigned(pilot, item, old, person)


async def checklist_due(cmd: c.ChecklistDue, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    old = await checklist.reschedule(env=env, pilot=pilot, number=cmd.number, due=cmd.due)
    item = pilot.item(cmd.number)
    assert item is not None
    return replies.item_rescheduled(pilot, item, old)


async def kpi_add(cmd: c.KpiAdd, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    kpi = await kpis.add_kpi(
        env=env,
        pilot=pilot,
        name=cmd.name,
        kind=cmd.kind,
        unit=cmd.unit,
        baseline=cmd.baseline,
        target=cmd.target,
        lower_is_better=cmd.lower_is_better,
    )
    return replies.kpi_added(pilot, kpi)


async def kpi_record(cmd: c.KpiRecord, env: Env) -> Message:
    pilot = await service.get_pilot(env, cmd.key)
    kpi = await kpis.record_measurement(
        env=env, pilot=pilot, name=cmd.name, value=cmd.value, at=cmd.at
    )
    day = cmd.at or env.local_now().date()
    return replies.kpi_recorded(pilot, kpi, cmd.value, day, env.person)


async def settings(cmd: c.Settings, env: Env) -> Message:
    person = await update_settings(
        env=env,
        timezone=cmd.timezone,
        hours=cmd.hours,
        weekend=cmd.weekend,
        language=cmd.language,
    )
    return replies.settings_shown(person, env.workspace.timezone, env.workspace.weekend)
