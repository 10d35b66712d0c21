"""Slack wiring: the Bolt AsyncApp, its HTTP routes on golive's aiohttp server, or Socket
Mode when ``SLACK_APP_TOKEN`` is set. Both transports end in the same listeners."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.platforms import Added
from adapters.slack import oauth
from adapters.slack.gateway import SlackGateway, TtlCache, make_client
from adapters.slack.listeners import Listeners, register

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

# How far a request's timestamp may be from now, as Slack recommends.
MAX_SKEW_SECONDS = 300


@dataclass
class SlackAdapter:
    bolt: AsyncApp
    gateway: SlackGateway
    listeners: Listeners
    socket_mode: AsyncSocketModeHandler | None = None


class ReplayGuard:
    """Refuses a validly signed request seen before: a signature can be replayed for the 5
    minutes its timestamp is accepted, and Bolt alone would accept it."""

    def __init__(self, secret: str) -> None:
        self.verifier = SignatureVerifier(secret)
        self.seen = TtlCache(ttl=2 * MAX_SKEW_SECONDS, size=100_000)

    def admit(self, body: str, headers: Any, *, replayable: bool = False) -> bool:
        """True for a fresh, validly signed request not seen before. ``replayable``
        requests (events) may repeat: their ``event_id`` dedupes them instead, and Slack may
        retry one within the second it was first sent, with the same signature."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        try:
            fresh = abs(time.time() - int(timestamp)) <= MAX_SKEW_SECONDS
        except ValueError:
            return False
        if not fresh or not self.verifier.is_valid(body, timestamp, signature):
            return False
        if replayable:
            return True
        if self.seen.get(signature) is not None:
            return False
        self.seen.put(signature, True)
        return True


def _secret(value: SecretStr | None) -> str | None:
    """A secret's value; an empty variable counts as unset."""
    return (value.get_secret_value() or None) if value is not None else None


def build_bolt(runtime: Runtime) -> tuple[SlackAdapter | None, str]:
    """The Bolt app and gateway for the configured mode (None when Slack is not set up),
    and the start-up line saying which, or why not."""
    settings = runtime.settings
    base_url = settings.slack_api_url
    secret = _secret(settings.slack_signing_secret)
    app_token = _secret(settings.slack_app_token)
    bot_token = _secret(settings.slack_bot_token)
    client_secret = _secret(settings.slack_client_secret)
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
        installations = oauth.installation_store(settings.slack_client_id, engine)
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
        gateway = SlackGateway(oauth.client_for_installations(installations, base_url))
        mode = "OAuth (many workspaces)"
    elif bot_token is not None:
        client = make_client(bot_token, base_url)
        bolt = AsyncApp(client=client, **common)

        async def single(_team_id: str) -> AsyncWebClient:
            return client

        gateway = SlackGateway(single)
        mode = "one workspace"
    else:
        return None, "Slack: off (SLACK_BOT_TOKEN or SLACK_CLIENT_ID not set)"
    listeners = Listeners(golive=runtime.golive, gateway=gateway)
    register(bolt, listeners, oauth=bolt.oauth_flow is not None)
    adapter = SlackAdapter(bolt=bolt, gateway=gateway, listeners=listeners)
    if app_token is not None:
        adapter.socket_mode = AsyncSocketModeHandler(
            bolt,
            app_token=app_token,
            web_client=make_client(None, base_url),
        )
    return adapter, f"Slack: {mode}, {'Socket Mode' if socket else 'HTTP ' + EVENTS_PATH}"


def setup_slack(runtime: Runtime, app: web.Application) -> Added:
    """Add Slack to golive's web server: routes (HTTP mode) or a Socket Mode connection
    opened on start-up; returns the gateway the outbox delivers through."""
    adapter, note = build_bolt(runtime)
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
        guard = ReplayGuard(signing_secret)
        app.router.add_post(EVENTS_PATH, events_handler(adapter.bolt, guard))
    if adapter.bolt.oauth_flow is not None:
        app.router.add_get(adapter.bolt.oauth_flow.install_path, oauth_handler(adapter.bolt))
        app.router.add_get(adapter.bolt.oauth_flow.redirect_uri_path, oauth_handler(adapter.bolt))
    return Added(platform="slack", gateway=adapter.gateway, note=note)


def events_handler(bolt: AsyncApp, guard: ReplayGuard) -> Any:
    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        if not guard.admit(body, request.headers, replayable=is_event(request, body)):
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return handle


def is_event(request: web.Request, body: str) -> bool:
    """An Events API delivery (JSON with an ``event_id``), as opposed to a slash command or
    an interaction (form-encoded), which Slack never retries."""
    if request.content_type != "application/json":
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "event_callback" and "event_id" in data


def oauth_handler(bolt: AsyncApp) -> Any:
    async def handle(request: web.Request) -> web.Response:
        flow = bolt.oauth_flow
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    return handle
