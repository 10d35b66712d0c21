"""golive's CloudAdapter: who may be served, the 4.17 invoke fix, 401 on any failed
authentication, 503 while the signing keys cannot be had, and retries of every Bot
Connector call it makes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import ClientError, web
from azure.core.exceptions import DeserializationError  # what msrest raises for a bad answer
from botbuilder.core import Bot, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ResourceResponse
from msrest.exceptions import ClientException

from adapters.settings import Settings
from adapters.teams import keys, local
from adapters.teams.body import Refused, read_activity
from adapters.teams.retry import RetryPolicy
from bot.delivery.models import DeliveryFailed

log = logging.getLogger(__name__)

T = TypeVar("T")

TURN_BUDGET = 12.0
"""Seconds a reply's retries may take inside an inbound turn (Teams waits 15 s for it)."""
_REPLYING = "golive.replying"  # turn_state: this turn answers a request Teams sent
# What a Bot Connector call raises when the reply did not get through.
_UNDELIVERED = (DeliveryFailed, ClientException, DeserializationError, ClientError)
KEYS_RETRY_AFTER = str(int(keys.AFTER_FAILURE))  # when a refused request may try again


class _AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id
        self.APP_PASSWORD = settings.microsoft_app_password.get_secret_value()
        self.APP_TYPE = settings.microsoft_app_type
        self.APP_TENANTID = settings.microsoft_app_tenant_id


def authentication(settings: Settings) -> ConfigurationBotFrameworkAuthentication:
    """Bot Framework authentication from golive's settings; an empty app id is local mode."""
    if not settings.microsoft_app_id:
        log.warning(
            "MICROSOFT_APP_ID is empty: Teams runs in local mode WITHOUT authentication, "
            "for loopback peers only (the Bot Framework Emulator or the Agents Playground)"
        )
    else:
        keys.install()  # botbuilder's own key fetch blocks the event loop
    return ConfigurationBotFrameworkAuthentication(_AuthConfig(settings))


def invoke_body(body: Any) -> Any:
    """An invoke response body ready for JSON. botbuilder 4.17 serialises bodies that
    ActivityHandler has already turned into dicts, and answers 500 for every
    Action.Execute; only msrest models still need serialising."""
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return serializer_helper(body)


def _bearer(header: str) -> bool:
    scheme, _, token = header.partition(" ")
    return scheme == "Bearer" and bool(token.strip())


class GoliveAdapter(CloudAdapter):  # type: ignore[misc]
    def __init__(self, settings: Settings, *, retry: RetryPolicy | None = None) -> None:
        super().__init__(authentication(settings))
        self.app_id = settings.microsoft_app_id
        self.retry = retry or RetryPolicy()
        self.send_budget = settings.golive_send_timeout_seconds  # the outbox's cut-off
        self.on_turn_error = self._on_turn_error

    async def process(
        self, request: web.Request, bot: Bot, ws_response: Any = None
    ) -> web.StreamResponse:
        """Authenticate and run one inbound activity; answer its invoke response. Every
        refusal is a 4xx (503 while the signing keys cannot be had) and one log line."""
        try:
            return await self._process(request, bot)
        except Refused as refused:
            log.warning("Teams request refused (%d): %s", refused.status, refused.reason)
            headers = {"Retry-After": KEYS_RETRY_AFTER} if refused.status == 503 else None
            return web.json_response(
                {"error": refused.reason}, status=refused.status, headers=headers
            )

    async def _process(self, request: web.Request, bot: Bot) -> web.StreamResponse:
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["POST"])
        if not self.app_id:
            why = local.refusal(request)
            if why is not None:
                raise Refused(403, f"local mode (no MICROSOFT_APP_ID) refused {why}")
        auth_header = request.headers.get("Authorization", "")
        if self.app_id and not _bearer(auth_header):
            # Refused as botbuilder would, before golive reads a byte of the body.
            raise Refused(401, "no Bot Framework token")
        activity = await read_activity(request)
        if not self.app_id and not local.is_loopback(activity.service_url or ""):
            # Local mode trusts whatever serviceUrl comes in; only a local Emulator or
            # Playground may use it, never a caller steering golive's requests elsewhere.
            raise Refused(401, "local mode refused a serviceUrl off this machine")
        try:
            auth = await self.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except keys.KeysUnavailable as error:
            raise Refused(503, str(error)) from None
        except Exception as error:  # any failed validation is a refusal, never a 500
            raise Refused(401, f"authentication failed: {_one_line(error)}") from None

        async def replying(context: TurnContext) -> None:
            context.turn_state[_REPLYING] = True
            await bot.on_turn(context)

        invoke_response = await self.process_activity(auth, activity, replying)
        if invoke_response:
            return web.json_response(
                data=invoke_body(invoke_response.body), status=int(invoke_response.status)
            )
        return web.Response(status=201)

    async def retried(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        what: str,
        context: TurnContext | None = None,
    ) -> T:
        """A Bot Connector call with retries: within the turn's budget when it answers a
        request Teams sent, else within the outbox's send timeout."""
        replying = context is not None and bool(context.turn_state.get(_REPLYING))
        budget = TURN_BUDGET if replying else self.send_budget
        return await self.retry.run(call, what=what, budget=budget)

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        send_some = super().send_activities
        responses: list[ResourceResponse] = []
        for activity in activities:

            async def send_one(one: Activity = activity) -> list[ResourceResponse]:
                sent: list[ResourceResponse] = await send_some(context, [one])
                return sent

            responses.extend(await self.retried(send_one, what="send", context=context))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> Any:
        update_one = super().update_activity
        return await self.retried(
            lambda: update_one(context, activity), what="update", context=context
        )

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        if isinstance(error, _UNDELIVERED):
            # Teams refused, did not answer, or answered nonsense: not golive's fault, and
            # a traceback per failed reply would drown the log.
            log.error("Teams reply not delivered: %s", _one_line(error))
            return
        log.error("Teams turn failed", exc_info=error)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())[:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
