"""The core's ChatGateway over Slack's Web API (what the outbox delivers through)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from bot.delivery.models import Conversation, DeliveryFailed, MessageRef, PersonInfo
from bot.delivery.worker import SEND_TIMEOUT
from bot.messages import Message

log = logging.getLogger(__name__)

ClientFor = Callable[[str], Awaitable[AsyncWebClient]]
"""The Web API client holding a team's bot token."""

# Errors no retry can fix: the outbox marks the message dead instead of trying again.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "user_not_visible",
        "cannot_dm_bot",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "restricted_action",
        "team_not_found",
        "installation_not_found",
    }
)


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429 for its Retry-After plus a little jitter. slack_sdk's own handler
    adds up to a whole second, which at Slack's one-second windows idles nearly half the
    time of a delivery worker that sends one message at a time.

    With ``max_wait`` (the outbox's send timeout), a wait that would not fit is not
    started: the 429 surfaces at once as ``DeliveryFailed(retry_after=...)`` and the outbox
    waits as long as Slack asks, instead of the send being cut off mid-sleep."""

    JITTER_SECONDS = 0.2
    sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)
    max_wait: float | None = None

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        ):
            return False
        if self.max_wait is None or response is None:
            return True
        waited = float((state.custom_values or {}).get(_WAITED, 0.0))
        return waited + retry_after(response.headers) + self.JITTER_SECONDS < self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("a rate-limit retry without a response")
        state.next_attempt_requested = True
        seconds = retry_after(response.headers) + random.uniform(0, self.JITTER_SECONDS)
        state.custom_values = state.custom_values or {}
        state.custom_values[_WAITED] = float(state.custom_values.get(_WAITED, 0.0)) + seconds
        await self.sleep(seconds)
        state.increment_current_attempt()


_WAITED = "golive_waited_seconds"  # this call's waits so far, in its RetryState


def retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds from a Retry-After header (slack_sdk gives header values as lists)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list | tuple) else value
            try:
                seconds = float(first)
            except (TypeError, ValueError):
                break
            return seconds if 0.0 <= seconds < MAX_RETRY_AFTER else 1.0
    return 1.0


MAX_RETRY_AFTER = 24 * 3600.0  # a longer (or infinite, or NaN) Retry-After is not Slack's


def make_client(token: str | None, base_url: str) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) instead of failing."""
    client = AsyncWebClient(token=token, base_url=base_url)
    client.retry_handlers.append(RateLimitRetry(max_retry_count=3))
    return client


def limit_waits(client: AsyncWebClient, max_wait: float | None) -> AsyncWebClient:
    """``client`` with its 429 waits cut to fit ``max_wait`` seconds (see RateLimitRetry)."""
    for handler in client.retry_handlers:
        if isinstance(handler, RateLimitRetry):
            handler.max_wait = max_wait
    return client


def failure(error: Exception) -> DeliveryFailed:
    """A Web API error as the outbox understands it."""
    if isinstance(error, DeliveryFailed):
        return error
    if isinstance(error, SlackApiError):
        response = error.response
        code = error_code(error)
        if response.status_code == 429:
            return DeliveryFailed("ratelimited", retry_after=retry_after(response.headers))
        return DeliveryFailed(code, permanent=code in PERMANENT_ERRORS)
    if isinstance(error, aiohttp.ClientError | TimeoutError | OSError):
        return DeliveryFailed(f"network: {type(error).__name__}")
    return DeliveryFailed(f"{type(error).__name__}: {error}")


class TtlCache:
    """A small bounded cache whose entries expire (people's names, admin flags)."""

    def __init__(self, *, ttl: float, size: int = 2000) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        found = self._items.get(key)
        if found is None or found[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        return found[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self._items) >= self.size:
            # Drop the oldest insertion: dicts keep order.
            self._items.pop(next(iter(self._items)))
        self._items[key] = (time.monotonic() + self.ttl, value)


# How long golive trusts what Slack said about a channel (private or not, its members):
# someone removed from a private channel may read its pilots for at most this long.
MEMBERSHIP_SECONDS = 180.0


class SlackGateway:
    """Posts, updates and looks people up in the team named by each conversation."""

    platform = "slack"

    def __init__(
        self,
        client_for: ClientFor,
        *,
        cache_seconds: float = 600,
        membership_seconds: float = MEMBERSHIP_SECONDS,
        send_timeout: float | None = SEND_TIMEOUT,
    ) -> None:
        self._client_for = client_for
        self.send_timeout = send_timeout  # the outbox's; 429 waits are cut to fit it
        self.users = TtlCache(ttl=cache_seconds)
        self.dm_channels = TtlCache(ttl=24 * 3600)  # (team, user) -> D… id
        self.channels = TtlCache(ttl=membership_seconds)  # (team, channel) -> is it private
        self.members = TtlCache(ttl=membership_seconds)  # (team, channel) -> member ids

    async def client_for(self, team_id: str) -> AsyncWebClient:
        """The team's client, its 429 waits cut to fit the outbox's send timeout."""
        return limit_waits(await self._client_for(team_id), self.send_timeout)

    async def post(self, to: Conversation, message: Message) -> MessageRef:
        """Post to a channel, or to a person's DM (opened with conversations.open)."""
        try:
            client = await self.client_for(to.workspace_id)
            channel = to.channel_id
            if to.user_id is not None:
                channel = await self._dm_channel(client, to.workspace_id, to.user_id)
            if channel is None:
                raise DeliveryFailed("no channel or user to post to", permanent=True)
            first, *rest = render.render_parts(message)
            answer = await client.chat_postMessage(channel=channel, **first)
            ts = str(answer["ts"])
            channel = str(answer.get("channel") or channel)
        except Exception as error:
            raise failure(error) from error
        # The message is delivered once its first part is: a failed continuation is logged,
        # not retried through the outbox, which would post the first part twice.
        for part in rest:
            try:
                await client.chat_postMessage(channel=channel, thread_ts=ts, **part)
            except Exception as error:
                log.warning("a continuation of a long message was not posted: %s", error)
                break
        await self._upload_images(client, channel, ts, message)
        return MessageRef(
            platform=self.platform, workspace_id=to.workspace_id, channel_id=channel, message_id=ts
        )

    async def update(self, ref: MessageRef, message: Message) -> None:
        """Replace a posted message (chat.update needs the channel and ts it was posted at)."""
        try:
            client = await self.client_for(ref.workspace_id)
            body = render.render_message(message)
            body.setdefault("blocks", [])
            await client.chat_update(channel=ref.channel_id, ts=ref.message_id, **body)
        except Exception as error:
            raise failure(error) from error

    async def lookup_person(self, workspace_id: str, user_id: str) -> PersonInfo | None:
        """A person's name, time zone and locale from users.info (cached)."""
        user = await self.user_info(workspace_id, user_id)
        if user is None:
            return None
        return PersonInfo(
            name=display_name(user), timezone=user.get("tz"), locale=user.get("locale")
        )

    async def user_info(self, workspace_id: str, user_id: str) -> dict[str, Any] | None:
        """The raw users.info record, cached; None when Slack does not know the user."""
        key = (workspace_id, user_id)
        cached = self.users.get(key)
        if cached is not None:
            return dict(cached)
        try:
            client = await self.client_for(workspace_id)
            answer = await client.users_info(user=user_id, include_locale=True)
        except SlackApiError as error:
            if error_code(error) in ("user_not_found", "user_not_visible"):
                return None
            raise failure(error) from error
        except Exception as error:
            raise failure(error) from error
        user = dict(answer["user"])
        self.users.put(key, user)
        return user

    async def readable_channels(
        self, workspace_id: str, user_id: str, channel_ids: Collection[str]
    ) -> set[str]:
        """The channels among ``channel_ids`` the person can read
        (:class:`bot.delivery.ports.ChannelMembership`). Every full member of a Slack
        workspace can read its public channels; a private channel or a direct message is
        read by its members, and a guest reads only the channels they are in. A channel
        Slack will not describe (golive was never invited to it, a missing scope, an
        error) is left out. Answers are cached for a few minutes."""
        found: set[str] = set()
        guest: bool | None = None
        for channel_id in dict.fromkeys(channel_ids):
            try:
                private = await self._is_private(workspace_id, channel_id)
                if private is None:
                    continue
                if not private:
                    if guest is None:
                        guest = await self._is_guest(workspace_id, user_id)
                    if not guest:
                        found.add(channel_id)
                        continue
                if user_id in await self._members(workspace_id, channel_id):
                    found.add(channel_id)
            except Exception as error:
                log.warning(
                    "could not tell who reads a channel (%s); its pilots stay hidden",
                    failure(error).reason,
                    extra={"channel": channel_id},
                )
        return found

    async def _is_private(self, team_id: str, channel_id: str) -> bool | None:
        """Whether only its members read the channel (conversations.info, cached); None
        when Slack does not show it to golive (a private channel golive is not in)."""
        key = (team_id, channel_id)
        cached = self.channels.get(key)
        if cached is not None:
            return None if cached == "hidden" else cached == "private"
        client = await self.client_for(team_id)
        try:
            answer = await client.conversations_info(channel=channel_id)
        except SlackApiError as error:
            if error_code(error) != "channel_not_found":
                raise
            self.channels.put(key, "hidden")
            return None
        channel = answer["channel"]
        private = any(channel.get(flag) for flag in ("is_private", "is_im", "is_mpim"))
        self.channels.put(key, "private" if private else "public")
        return private

    async def _members(self, team_id: str, channel_id: str) -> frozenset[str]:
        """The channel's members (conversations.members, every page, cached)."""
        key = (team_id, channel_id)
        cached = self.members.get(key)
        if cached is not None:
            return frozenset(cached)
        client = await self.client_for(team_id)
        members: set[str] = set()
        cursor: str | None = None
        while True:
            answer = await client.conversations_members(
                channel=channel_id, limit=1000, **({"cursor": cursor} if cursor else {})
            )
            members.update(str(member) for member in answer.get("members") or [])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                break
        found = frozenset(members)
        self.members.put(key, found)
        return found

    async def _is_guest(self, team_id: str, user_id: str) -> bool:
        """A guest (or someone Slack does not know) reads only the channels they are in."""
        user = await self.user_info(team_id, user_id)
        return user is None or bool(user.get("is_restricted") or user.get("is_ultra_restricted"))

    async def _dm_channel(self, client: AsyncWebClient, team_id: str, user_id: str) -> str:
        """The D… id of the bot's DM with a person (conversations.open, remembered)."""
        cached = self.dm_channels.get((team_id, user_id))
        if cached is not None:
            return str(cached)
        opened = await client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        self.dm_channels.put((team_id, user_id), channel)
        return channel

    async def _upload_images(
        self, client: AsyncWebClient, channel: str, ts: str, message: Message
    ) -> None:
        # Charts are a nice-to-have: the message already says what they show, so a failed
        # upload is logged, not retried (retrying would post the text twice).
        for image in render.images(message):
            try:
                await client.files_upload_v2(
                    channel=channel,
                    thread_ts=ts,
                    content=image.png,
                    filename=image.filename,
                    title=image.alt,
                )
            except Exception:
                log.warning("chart upload failed", exc_info=True, extra={"channel": channel})


def error_code(error: SlackApiError) -> str:
    """Slack's error code (``channel_not_found``...), or the HTTP status when the body was
    not Slack's JSON."""
    data = error.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return str(error.response.status_code)


def display_name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    return str(
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user.get("id")
    )
