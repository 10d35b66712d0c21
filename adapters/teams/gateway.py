"""golive's ChatGateway for Teams: proactive posts, updates and look-ups through the
conversation references saved in the database."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import (
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams.adapter import GoliveAdapter
from adapters.teams.bot import to_activity
from adapters.teams.references import ReferenceStore, from_json, reference_of
from adapters.teams.retry import RETRYABLE, retry_after_of, status_of
from bot.clock import Clock
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.i18n import _
from bot.messages import Message

log = logging.getLogger(__name__)

PLATFORM = "teams"
_GONE = frozenset({403, 404})
# How long golive trusts a conversation's roster: someone removed from a channel or chat
# may read its pilots for at most this long.
MEMBERSHIP_SECONDS = 180.0


def to_delivery_failed(error: Exception, what: str) -> DeliveryFailed:
    """A Bot Connector failure as the outbox understands it."""
    if isinstance(error, HttpOperationError):
        status = status_of(error)
        permanent = status in _GONE
        retry_after = retry_after_of(error) if status in RETRYABLE else None
        return DeliveryFailed(
            f"Teams answered {status} to {what}", retry_after=retry_after, permanent=permanent
        )
    return DeliveryFailed(f"Teams unreachable for {what}: {type(error).__name__}: {error}")


class TeamsGateway:
    """Implements :class:`bot.delivery.ports.ChatGateway` for Teams."""

    def __init__(
        self,
        *,
        adapter: GoliveAdapter,
        store: ReferenceStore,
        clock: Clock,
        names: dict[tuple[str, str], str] | None = None,
        membership_seconds: float = MEMBERSHIP_SECONDS,
    ) -> None:
        self.adapter = adapter
        self.store = store
        self.clock = clock
        self.names = names if names is not None else {}  # from mentions, by (tenant, user)
        self.membership_seconds = membership_seconds
        # (tenant, conversation, user) -> (monotonic expiry, on the roster)
        self._rosters: dict[tuple[str, str, str], tuple[float, bool]] = {}

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        """Post to a channel, or to a person's personal chat with golive."""
        if to.user_id:
            reference = await self._personal(to.workspace_id, to.user_id)
        elif to.channel_id:
            saved = await self.store.by_conversation(to.workspace_id, to.channel_id)
            if saved is None:
                raise DeliveryFailed(
                    f"golive has never been added to conversation {to.channel_id}: "
                    "add golive to that team or chat in Teams",
                    permanent=True,
                )
            reference = from_json(saved)
        else:
            raise DeliveryFailed("no channel and no person to post to", permanent=True)
        sent: dict[str, str] = {}

        async def send(context: TurnContext) -> None:
            # Not context.send_activity: that would reply to the continuation activity's
            # made-up id, and a channel post must start a new thread.
            activity = TurnContext.apply_conversation_reference(to_activity(message), reference)
            activity.reply_to_id = None
            [response] = await self.adapter.send_activities(context, [activity])
            sent["id"] = response.id if response is not None and response.id else ""

        await self._continue(reference, send, what="post")
        return MessageRef(
            platform=PLATFORM,
            workspace_id=to.workspace_id,
            channel_id=reference.conversation.id,
            message_id=sent.get("id", ""),
        )

    async def update(self, ref: MessageRef, message: Message) -> None:
        """Replace a posted card in place."""
        saved = await self.store.by_conversation(ref.workspace_id, ref.channel_id)
        if saved is None:
            raise DeliveryFailed(
                f"no saved Teams conversation {ref.channel_id} to update", permanent=True
            )

        async def replace(context: TurnContext) -> None:
            activity = to_activity(message)
            activity.id = ref.message_id
            await context.update_activity(activity)

        await self._continue(from_json(saved), replace, what="update")

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        """A person's name: as a mention gave it, else from the roster of a conversation
        golive is in."""
        known = self.names.get((workspace_id, user_id))
        if known is not None:
            return PersonInfo(name=known)
        saved = await self.store.personal(workspace_id, user_id)
        saved = saved or await self.store.any_in_tenant(workspace_id)
        if saved is None:
            return None
        found: dict[str, PersonInfo] = {}

        async def read(context: TurnContext) -> None:
            # A continuation activity has no channelData, which TeamsInfo expects.
            context.activity.channel_data = {"tenant": {"id": workspace_id}}
            member = await self.adapter.retried(
                lambda: TeamsInfo.get_member(context, user_id), what="member look-up"
            )
            if member is not None and member.name:
                found["person"] = PersonInfo(name=member.name)

        try:
            await self._continue(from_json(saved), read, what="member look-up")
        except DeliveryFailed as error:
            log.info("Teams member look-up failed: %s", error.reason)
            return None
        return found.get("person")

    async def readable_channels(
        self, workspace_id: str, user_id: str, channel_ids: Collection[str]
    ) -> set[str]:
        """The conversations among ``channel_ids`` whose roster holds the person
        (:class:`bot.delivery.ports.ChannelMembership`): a channel's team (a private
        channel's own members), a chat's members. Asked of Teams through the reference
        golive saved for each; one golive has none for, or that Teams will not answer for,
        is left out. Answers are cached for a few minutes."""
        found: set[str] = set()
        for channel_id in dict.fromkeys(channel_ids):
            key = (workspace_id, channel_id, user_id)
            cached = self._rosters.get(key)
            if cached is not None and cached[0] > time.monotonic():
                on_roster: bool | None = cached[1]
            else:
                on_roster = await self._on_roster(workspace_id, channel_id, user_id)
                if on_roster is not None:
                    self._remember(key, on_roster)
            if on_roster:
                found.add(channel_id)
        return found

    async def _on_roster(self, tenant_id: str, conversation_id: str, user_id: str) -> bool | None:
        """Whether Teams lists the person in the conversation; None when it cannot say."""
        saved = await self.store.by_conversation(tenant_id, conversation_id)
        if saved is None:
            return False
        found: list[bool] = []

        async def read(context: TurnContext) -> None:
            # A continuation activity has no channelData; without a team id TeamsInfo asks
            # the conversation's own roster (a private channel's members, a chat's).
            context.activity.channel_data = {"tenant": {"id": tenant_id}}
            member = await self.adapter.retried(
                lambda: TeamsInfo.get_member(context, user_id), what="roster check"
            )
            found.append(member is not None)

        try:
            await self._continue(from_json(saved), read, what="roster check")
        except DeliveryFailed as error:
            if error.permanent:  # 403/404: not on the roster, or golive is no longer there
                return False
            log.warning("Teams roster check failed: %s", error.reason)
            return None
        return bool(found and found[0])

    def _remember(self, key: tuple[str, str, str], on_roster: bool) -> None:
        if len(self._rosters) >= 2000:
            self._rosters.pop(next(iter(self._rosters)))  # the oldest insertion
        self._rosters[key] = (time.monotonic() + self.membership_seconds, on_roster)

    async def unreachable_people(self, workspace_id: str, user_ids: Iterable[str]) -> list[str]:
        """Who golive has no personal chat with (they have not installed it), so direct
        messages to them may fail; in the order given."""
        wanted = list(dict.fromkeys(user_ids))
        reachable = await self.store.with_personal_chat(workspace_id, wanted)
        return [user for user in wanted if user not in reachable]

    async def unreachable(self, workspace_id: str, user_ids: Sequence[str]) -> list[str]:
        """Who golive cannot send a direct message to (:class:`bot.delivery.ports.
        Reachability`): no personal chat with golive, and Teams will not open one because
        golive is installed for them neither personally nor through a team."""
        missing = await self.unreachable_people(workspace_id, user_ids)
        return [user for user in missing if not await self._can_open(workspace_id, user)]

    def reach_fix(self) -> str:
        return _(
            "Ask them to install golive in Teams for themselves (Apps, search for golive, Add)."
        )

    async def _can_open(self, tenant_id: str, user_id: str) -> bool:
        try:
            # Not kept: this runs inside a command's transaction, and on SQLite a second
            # writer would wait for it. The first direct message opens the chat again.
            await self._open_personal(tenant_id, user_id, save=False)
        except DeliveryFailed as error:
            return not error.permanent  # Teams being down says nothing about the person
        return True

    async def _personal(self, tenant_id: str, user_id: str) -> ConversationReference:
        saved = await self.store.personal(tenant_id, user_id)
        if saved is not None:
            return from_json(saved)
        return await self._open_personal(tenant_id, user_id)

    async def _open_personal(
        self, tenant_id: str, user_id: str, *, save: bool = True
    ) -> ConversationReference:
        """Open a 1:1 chat with someone who has golive installed but never wrote to it;
        ``save`` keeps its reference."""
        unreachable = DeliveryFailed(
            f"golive cannot send a direct message to {user_id}: "
            "ask them to install golive in Teams",
            permanent=True,
        )
        anywhere = await self.store.any_in_tenant(tenant_id)
        if anywhere is None:
            raise unreachable
        known = from_json(anywhere)
        parameters = ConversationParameters(
            is_group=False,
            bot=known.bot,
            members=[ChannelAccount(id=user_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )
        opened: dict[str, ConversationReference] = {}

        async def keep(context: TurnContext) -> None:
            activity = context.activity
            activity.from_property = ChannelAccount(id=user_id)
            activity.conversation.conversation_type = "personal"
            opened["reference"] = from_json(reference_of(activity))

        try:
            await self.adapter.retried(
                lambda: self.adapter.create_conversation(
                    self.adapter.app_id,
                    keep,
                    parameters,
                    channel_id=known.channel_id,
                    service_url=known.service_url,
                ),
                what="create conversation",
            )
        except HttpOperationError as error:
            if status_of(error) in _GONE or status_of(error) == 400:
                raise unreachable from error
            raise to_delivery_failed(error, "create conversation") from error
        except ClientRequestError as error:
            raise to_delivery_failed(error, "create conversation") from error
        reference = opened.get("reference")
        if reference is None:
            raise DeliveryFailed(f"Teams opened no chat with {user_id}")
        if not save:
            return reference
        await self.store.save(
            tenant_id=tenant_id,
            conversation_id=reference.conversation.id,
            kind="personal",
            user_id=user_id,
            reference=reference.serialize(),
            now=self.clock.now(),
        )
        return reference

    async def _continue(
        self,
        reference: ConversationReference,
        work: Callable[[TurnContext], Awaitable[None]],
        *,
        what: str,
    ) -> None:
        # The adapter hands errors raised in a proactive turn to on_turn_error; carry them
        # out instead, so the outbox learns what happened.
        failure: list[BaseException] = []

        async def callback(context: TurnContext) -> None:
            try:
                await work(context)
            except Exception as error:
                failure.append(error)

        await self.adapter.continue_conversation(reference, callback, self.adapter.app_id)
        if failure:
            error = failure[0]
            if isinstance(error, DeliveryFailed):
                raise error
            if isinstance(error, HttpOperationError | ClientRequestError | OSError):
                raise to_delivery_failed(error, what) from error
            raise error
