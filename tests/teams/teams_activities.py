"""Teams activities as the service sends them (shapes checked against the Agents
Playground and Microsoft's docs), built with a serviceUrl pointing at the fake."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from bot import actions
from bot.commands import Command

TENANT = "tenant-1"
BOT = {"id": "28:golive-bot", "name": "golive"}
TEAM_CHANNEL = "19:steering@thread.tacv2"

_ids = itertools.count(1000)


@dataclass(frozen=True)
class User:
    id: str
    name: str

    @property
    def account(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "aadObjectId": f"aad-{self.id}"}

    @property
    def personal_chat(self) -> str:
        return f"a:personal-{self.id}"


AMAL = User("29:amal", "Amal Haddad")
SARA = User("29:sara", "Sara Kim")
OMAR = User("29:omar", "Omar Said")


def _base(service_url: str, user: User, conversation: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"in-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": user.account,
        "recipient": BOT,
        "conversation": {**conversation, "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-US",
        "localTimezone": "Asia/Dubai",
    }


def _personal(user: User) -> dict[str, Any]:
    return {"id": user.personal_chat, "conversationType": "personal"}


def _channel(thread: str | None = None) -> dict[str, Any]:
    conversation_id = TEAM_CHANNEL + (f";messageid={thread}" if thread else "")
    return {"id": conversation_id, "conversationType": "channel", "isGroup": True}


def _channel_data() -> dict[str, Any]:
    return {
        "tenant": {"id": TENANT},
        "teamsTeamId": "19:team@thread.tacv2",
        "teamsChannelId": TEAM_CHANNEL,
        "team": {"id": "19:team@thread.tacv2", "name": "AI Steering"},
        "channel": {"id": TEAM_CHANNEL, "name": "steering"},
    }


def personal_message(service_url: str, user: User, text: str) -> dict[str, Any]:
    return {**_base(service_url, user, _personal(user)), "type": "message", "text": text}


def mention_of(user: User | dict[str, str]) -> tuple[str, dict[str, Any]]:
    account = user.account if isinstance(user, User) else user
    tag = f"<at>{account['name']}</at>"
    return tag, {"type": "mention", "text": tag, "mentioned": account}


def channel_message(
    service_url: str, user: User, text: str, *, mentions: list[User] | None = None
) -> dict[str, Any]:
    """``@golive <text>`` in the steering channel; ``{name}`` placeholders in ``text``
    become mentions of ``mentions``."""
    bot_tag, bot_entity = mention_of(BOT)
    entities = [bot_entity]
    for person in mentions or []:
        tag, entity = mention_of(person)
        text = text.replace("{" + person.name.split()[0].lower() + "}", tag)
        entities.append(entity)
    activity = _base(service_url, user, _channel(thread=None))
    activity.update(
        type="message",
        text=f"{bot_tag} {text}\n",
        entities=entities,
        channelData=_channel_data(),
    )
    return activity


def clicked(command: Command) -> dict[str, str]:
    """The data of a card button that runs ``command``, as golive renders it."""
    return {"action": actions.encode(command)}


def card_invoke(
    service_url: str, user: User, data: dict[str, Any], *, conversation: dict[str, Any]
) -> dict[str, Any]:
    """An Action.Execute click, as Teams sends it."""
    activity = _base(service_url, user, conversation)
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": "golive", "data": data},
            "trigger": "manual",
        },
    )
    return activity


def card_submit(
    service_url: str,
    user: User,
    data: dict[str, Any],
    *,
    conversation: dict[str, Any],
    reply_to: str,
) -> dict[str, Any]:
    """An Action.Submit click (clients without Universal Actions)."""
    activity = _base(service_url, user, conversation)
    activity.update(type="message", value=data, replyToId=reply_to)
    return activity


def personal_installation(service_url: str, user: User, action: str = "add") -> dict[str, Any]:
    activity = _base(service_url, user, _personal(user))
    activity.update(type="installationUpdate", action=action)
    return activity


def team_conversation_update(service_url: str, user: User) -> dict[str, Any]:
    """golive added to a team: the update arrives in the team's General channel."""
    activity = _base(service_url, user, _channel())
    activity.update(
        type="conversationUpdate",
        membersAdded=[BOT],
        channelData={**_channel_data(), "eventType": "teamMemberAdded"},
    )
    return activity


PERSONAL = _personal
CHANNEL = _channel
