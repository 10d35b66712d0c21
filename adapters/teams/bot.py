"""The Teams bot: remembers every conversation, turns messages and mentions into typed
text and card actions into typed commands for golive, and answers with Adaptive Cards."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes

from adapters.teams.inbound import Submitted, mentioned_names, to_action, to_caller, to_typed
from adapters.teams.privacy import PrivateLine, answer_in_shared, stays_in_thread
from adapters.teams.references import ReferenceStore, kind_of, reference_of, tenant_of, where
from adapters.teams.render import CARD_CONTENT_TYPE, VERB, attachment, render_card
from bot.clock import Clock
from bot.context import Caller
from bot.errors import UsageError
from bot.i18n import _
from bot.messages import Message
from bot.service import Golive, error_message

log = logging.getLogger(__name__)

MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"


def to_activity(message: Message) -> Activity:
    """A neutral message as a Teams message activity holding one Adaptive Card."""
    return Activity(
        type=ActivityTypes.message,
        summary=message.text,
        attachments=[attachment(render_card(message))],
    )


class GoliveTeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        *,
        golive: Golive,
        store: ReferenceStore,
        clock: Clock,
        names: dict[tuple[str, str], str] | None = None,
        private_line: PrivateLine | None = None,
    ) -> None:
        self.golive = golive
        self.store = store
        self.clock = clock
        # Where answers for the caller alone go from a shared conversation (the gateway).
        self.private_line = private_line
        # Names Teams gave in mentions, by (tenant, user id): the directory reads them, so
        # `committee churn add @Sara` names Sara without a roster call.
        self.names = names if names is not None else {}

    async def on_turn(self, turn_context: TurnContext) -> None:
        # Saved on every turn, installation and conversation update, so scheduled messages
        # reach the conversation after any restart.
        await self.remember(turn_context.activity)
        await super().on_turn(turn_context)

    async def remember(self, activity: Activity) -> None:
        if activity.conversation is None or not activity.conversation.id:
            return
        place = where(activity)
        if _golive_removed(activity):
            # Uninstalled: a kept reference would only lead to failed sends.
            await self.store.forget(place.tenant_id, place.conversation_id)
            return
        await self.store.save(
            tenant_id=place.tenant_id,
            conversation_id=place.conversation_id,
            kind=place.kind,
            user_id=place.user_id,
            reference=reference_of(activity),
            now=self.clock.now(),
        )

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        caller = to_caller(activity)
        if isinstance(activity.value, dict):  # an Action.Submit (clients without Execute)
            reply = await self.run_action(caller, activity.value)
            if reply is None:
                return
            if activity.reply_to_id and replaces_card(reply, activity):
                card = to_activity(reply)
                card.id = activity.reply_to_id
                await turn_context.update_activity(card)
                return
            await self.answer(turn_context, reply, caller=caller, asked_help=False)
            return
        tenant = tenant_of(activity)
        for user_id, name in mentioned_names(activity).items():
            self.names[(tenant, user_id)] = name
        text, references = to_typed(activity)
        if not text:
            text, references = "help", []
        reply = await self.golive.run(caller, text, references=references)
        asked_help = text.lower().split(maxsplit=1)[:1] == ["help"]
        await self.answer(turn_context, reply, caller=caller, asked_help=asked_help)

    async def run_action(self, caller: Caller, data: dict[str, Any]) -> Message | None:
        """Run what a card action carries (a button's command, or a form's draft and the
        values typed into it); None when the action is not golive's."""
        try:
            action = to_action(data)
        except UsageError as error:  # a payload golive did not make
            return error_message(error)
        if action is None:
            return None
        if isinstance(action, Submitted):
            return await self.golive.submit(caller, action.draft, action.values)
        return await self.golive.execute(caller, action)

    async def answer(
        self, turn_context: TurnContext, reply: Message, *, caller: Caller, asked_help: bool
    ) -> None:
        """Reply where the command was typed, unless the answer is for the caller alone
        and others would read it there: then it goes to their personal chat."""
        if not stays_in_thread(reply, turn_context.activity, asked_help=asked_help):
            reply = await answer_in_shared(reply, caller=caller, private_line=self.private_line)
        await turn_context.send_activity(to_activity(reply))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name == "adaptiveCard/action":
            body = await self.on_card_action(turn_context)
            return InvokeResponse(status=200, body=body)
        response: InvokeResponse = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == HTTPStatus.NOT_IMPLEMENTED:
            # An invoke golive does not offer (it declares none but card actions): the
            # caller's mistake, not a fault of golive's, so a 4xx rather than botbuilder's 501.
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST)
        return response

    async def on_card_action(self, turn_context: TurnContext) -> dict[str, Any]:
        """An Action.Execute: run its typed action; answer with the card that replaces the
        clicked one, or with a message only the clicker sees."""
        value = _object(turn_context.activity.value)
        action = _object(value.get("action"))
        data = _object(action.get("data"))
        caller = to_caller(turn_context.activity)
        reply = await self.run_action(caller, data) if action.get("verb") == VERB else None
        if reply is None:
            return _message_response(_("That button is not golive's, or no longer works."))
        if not replaces_card(reply, turn_context.activity):
            # Teams has no ephemeral messages; this answer is shown to the clicker alone.
            return _message_response(reply.text)
        return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": render_card(reply)}


def replaces_card(reply: Message, activity: Activity) -> bool:
    """Whether the answer to a click replaces the clicked card: a public answer always;
    a private one only in a personal chat, where nobody else sees the card (a reminder
    becomes its confirmation). In a channel a private answer goes to the clicker alone."""
    return not reply.private or kind_of(activity) == "personal"


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _golive_removed(activity: Activity) -> bool:
    """golive uninstalled, or removed from the team or chat."""
    if activity.type == ActivityTypes.installation_update:
        return (activity.action or "").startswith("remove")
    if activity.type == ActivityTypes.conversation_update and activity.recipient is not None:
        removed = activity.members_removed or []
        return any(member.id == activity.recipient.id for member in removed)
    return False


def _message_response(text: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text}
