"""Who runs a command, as the core knows them: their workspace and person rows, and where
and how they asked (the platform's :class:`bot.context.Caller`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.context import Caller
from bot.delivery.models import PersonInfo
from bot.pilots.models import Person, Workspace


@dataclass(frozen=True)
class ChannelReads:
    """Which steering channels the caller can read, as their platform answered before the
    transaction opened (the core never calls a platform inside one)."""

    # False: the platform cannot tell (the console), so the caller reads every channel.
    checked: bool = False
    # The platform has answered (it is asked once per command): what it did not say the
    # caller can read, they cannot.
    answered: bool = False
    readable: frozenset[str] = frozenset()

    def can_read(self, channel_id: str) -> bool | None:
        """Whether the caller can read the channel; None when the platform must be asked."""
        if not self.checked or channel_id in self.readable:
            return True
        return False if self.answered else None

    def last_word(self) -> ChannelReads:
        """These answers as final: a channel the platform was not asked about is not
        read (a command's last attempt never asks)."""
        return replace(self, answered=True)


@dataclass(frozen=True)
class Actor:
    caller: Caller
    workspace: Workspace
    person: Person
    # What the caller's platform said of the people the command names, asked before the
    # transaction opened (the core never calls a platform inside one).
    looked_up: Mapping[str, PersonInfo] = field(default_factory=dict)
    channels: ChannelReads = field(default_factory=ChannelReads)

    @property
    def workspace_id(self) -> int:
        assert self.workspace.id is not None, "the facade flushes the workspace first"
        return self.workspace.id

    @property
    def person_id(self) -> int:
        assert self.person.id is not None, "the facade flushes the person first"
        return self.person.id

    @property
    def is_admin(self) -> bool:
        return self.caller.is_admin

    def zone(self, person: Person | None = None) -> ZoneInfo:
        """A person's time zone (the actor's by default), else the workspace's."""
        who = person or self.person
        return ZoneInfo(who.timezone or self.workspace.timezone or "UTC")

    def local_now(self, clock: Clock, person: Person | None = None) -> datetime:
        return clock.now().astimezone(self.zone(person))
