"""golive's CloudAdapter: the 4.17 invoke fix, 401 on any failed authentication, and
retries of every Bot Connector call it makes."""

from __future__ import annotations

import ipaddress
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from botbuilder.core import Bot, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ResourceResponse

from adapters.settings import Settings
from adapters.teams.retry import RetryPolicy

log = logging.getLogger(__name__)


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
            "MICROSOFT_APP_ID is empty: Teams runs in local mode WITHOUT authentication "
            "(for the Bot Framework Emulator or the Agents Playground only)"
        )
    return ConfigurationBotFrameworkAuthentication(_AuthConfig(settings))


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def invoke_body(body: Any) -> Any:
    """An invoke response body ready for JSON. botbuilder 4.17 serialises bodies that
    ActivityHandler has already turned into dicts, and answers 500 for every
    Action.Execute; only msrest models still need serialising."""
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return serializer_helper(body)


class GoliveAdapter(CloudAdapter):  # type: ignore[misc]
    def __init__(self, settings: Settings, *, retry: RetryPolicy | None = None) -> None:
        super().__init__(authentication(settings))
        self.app_id = settings.microsoft_app_id
        self.retry = retry or RetryPolicy()
        self.on_turn_error = self._on_turn_error

    async def process(
        self, request: web.Request, bot: Bot, ws_response: Any = None
    ) -> web.StreamResponse:
        """Authenticate and run one inbound activity; answer its invoke response."""
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["POST"])
        if "application/json" not in request.headers.get("Content-Type", ""):
            raise web.HTTPUnsupportedMediaType()
        try:
            payload = await request.json()
            activity = Activity().deserialize(payload)
        except (json.JSONDecodeError, ValueError, TypeError) as error:
            raise web.HTTPBadRequest() from error
        if not activity.type:
            raise web.HTTPBadRequest()
        if not self.app_id and not is_loopback(activity.service_url or ""):
            # Local mode trusts whatever serviceUrl comes in; only a local Emulator or
            # Playground may use it, never a remote caller steering golive's requests.
            log.warning("Teams local mode refused a serviceUrl off this machine")
            raise web.HTTPUnauthorized()
        auth_header = request.headers.get("Authorization", "")
        try:
            auth = await self.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except Exception as error:  # any failed validation is a refusal, never a 500
            log.warning("Teams request refused: %s", error)
            raise web.HTTPUnauthorized() from None
        invoke_response = await self.process_activity(auth, activity, bot.on_turn)
        if invoke_response:
            return web.json_response(
                data=invoke_body(invoke_response.body), status=int(invoke_response.status)
            )
        return web.Response(status=201)

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        send_some = super().send_activities
        responses: list[ResourceResponse] = []
        for activity in activities:

            async def send_one(one: Activity = activity) -> list[ResourceResponse]:
                sent: list[ResourceResponse] = await send_some(context, [one])
                return sent

            responses.extend(await self.retry.run(send_one, what="send"))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> Any:
        update_one = super().update_activity
        return await self.retry.run(lambda: update_one(context, activity), what="update")

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed", exc_info=error)
