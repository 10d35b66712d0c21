"""Slack wiring: the Bolt AsyncApp, its HTTP routes on golive's aiohttp server, or Socket
Mode when ``SLACK_APP_TOKEN`` is set. Both transports end in the same listeners."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_sdk.web.async_client import AsyncWebClient

from adapters.platforms import Added
from adapters.slack import oauth, wire
from adapters.slack.gateway import SlackGateway, make_client
from adapters.slack.listeners import Listeners, register
from adapters.slack.replay import ReplayGuard, SeenEvents, SeenKeys

if TYPE_CHECKING:
    from adapters.app import Runtime

log = logging.getLogger(__name__)


class _ExpectedTokenNotice(logging.Filter):
    """golive hands Bolt its own client (pointed at SLACK_API_URL); Bolt also reads
    SLACK_BOT_TOKEN from the environment and warns that it goes unused, as it should."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_ExpectedTokenNotice())

EVENTS_PATH = "/slack/events"
SLACK = web.AppKey("slack", object)


@dataclass
class SlackAdapter:
    bolt: AsyncApp
    gateway: SlackGateway
    listeners: Listeners
    socket_mode: AsyncSocketModeHandler | None = None


def _secret(value: SecretStr | None) -> str | None:
    """A secret's value; an empty variable counts as unset."""
    return (value.get_secret_value() or None) if value is not None else None


def build_bolt(runtime: Runtime, *, seen: SeenKeys) -> tuple[SlackAdapter | None, str]:
    """The Bolt app and gateway for the configured mode (None when Slack is not set up),
    and the start-up line saying which, or why not. ``seen`` is the store every replica
    shares for event dedupe."""
    settings = runtime.settings
    base_url = settings.slack_api_url
    secret = _secret(settings.slack_signing_secret)
    app_token = _secret(settings.slack_app_token)
    bot_token = _secret(settings.slack_bot_token)
    client_secret = _secret(settings.slack_client_secret)
    send_timeout = settings.golive_send_timeout_seconds
    socket = app_token is not None
    if not socket and secret is None:
        return None, "Slack: off (SLACK_SIGNING_SECRET or SLACK_APP_TOKEN not set)"
    common: dict[str, Any] = {
        "signing_secret": secret,
        "request_verification_enabled": not socket,
        "process_before_response": False,
    }
    if settings.slack_client_id and client_secret:
        engine = runtime.database.engine
        installations = oauth.installation_store(
            settings.slack_client_id, engine, secret_type=runtime.secret_type
        )
        settings_ = oauth.oauth_settings(
            client_id=settings.slack_client_id,
            client_secret=client_secret,
            installation_store=installations,
            state_store=oauth.state_store(engine),
        )
        bolt = AsyncApp(
            client=make_client(None, base_url),
            oauth_flow=AsyncOAuthFlow(client=make_client(None, base_url), settings=settings_),
            **common,
        )
        gateway = SlackGateway(
            oauth.client_for_installations(installations, base_url), send_timeout=send_timeout
        )
        mode = "OAuth (many workspaces)"
    elif bot_token is not None:
        bolt = AsyncApp(client=make_client(bot_token, base_url), **common)
        # The outbox's own client: its waits on 429s are cut to fit the send timeout,
        # while a listener's answer may wait as long as Slack asks.
        client = make_client(bot_token, base_url)

        async def single(_team_id: str) -> AsyncWebClient:
            return client

        gateway = SlackGateway(single, send_timeout=send_timeout)
        mode = "one workspace"
    else:
        return None, "Slack: off (SLACK_BOT_TOKEN or SLACK_CLIENT_ID not set)"
    listeners = Listeners(golive=runtime.golive, gateway=gateway, seen=SeenEvents(seen))
    register(bolt, listeners, oauth=bolt.oauth_flow is not None)
    adapter = SlackAdapter(bolt=bolt, gateway=gateway, listeners=listeners)
    if app_token is not None:
        adapter.socket_mode = AsyncSocketModeHandler(
            bolt,
            app_token=app_token,
            web_client=make_client(None, base_url),
        )
    return adapter, f"Slack: {mode}, {'Socket Mode' if socket else 'HTTP ' + EVENTS_PATH}"


def setup_slack(runtime: Runtime, app: web.Application, *, seen: SeenKeys) -> Added:
    """Add Slack to golive's web server: routes (HTTP mode) or a Socket Mode connection
    opened on start-up; returns the gateway the outbox delivers through. ``seen`` is the
    store of request signatures and event ids every replica shares."""
    adapter, note = build_bolt(runtime, seen=seen)
    if adapter is None:
        return Added(platform="slack", gateway=None, note=note)
    app[SLACK] = adapter
    if adapter.socket_mode is not None:
        handler = adapter.socket_mode

        async def connect(_app: web.Application) -> None:
            await handler.connect_async()  # type: ignore[no-untyped-call]

        async def disconnect(_app: web.Application) -> None:
            await handler.close_async()  # type: ignore[no-untyped-call]

        app.on_startup.append(connect)
        app.on_cleanup.append(disconnect)
    else:
        signing_secret = _secret(runtime.settings.slack_signing_secret)
        assert signing_secret is not None  # build_bolt needs it without Socket Mode
        guard = ReplayGuard(signing_secret, seen)
        app.router.add_post(EVENTS_PATH, events_handler(adapter.bolt, guard))
    if adapter.bolt.oauth_flow is not None:
        app.router.add_get(adapter.bolt.oauth_flow.install_path, oauth_handler(adapter.bolt))
        app.router.add_get(adapter.bolt.oauth_flow.redirect_uri_path, oauth_handler(adapter.bolt))
    return Added(platform="slack", gateway=adapter.gateway, note=note)


def events_handler(bolt: AsyncApp, guard: ReplayGuard) -> Any:
    """Slack's requests, in the order that costs a stranger least: size (before reading
    more than the limit), signature (before parsing anything), shape (before Bolt reads
    it), replay (one database write), then Bolt."""

    async def handle(request: web.Request) -> web.Response:
        raw = await read_body(request, wire.MAX_BODY_BYTES)
        if raw is None:
            log.warning("slack: refused a request over %d bytes", wire.MAX_BODY_BYTES)
            return web.json_response({"error": "request too large"}, status=413)
        if not guard.signed(raw, request.headers):
            log.info("slack: refused a request without a valid signature")
            return web.json_response({"error": "invalid request"}, status=401)
        headers = build_normalized_headers(request.headers)  # type: ignore[arg-type]
        try:
            body = wire.parse(raw, extract_content_type(headers))
        except wire.Malformed as error:
            log.warning("slack: refused a malformed request: %s", error.reason)
            return web.json_response({"error": "malformed request"}, status=400)
        if not is_event(body):
            try:
                fresh = await guard.first_use(request.headers)
            except Exception as error:  # the shared store is down: nothing can be run
                log.warning("slack: replay check failed (%s)", type(error).__name__)
                return web.json_response({"error": "try again"}, status=503)
            if not fresh:
                log.warning("slack: refused a replayed request (its signature was seen before)")
                return web.json_response({"error": "invalid request"}, status=401)
        bolt_request = AsyncBoltRequest(
            body=raw.decode("utf-8"),
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        # Bolt reads a form that merely mentions "payload" as an empty interaction (see
        # wire.parse): its reading is replaced by golive's, the raw body kept for its check.
        bolt_request.body = body
        bolt_request.context = build_async_context(AsyncBoltContext({}), body)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return handle


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The request's body, or None as soon as it is known to pass ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def is_event(body: wire.JSON) -> bool:
    """An Events API delivery (with an ``event_id``, which dedupes it), as opposed to a
    slash command or an interaction, which Slack never retries."""
    return body.get("type") == "event_callback" and "event_id" in body


def oauth_handler(bolt: AsyncApp) -> Any:
    async def handle(request: web.Request) -> web.Response:
        flow = bolt.oauth_flow
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    return handle
