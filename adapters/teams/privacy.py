"""Private answers to commands typed in a channel or group chat.

Teams has no ephemeral messages: whatever golive replies in a shared conversation, everyone
there reads. So an answer meant for the caller alone (a vote's confirmation shows the tally
so far) goes to their personal chat with golive, and the shared conversation gets only a
note saying where it went — or, when golive cannot reach them privately, how to fix that.
Refusals and help stay in the thread: they only talk about what was typed there.
"""

from __future__ import annotations

import logging
from typing import Protocol

from botbuilder.schema import Activity

from adapters.teams.references import kind_of
from bot.context import Caller
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef
from bot.i18n import _
from bot.messages import Context, Mention, Message, Paragraph, spans

log = logging.getLogger(__name__)


class PrivateLine(Protocol):
    """Sends to a person's personal chat with golive (the Teams gateway)."""

    async def post(self, to: Conversation, message: Message) -> MessageRef: ...


def stays_in_thread(reply: Message, activity: Activity, *, asked_help: bool) -> bool:
    """Whether the answer may be shown where the command was typed: always in a personal
    chat; in a shared conversation when it is public, a refusal (its error and usage line
    repeat only what was typed there) or help."""
    if not reply.private or kind_of(activity) == "personal":
        return True
    return reply.refused or asked_help


def place_of(caller: Caller) -> str:
    if caller.channel_name:
        return _("the {channel} channel").format(channel=caller.channel_name)
    return _("a group chat")


def in_private(reply: Message, caller: Caller) -> Message:
    """The answer as sent to the personal chat, saying where it was asked for."""
    blocks = list(reply.blocks) or [Paragraph(spans=spans(reply.text))]
    asked = Context(spans=spans(_("You asked for this in {place}.").format(place=place_of(caller))))
    return reply.model_copy(update={"blocks": [*blocks, asked]})


def note(caller: Caller, text: str) -> Message:
    """A public note to the caller, mentioning them; it never holds the answer."""
    name = caller.user_name or _("you")
    return Message(
        text=f"@{name}{text}",
        blocks=[Paragraph(spans=[Mention(user_id=caller.user_id, name=name), *spans(text)])],
    )


async def answer_in_shared(
    reply: Message, *, caller: Caller, private_line: PrivateLine | None
) -> Message:
    """Send a private answer to the caller's personal chat; what to post in the shared
    conversation instead."""
    to = Conversation(platform="teams", workspace_id=caller.workspace_id, user_id=caller.user_id)
    if private_line is None:
        failure = DeliveryFailed("no Teams gateway to send private answers", permanent=True)
    else:
        try:
            await private_line.post(to, in_private(reply, caller))
        except DeliveryFailed as error:
            failure = error
        else:
            return note(caller, _(", I've sent you the answer in our personal chat."))
    log.info("private answer not delivered: %s", failure.reason)
    if failure.permanent:
        return note(
            caller,
            _(
                ", your command ran, but its answer is for you alone and I cannot message you "
                "privately. Install golive for yourself in Teams (Apps, search for golive, "
                "Add), then ask me again in our personal chat."
            ),
        )
    return note(
        caller,
        _(
            ", your command ran, but I could not reach our personal chat just now to show you "
            "the answer. Ask me again there in a moment."
        ),
    )
