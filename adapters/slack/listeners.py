"""Bolt listeners: slash command, buttons, modal submissions, App Home, uninstall events.

Every listener acks first (Slack wants an answer within 3 seconds) and then does the work:
it turns the payload into a :class:`bot.context.Caller` and what was asked (typed text with
its mentions, a button's typed action, a form's draft and values), runs it through the
core and answers through ``respond()`` (the payload's response_url).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import forms, home, inbound, render, wire
from adapters.slack.gateway import SlackGateway, display_name
from adapters.slack.replay import SeenEvents
from bot import actions
from bot.context import Caller
from bot.delivery.models import Conversation, DeliveryFailed
from bot.errors import UsageError
from bot.messages import Message
from bot.service import Golive, error_message

log = logging.getLogger(__name__)

JSON = dict[str, Any]
ACTION_PATTERN = re.compile(r"^golive:")
# A view submission must be answered within 3 s; a command slower than this is answered
# after the ack instead of inline in the modal.
FORM_INLINE_SECONDS = 2.0


def reply_body(message: Message) -> JSON:
    """A core reply as a response_url body: private ones ephemeral, others in the channel."""
    body = render.render_message(message)
    body["response_type"] = "ephemeral" if message.private else "in_channel"
    body["replace_original"] = False
    return body


class Listeners:
    def __init__(self, *, golive: Golive, gateway: SlackGateway, seen: SeenEvents) -> None:
        self.golive = golive
        self.gateway = gateway
        self.seen = seen

    # --- translation -------------------------------------------------------------------

    async def caller(
        self,
        *,
        team_id: str,
        user_id: str,
        user_name: str | None = None,
        channel_id: str | None = None,
        channel_name: str | None = None,
    ) -> Caller:
        """Who is asking, with name, zone, locale and admin flag from users.info (cached)."""
        try:
            user = await self.gateway.user_info(team_id, user_id)
        except DeliveryFailed:
            log.warning("users.info failed; running the command with payload data only")
            user = None
        user = user or {}
        return Caller(
            platform="slack",
            workspace_id=team_id,
            user_id=user_id,
            user_name=display_name(user) if user else user_name,
            channel_id=channel_id,
            channel_name=channel_name,
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            timezone=user.get("tz"),
            locale=user.get("locale"),
        )

    # --- listeners ---------------------------------------------------------------------

    async def slash_command(self, ack: AsyncAck, command: JSON, respond: AsyncRespond) -> None:
        """``/golive <text>``: the whole command language."""
        await ack()
        team_id = _team_id(command)
        if team_id is None:
            return
        text, references = inbound.to_typed(str(command.get("text") or ""))
        if not text.strip():
            text, references = "help", []
        caller = await self.caller(
            team_id=team_id,
            user_id=str(command.get("user_id")),
            user_name=command.get("user_name"),
            channel_id=command.get("channel_id"),
            channel_name=command.get("channel_name"),
        )
        reply = await self.golive.run(caller, text, references=references)
        await respond(**reply_body(reply))

    async def button(
        self, ack: AsyncAck, body: JSON, action: JSON, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """A golive button: run its typed action, or open its form in a modal."""
        await ack()
        team_id = _team_id(body)
        if team_id is None:
            return
        user = body.get("user") or {}
        channel = body.get("channel") or {}
        channel_id = channel.get("id") or (body.get("container") or {}).get("channel_id")
        response_url = body.get("response_url")
        caller = await self.caller(
            team_id=team_id,
            user_id=str(user.get("id")),
            user_name=user.get("username") or user.get("name"),
            channel_id=channel_id,
            channel_name=channel.get("name"),
        )
        value = _bounded(str(action.get("value") or ""))
        try:
            if str(action.get("action_id", "")).startswith(render.FORM_ACTION_PREFIX):
                origin = {"channel": channel_id, "response_url": response_url}
                trigger_id = str(body.get("trigger_id") or "")
                form = await self._open_form(client, trigger_id, caller, value, origin)
                if form is None:
                    return
                reply = form
            else:
                reply = await self.golive.execute(caller, actions.decode(value))
        except UsageError as error:  # a payload golive did not make
            reply = error_message(error)
        if response_url:
            await respond(**reply_body(reply))
        else:  # a button in the App Home tab: answer in the person's direct messages
            await self._to_person(team_id, caller.user_id, reply)
            await self._publish_home(client, team_id, caller.user_id)

    async def form_submitted(
        self, ack: AsyncAck, body: JSON, view: JSON, client: AsyncWebClient
    ) -> None:
        """A modal's submit: its draft completed with the inputs; a refusal is shown in
        the modal."""
        team_id = _team_id(body)
        if team_id is None:
            await ack()
            return
        metadata = _metadata(str(view.get("private_metadata") or ""))
        values = forms.submitted_values((view.get("state") or {}).get("values") or {})
        user = body.get("user") or {}

        async def work() -> tuple[Caller, Message]:
            caller = await self.caller(
                team_id=team_id,
                user_id=str(user.get("id")),
                user_name=user.get("username") or user.get("name"),
                channel_id=metadata.get("channel"),
            )
            try:
                draft, _name = actions.decode_draft(_bounded(metadata.get("action", "")))
            except UsageError as error:  # metadata golive did not write
                return caller, error_message(error)
            return caller, await self.golive.submit(caller, draft, values)

        # users.info and the command both count against Slack's 3 seconds.
        running = asyncio.ensure_future(work())
        done, _pending = await asyncio.wait({running}, timeout=FORM_INLINE_SECONDS)
        if done:
            caller, reply = running.result()
            first_input = next(iter(values), None)
            if reply.refused and first_input is not None:
                await ack(response_action="errors", errors={first_input: reply.text[:150]})
                return
            await ack()
        else:
            await ack()
            caller, reply = await running
        await self._answer_form(client, metadata, team_id, caller, reply)

    async def home_opened(self, event: JSON, body: JSON, client: AsyncWebClient) -> None:
        """Publish the Home tab each time someone opens it."""
        if event.get("tab", "home") != "home":
            return
        team_id = _team_id(body if wire.team_id(body) else event)
        if team_id is None:
            return
        await self._publish_home(client, team_id, str(event.get("user")))

    async def ignore(self) -> None:
        """Events golive subscribes to but has nothing to do with here."""

    # --- middleware --------------------------------------------------------------------

    async def dedupe_events(
        self, body: JSON, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        """Answer a retried event (same ``event_id``) with 200 and do nothing else."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return await next()
        try:
            first = await self.seen.first_time(str(event_id))
        except Exception as error:  # the shared store is down: Slack retries the event later
            log.warning("slack: event dedupe failed (%s)", type(error).__name__)
            return BoltResponse(status=503, body="")
        if not first:
            log.info("duplicate event ignored", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        return await next()

    # --- answers -----------------------------------------------------------------------

    async def _open_form(
        self,
        client: AsyncWebClient,
        trigger_id: str,
        caller: Caller,
        value: str,
        origin: dict[str, str | None],
    ) -> Message | None:
        """Open the modal a form button names, built by the core now; None once it is
        open, else the refusal to answer with."""
        draft, name = actions.decode_draft(value)
        form = await self.golive.form(caller, draft, name)
        if isinstance(form, Message):
            return form
        metadata = forms.form_metadata(form, {k: v for k, v in origin.items() if v})
        await client.views_open(
            trigger_id=trigger_id, view=forms.render_form(form, metadata=metadata)
        )
        return None

    async def _answer_form(
        self,
        client: AsyncWebClient,
        metadata: dict[str, str],
        team_id: str,
        caller: Caller,
        reply: Message,
    ) -> None:
        channel_id = metadata.get("channel")
        response_url = metadata.get("response_url")
        if not reply.private and channel_id:
            await client.chat_postMessage(channel=channel_id, **render.render_message(reply))
        elif response_url and wire.is_web_address(response_url):
            await AsyncWebhookClient(response_url).send_dict(reply_body(reply))
        else:
            await self._to_person(team_id, caller.user_id, reply)

    async def _to_person(self, team_id: str, user_id: str, reply: Message) -> None:
        await self.gateway.post(
            Conversation(platform="slack", workspace_id=team_id, user_id=user_id), reply
        )

    async def _publish_home(self, client: AsyncWebClient, team_id: str, user_id: str) -> None:
        # Only ids: the view reads rows, so users.info has nothing to add.
        view = await self.golive.home(
            Caller(platform="slack", workspace_id=team_id, user_id=user_id)
        )
        await client.views_publish(user_id=user_id, view=home.home_view(view))


def _metadata(text: str) -> dict[str, str]:
    try:
        data = wire.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _bounded(payload: str) -> str:
    """A button's or form's typed action, or nothing (which the core refuses) when its JSON
    nests deeper than any golive writes: the core's decoder recurses once per level."""
    return "" if wire.too_deep(payload) else payload


def _team_id(body: JSON) -> str | None:
    """The workspace a payload comes from; None (logged, nothing run, no workspace made)
    when it names none — Slack always does, so this is not Slack."""
    team_id = wire.team_id(body)
    if team_id is None:
        log.warning("slack: refused a payload that names no workspace")
    return team_id


def register(app: AsyncApp, listeners: Listeners, *, oauth: bool) -> None:
    """Attach every golive listener to the Bolt app (the one place they are registered)."""
    app.middleware(listeners.dedupe_events)
    app.command("/golive")(listeners.slash_command)
    app.action(ACTION_PATTERN)(listeners.button)
    app.view_submission(forms.FORM_CALLBACK_ID)(listeners.form_submitted)
    app.event("app_home_opened")(listeners.home_opened)
    if oauth:
        # Bolt's own listeners delete the installation and its tokens.
        app.enable_token_revocation_listeners()
    else:
        app.event("app_uninstalled")(listeners.ignore)
        app.event("tokens_revoked")(listeners.ignore)
