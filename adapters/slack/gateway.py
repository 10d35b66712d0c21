"""The core's ChatGateway over Slack's Web API (what the outbox delivers through)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
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
    time of a delivery worker that sends one message at a time."""

    JITTER_SECONDS = 0.2
    sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)

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
        await self.sleep(retry_after(response.headers) + random.uniform(0, self.JITTER_SECONDS))
        state.increment_current_attempt()


def retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds from a Retry-After header (slack_sdk gives header values as lists)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(first))
            except (TypeError, ValueError):
                break
    return 1.0


def make_client(token: str | None, base_url: str) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) instead of failing."""
    client = AsyncWebClient(token=token, base_url=base_url)
    client.retry_handlers.append(RateLimitRetry(max_retry_count=3))
    return client


def failure(error: Exception) -> DeliveryFailed:
    """A Web API error as the outbox understands it."""
    if isinstance(error, DeliveryFailed):
        return error
    if isinstance(error, SlackApiError):
        response = error.response
        code = error_code(error)
        if response.status_code == 429:
            retry_after = response.headers.get("retry-after") or response.headers.get("Retry-After")
            if isinstance(retry_after, list):
                retry_after = retry_after[0]
            seconds = float(retry_after) if retry_after else 1.0
            return DeliveryFailed("ratelimited", retry_after=seconds)
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


class SlackGateway:
    """Posts, updates and looks people up in the team named by each conversation."""

    platform = "slack"

    def __init__(self, client_for: ClientFor, *, cache_seconds: float = 600) -> None:
        self.client_for = client_for
        self.users = TtlCache(ttl=cache_seconds)
        self.dm_channels = TtlCache(ttl=24 * 3600)  # (team, user) -> D… id

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
