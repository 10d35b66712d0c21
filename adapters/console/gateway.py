"""The console's chat gateway: every post, update and direct message is printed as it is
delivered and recorded, so a terminal user (or a test) sees what Slack or Teams would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.console.render import render
from bot.delivery.models import Conversation, MessageRef, PersonInfo
from bot.messages import Message


@dataclass(frozen=True)
class Delivery:
    """One delivered message: where it went, what it said, and the ref it got."""

    to: str  # "#general" or "DM @amal"
    message: Message
    ref: MessageRef
    update: bool = False


def destination(to: Conversation) -> str:
    return f"DM @{to.user_id}" if to.user_id else f"#{to.channel_id}"


class ConsoleGateway:
    """Implements :class:`bot.delivery.ports.ChatGateway` by printing.

    ``show`` renders a message (the console session passes one that numbers buttons for
    ``:click``); ``write`` prints a block of text.
    """

    def __init__(
        self,
        *,
        write: Callable[[str], None] = print,
        show: Callable[[Message], str] = render,
        platform: str = "console",
    ) -> None:
        self.write = write
        self.show = show
        self.platform = platform
        self.delivered: list[Delivery] = []
        self._where: dict[str, str] = {}  # message id -> destination, for updates

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        where = destination(to)
        ref = MessageRef(
            platform=self.platform,
            workspace_id=to.workspace_id,
            channel_id=to.channel_id or f"dm-{to.user_id}",
            message_id=str(len(self.delivered) + 1),
        )
        self._where[ref.message_id] = where
        self.delivered.append(Delivery(to=where, message=message, ref=ref))
        self.write(f"→ {where}:\n{self.show(message)}")
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        where = self._where.get(ref.message_id, f"#{ref.channel_id}")
        self.delivered.append(Delivery(to=where, message=message, ref=ref, update=True))
        self.write(f"→ {where} (update of message {ref.message_id}):\n{self.show(message)}")

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        """Console people are their handles: no directory to ask."""
        return None
