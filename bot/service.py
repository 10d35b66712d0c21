"""The core's front door: text or a typed command in, a neutral message out.

Adapters call :meth:`Golive.run` (text a person typed: a slash command, a mention),
:meth:`Golive.execute` (a button's typed command) or :meth:`Golive.submit` (a form's draft
and the values typed into it); :meth:`Golive.form` builds the form a button opens, for a
platform that asks for it when the button is pressed. One command is one transaction: it
commits when the handler returns and rolls back on any error, so a refused command changes
nothing. No exception escapes; the caller gets a private, specific message instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bot import forms, parsing
from bot.actions import Draft, refusal
from bot.actor import Actor, ChannelReads
from bot.clock import Clock
from bot.commands import Command, Home
from bot.context import Caller
from bot.delivery.models import PersonInfo
from bot.delivery.ports import ChannelMembership, ChatGateway
from bot.digests.ports import ChartRenderer
from bot.errors import Conflict, GoliveError, StoreUnavailable
from bot.handlers import Platforms, command_handlers
from bot.i18n import _, use_language
from bot.messages import Form, Message, Paragraph, spans
from bot.pilots.access import AskPlatformFirst
from bot.pilots.models import Person, Workspace
from bot.ports import UnitOfWork, UnitOfWorkFactory

Observer = Callable[[Caller, "type[Command] | None", Message, float], None]
"""Told of every handled command: the caller, the command's type (None when the text did
not parse), the reply and the seconds it took. The metrics hang here."""

log = logging.getLogger(__name__)


class _FirstContactRace(Exception):
    """Another command created the caller's workspace or person row first."""


class _LookUpFirst(Exception):
    """The command names people golive has not met: ask their platform before the
    transaction that runs it (no platform call while a transaction is open)."""

    def __init__(self, user_ids: list[str]) -> None:
        super().__init__(user_ids)
        self.user_ids = user_ids


class Golive:
    OUTAGE_RETRY_SECONDS = 1.0
    """How long a read waits before its one more try when the database could not be
    reached (a restart or a failover is often over by then)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        gateways: Mapping[str, ChatGateway] | None = None,
        default_timezone: str = "UTC",
        admins: frozenset[str] = frozenset(),
        on_enqueued: Callable[[], None] | None = None,
        charts: ChartRenderer | None = None,
        observe: Observer | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        # Looked up per call: adapters register their gateway after the core is built.
        self.gateways: Mapping[str, ChatGateway] = gateways if gateways is not None else {}
        self.default_timezone = default_timezone
        self.admins = admins
        self.on_enqueued = on_enqueued
        self.charts = charts
        self.observe = observe
        self.handlers = command_handlers(Platforms(gateways=self.gateways, charts=charts))

    async def run(
        self, caller: Caller, text: str, *, references: Sequence[parsing.Reference] = ()
    ) -> Message:
        """Parse ``text`` as the caller typed it, with the people and channels their
        platform resolved in it (see :mod:`bot.parsing`), and execute it."""
        return await self._run(
            caller, lambda now: parsing.parse(text, now_local=now, references=references)
        )

    async def execute(self, caller: Caller, command: Command) -> Message:
        """Execute a typed command: a button's action."""
        return await self._run(caller, lambda now: command)

    async def submit(self, caller: Caller, draft: Draft, values: Mapping[str, str]) -> Message:
        """Complete a form's command with the values typed into it, and execute it."""
        return await self._run(caller, lambda now: parsing.complete(draft, values, now_local=now))

    async def form(self, caller: Caller, draft: Draft, name: str | None) -> Form | Message:
        """The form named ``name`` completing ``draft``, built for the caller now, as the
        message offered it; a refusal when it cannot be (the item is gone)."""
        caller = self._with_admin(caller)
        channels = self._channels(caller)
        for attempt in range(4):
            try:
                async with self.uow_factory() as uow:
                    last = attempt == 3
                    reads = channels.last_word() if last else channels
                    actor = await self._actor(uow, caller, None, reads, last=last)
                    build = forms.BUILDERS.get(name or "")
                    if build is None:
                        raise refusal()
                    built = await build(draft, uow=uow, actor=actor, clock=self.clock)
                    await uow.commit()  # the caller's first-contact rows
                return built
            except _FirstContactRace:
                continue
            except AskPlatformFirst as ask:
                channels = await self._ask_channels(caller, ask.channel_ids)
                continue
            except GoliveError as error:
                return error_message(error)
            except StoreUnavailable as error:
                return unavailable(error)
            except Exception:
                return _went_wrong("form failed")
        raise AssertionError("the last attempt never raises _FirstContactRace")

    async def home(self, caller: Caller) -> Message | None:
        """The caller's ``home`` view, read without creating or changing any row: the Slack
        App Home shows it to whoever opens the tab. None when golive has never met them."""
        for attempt in range(2):
            try:
                return await self._home(caller)
            except StoreUnavailable as error:
                if attempt == 1:
                    return unavailable(error)
                await asyncio.sleep(self.OUTAGE_RETRY_SECONDS)
        raise AssertionError("the second attempt returns")

    async def _home(self, caller: Caller) -> Message | None:
        async with self.uow_factory() as uow:  # never committed
            workspace = await uow.workspaces.get_by_external(caller.platform, caller.workspace_id)
            if workspace is None or workspace.id is None:
                return None
            person = await uow.people.get_by_external(workspace.id, caller.user_id)
            if person is None:
                return None
            use_language(person.locale or caller.locale)
            actor = Actor(caller=self._with_admin(caller), workspace=workspace, person=person)
            try:
                return await self.handlers[Home](Home(), uow=uow, actor=actor, clock=self.clock)
            except GoliveError as error:
                return error_message(error)

    async def _run(self, caller: Caller, read: Callable[[datetime], Command]) -> Message:
        # The first commands of a new workspace or person may arrive together; one that
        # finds the row created by another meanwhile runs again, in a new transaction that
        # sees it. The workspace and then the person can each be lost once; a command that
        # names people golive has not met runs once more after asking their platform, and
        # so does one on pilots whose steering channels the platform must say the caller
        # can read. A read that found the database unreachable is tried once more.
        started = time.perf_counter()
        handled: list[type[Command]] = []  # what the text parsed to, for the observer
        caller = self._with_admin(caller)
        looked_up: dict[str, PersonInfo] | None = None
        channels = self._channels(caller)
        reply: Message | None = None
        retried = False
        for attempt in range(6):
            last = attempt == 5
            reads = channels.last_word() if last else channels
            try:
                reply = await self._run_once(caller, read, handled, looked_up, reads, last=last)
                break
            except _FirstContactRace:
                continue
            except _LookUpFirst as first:
                looked_up = await self._look_up(caller, first.user_ids)
            except AskPlatformFirst as ask:
                channels = await self._ask_channels(caller, ask.channel_ids)
            except StoreUnavailable as error:
                if retried or not self._reads_only(read, handled):
                    reply = unavailable(error)
                    break
                retried = True  # nothing ran: a read is tried once more
                await asyncio.sleep(self.OUTAGE_RETRY_SECONDS)
        assert reply is not None
        if self.observe is not None:
            kind = handled[-1] if handled else None
            self.observe(caller, kind, reply, time.perf_counter() - started)
        return reply

    async def _run_once(
        self,
        caller: Caller,
        read: Callable[[datetime], Command],
        handled: list[type[Command]],
        looked_up: dict[str, PersonInfo] | None,
        channels: ChannelReads,
        *,
        last: bool,
    ) -> Message:
        try:
            async with self.uow_factory() as uow:
                actor = await self._actor(uow, caller, looked_up, channels, last=last)
                command = read(actor.local_now(self.clock))
                handled.append(type(command))
                if looked_up is None and not last:
                    strangers = await self._strangers(uow, actor, command)
                    if strangers:
                        await uow.commit()  # keep the caller's first-contact rows
                        raise _LookUpFirst(strangers)
                handler = self.handlers.get(type(command))
                if handler is None:
                    raise GoliveError(_("That command is not available yet."))
                reply = await handler(command, uow=uow, actor=actor, clock=self.clock)
                await uow.commit()
        except (_FirstContactRace, _LookUpFirst, AskPlatformFirst):
            raise  # rolled back: the next attempt sees what the platform said
        except StoreUnavailable:
            raise  # nothing was written: _run answers, after one more try for a read
        except GoliveError as error:
            return error_message(error)
        except Exception:
            return _went_wrong("command failed")
        if self.on_enqueued is not None:
            self.on_enqueued()
        return reply

    async def _actor(
        self,
        uow: UnitOfWork,
        caller: Caller,
        looked_up: dict[str, PersonInfo] | None,
        channels: ChannelReads,
        *,
        last: bool,
    ) -> Actor:
        """The caller as the core knows them, their rows created on first contact."""
        try:
            workspace = await self.workspace_for(uow, caller)
            person = await self.person_for(uow, workspace, caller)
        except Conflict:
            if not last:
                raise _FirstContactRace from None
            raise
        use_language(person.locale or caller.locale)
        return Actor(
            caller=caller,
            workspace=workspace,
            person=person,
            looked_up=looked_up or {},
            channels=channels,
        )

    async def _strangers(self, uow: UnitOfWork, actor: Actor, command: Command) -> list[str]:
        """The people the command names that golive has no row for yet, when their
        platform can be asked about them."""
        if actor.caller.platform not in self.gateways:
            return []
        named = [p for p in command.people_named() if p != actor.caller.user_id]
        return [
            user_id
            for user_id in named
            if await uow.people.get_by_external(actor.workspace_id, user_id) is None
        ]

    async def _look_up(self, caller: Caller, user_ids: list[str]) -> dict[str, PersonInfo]:
        """What the caller's platform knows of these people. A look-up that fails (a 429,
        a missing scope, an outage) is left out: the command still runs with the ids it
        was given, and the person's name and zone are filled in when they first use golive."""
        gateway = self.gateways.get(caller.platform)
        found: dict[str, PersonInfo] = {}
        if gateway is None:
            return found
        for user_id in user_ids:
            try:
                info = await gateway.lookup_person(caller.workspace_id, user_id)
            except Exception as error:
                log.warning("person look-up failed (%s); using the id alone", type(error).__name__)
                continue
            if info is not None:
                found[user_id] = info
        return found

    def _channels(self, caller: Caller) -> ChannelReads:
        """What the core knows of the channels the caller can read before asking: nothing
        when their platform can tell, else that they read every channel (the console)."""
        gateway = self.gateways.get(caller.platform)
        return ChannelReads(checked=isinstance(gateway, ChannelMembership))

    async def _ask_channels(self, caller: Caller, channel_ids: frozenset[str]) -> ChannelReads:
        """The platform's answer for ``channel_ids``, asked with no transaction open. A
        failed answer leaves the channels unreadable: the caller sees the pilots that name
        them and nothing more."""
        gateway = self.gateways.get(caller.platform)
        readable: set[str] = set()
        if isinstance(gateway, ChannelMembership):
            try:
                readable = await gateway.readable_channels(
                    caller.workspace_id, caller.user_id, sorted(channel_ids)
                )
            except Exception as error:
                log.warning("channel membership check failed (%s)", type(error).__name__)
        return ChannelReads(checked=True, answered=True, readable=frozenset(readable & channel_ids))

    def _reads_only(
        self, read: Callable[[datetime], Command], handled: list[type[Command]]
    ) -> bool:
        """Whether the command changes nothing, so that running it again is safe; read from
        the text again when the database failed before it was parsed."""
        if handled:
            return handled[-1].READ_ONLY
        try:
            return read(self.clock.now()).READ_ONLY
        except Exception:  # it would not parse: say the database is away, not why
            return False

    def _with_admin(self, caller: Caller) -> Caller:
        if caller.user_id in self.admins and not caller.is_admin:
            return caller.model_copy(update={"is_admin": True})
        return caller

    async def workspace_for(self, u: UnitOfWork, caller: Caller) -> Workspace:
        """The caller's workspace row, created on first contact."""
        found = await u.workspaces.get_by_external(caller.platform, caller.workspace_id)
        if found is not None:
            return found
        workspace = Workspace(
            platform=caller.platform,
            external_id=caller.workspace_id,
            timezone=self.default_timezone,
        )
        await u.workspaces.add(workspace)
        await u.flush()
        return workspace

    async def person_for(self, u: UnitOfWork, workspace: Workspace, caller: Caller) -> Person:
        """The caller's person row, created on first contact, kept in step with the
        platform's name and time zone."""
        assert workspace.id is not None
        person = await u.people.get_by_external(workspace.id, caller.user_id)
        if person is None:
            person = Person(
                workspace_id=workspace.id,
                external_id=caller.user_id,
                name=caller.user_name or caller.user_id,
                timezone=caller.timezone,
                locale=caller.locale,
            )
            await u.people.add(person)
            await u.flush()
            return person
        if caller.user_name and person.name != caller.user_name:
            person.name = caller.user_name
        if caller.timezone and person.timezone is None:
            person.timezone = caller.timezone
        return person


def _went_wrong(what: str) -> Message:
    incident = uuid.uuid4().hex[:8]
    log.exception(what, extra={"incident": incident})
    return Message(
        text=_("Something went wrong on our side (incident {id}); nothing was changed.").format(
            id=incident
        ),
        private=True,
        refused=True,
    )


def unavailable(error: StoreUnavailable) -> Message:
    """The database could not be reached: nothing ran, and trying again later helps."""
    log.warning("database unavailable, command not run: %s", error)
    return Message(
        text=_(
            "golive cannot reach its database right now; nothing was changed — "
            "try again in a minute."
        ),
        private=True,
        refused=True,
    )


def error_message(error: GoliveError) -> Message:
    """A refused command, shown only to the caller, with the usage line when there is one."""
    blocks = [Paragraph(spans=spans(error.message))]
    text = error.message
    if error.usage:
        blocks.append(Paragraph(spans=spans(_("Usage: "), error.usage)))
        text = f"{text}\n{_('Usage: ')}{error.usage}"
    return Message(text=text, blocks=list(blocks), private=True, refused=True)
