"""The forms buttons open, built again by name when a platform asks for one.

Teams and the console show a button's form with its message. A Slack button carries at
most 2000 characters, so it carries only the form's draft and name, and Slack asks the
core for the form when the button is pressed (:meth:`bot.service.Golive.form`). Each
builder here loads what its form shows (an item's title, whether it needs evidence) and
builds it with the same function the message used, so both are the same form.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from bot import commands as c
from bot.actions import Draft, refusal
from bot.actor import Actor
from bot.clock import Clock
from bot.errors import NotFound
from bot.i18n import _
from bot.messages import Form
from bot.pilots import messaging as pilots
from bot.pilots.access import get_pilot
from bot.pilots.models import ChecklistItem, Pilot
from bot.polls import messaging as polls
from bot.ports import UnitOfWork
from bot.reminders import messaging as reminders


class FormBuilder(Protocol):
    def __call__(
        self, draft: Draft, /, *, uow: UnitOfWork, actor: Actor, clock: Clock
    ) -> Awaitable[Form]: ...


def _field(draft: Draft, kind: type[c.Command], name: str, of: type[Any]) -> Any:
    """A field the draft of a ``kind`` form must fix, of type ``of``; else a refusal."""
    value = draft.fields.get(name)
    if draft.command is not kind or type(value) is not of:
        raise refusal()
    return value


async def _item(
    draft: Draft, kind: type[c.Command], *, uow: UnitOfWork, actor: Actor
) -> tuple[Pilot, ChecklistItem]:
    key = _field(draft, kind, "key", str)
    number = _field(draft, kind, "number", int)
    pilot = await get_pilot(uow=uow, actor=actor, key=key)
    item = pilot.item(number)
    if item is None:
        raise NotFound(
            _("Pilot {key} has no item {n}; `checklist {key}` shows them.").format(
                key=pilot.key, n=number
            )
        )
    return pilot, item


async def vote_condition(draft: Draft, /, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Form:
    return polls.condition_form(_field(draft, c.CastVote, "key", str))


async def vote_reason(draft: Draft, /, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Form:
    return polls.reason_form(_field(draft, c.CastVote, "key", str))


async def checklist_done(draft: Draft, /, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Form:
    pilot, item = await _item(draft, c.ChecklistDone, uow=uow, actor=actor)
    return pilots.done_form(pilot, item)


async def reminder_done(draft: Draft, /, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Form:
    pilot, item = await _item(draft, c.ChecklistDone, uow=uow, actor=actor)
    return reminders.done_form(pilot.key, item.number, item.title)


async def reminder_snooze(draft: Draft, /, *, uow: UnitOfWork, actor: Actor, clock: Clock) -> Form:
    pilot, item = await _item(draft, c.ChecklistDue, uow=uow, actor=actor)
    today = actor.local_now(clock).date()
    return reminders.snooze_form(pilot.key, item.number, item.title, today)


BUILDERS: dict[str, FormBuilder] = {
    polls.CONDITION_FORM: vote_condition,
    polls.REASON_FORM: vote_reason,
    pilots.DONE_FORM: checklist_done,
    reminders.DONE_FORM: reminder_done,
    reminders.SNOOZE_FORM: reminder_snooze,
}
"""Every form a button opens, by name (a test checks each is built as its message built it)."""
