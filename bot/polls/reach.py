"""Eligible voters golive cannot message directly: warned about when a poll opens.

Such a voter gets no reminder to vote and no direct answer to a button; the owner can only
fix it by asking them to do what their platform needs (the gateway says what, since only it
knows). Platforms whose gateway cannot tell, or reaches everyone, add nothing.

The platform is asked after the poll is committed: no platform call while a transaction is
open, and a platform that fails to answer costs only the warning, never the poll.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.delivery.models import Conversation
from bot.delivery.ports import Reachability
from bot.delivery.service import enqueue
from bot.i18n import _
from bot.messages import Block, Mention, Message, Paragraph, Span, bold, spans
from bot.pilots.models import Person, Workspace
from bot.polls.messaging import View
from bot.ports import UnitOfWork

log = logging.getLogger(__name__)


def owner_notice_key(workspace_external_id: str, person_external_id: str) -> str:
    """One notice per unreachable person, ever: the owner is not told twice."""
    return f"unreachable:{workspace_external_id}:{person_external_id}"


async def unreachable_voters(
    *, reachability: Reachability, workspace: Workspace, view: View
) -> list[Person]:
    """The poll's eligible voters golive cannot send a direct message to."""
    voters = [view.people[v.person_id] for v in view.poll.voters if v.person_id in view.people]
    try:
        missing = set(
            await reachability.unreachable(workspace.external_id, [p.external_id for p in voters])
        )
    except Exception:
        # A warning that cannot be worked out must not refuse the poll it is about.
        log.warning("could not tell which voters golive can reach", exc_info=True)
        return []
    return [p for p in voters if p.external_id in missing]


def _mention(person: Person) -> Mention:
    return Mention(user_id=person.external_id, name=person.name)


def _people(people: list[Person]) -> list[Span]:
    parts: list[Span] = []
    for index, person in enumerate(people):
        if index:
            parts += spans(", ")
        parts.append(_mention(person))
    return parts


def warning(people: list[Person], fix: str) -> list[Block]:
    """The block added to the owner's reply, naming who cannot be reached and the fix."""
    if not people:
        return []
    return [
        Paragraph(
            spans=[
                bold(_("Heads-up: ")),
                *spans(_("golive cannot send direct messages to ")),
                *_people(people),
                *spans(
                    " ("
                    + _("they will get no reminder to vote, nor any other direct message")
                    + "). "
                    + fix
                ),
            ]
        )
    ]


async def tell_owner(
    uow: UnitOfWork,
    *,
    workspace: Workspace,
    view: View,
    people: list[Person],
    fix: str,
    now: datetime,
) -> int:
    """Queue one direct message to the business owner per unreachable voter, ever;
    how many were queued."""
    owner = view.people.get(view.pilot.owner_id)
    if owner is None:
        return 0
    to = Conversation(
        platform=workspace.platform,
        workspace_id=workspace.external_id,
        user_id=owner.external_id,
    )
    queued = 0
    for person in people:
        if person.id == owner.id:
            continue  # the owner cannot be told by the very channel that fails
        text = _(
            "golive cannot send direct messages to {name}, an eligible voter on {pilot}: "
            "they will get no poll reminders or other direct messages."
        ).format(name=person.name, pilot=view.pilot.name)
        message = Message(
            text=f"{text} {fix}",
            blocks=[
                Paragraph(
                    spans=[
                        *spans(_("golive cannot send direct messages to ")),
                        _mention(person),
                        *spans(
                            _(
                                ", an eligible voter on {pilot}: they will get no poll "
                                "reminders or other direct messages."
                            ).format(pilot=view.pilot.name)
                        ),
                    ]
                ),
                Paragraph(spans=spans(fix)),
            ],
        )
        key = owner_notice_key(workspace.external_id, person.external_id)
        if await enqueue(uow, workspace=workspace, key=key, to=to, message=message, now=now):
            queued += 1
    return queued


async def check_voters(
    uow: UnitOfWork,
    *,
    reachability: Reachability | None,
    workspace: Workspace,
    view: View,
    now: datetime,
) -> list[Block]:
    """Warn about the voters golive cannot reach: the owner's reply gets a warning block
    (returned) and the business owner a direct message per person, once."""
    if reachability is None:
        return []
    people = await unreachable_voters(reachability=reachability, workspace=workspace, view=view)
    if not people:
        return []
    fix = reachability.reach_fix()
    await tell_owner(uow, workspace=workspace, view=view, people=people, fix=fix, now=now)
    return warning(people, fix)
