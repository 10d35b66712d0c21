"""Conversation references: which conversation an activity belongs to, and the JSON that
lets golive post there later (after any restart)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

LOCAL_TENANT = "local"  # the Emulator sends no tenant


def tenant_of(activity: Activity) -> str:
    """The tenant id: golive's workspace for Teams."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") or {}
    if tenant.get("id"):
        return str(tenant["id"])
    conversation = activity.conversation
    if conversation is not None and conversation.tenant_id:
        return str(conversation.tenant_id)
    return LOCAL_TENANT


def base_conversation_id(conversation_id: str) -> str:
    """A channel thread's id without ``;messageid=…``: posting there starts a new post."""
    return conversation_id.split(";messageid=", 1)[0]


def kind_of(activity: Activity) -> str:
    conversation = activity.conversation
    kind = conversation.conversation_type if conversation is not None else None
    if kind in ("channel", "groupChat", "personal"):
        return str(kind)
    return "groupChat" if conversation is not None and conversation.is_group else "personal"


@dataclass(frozen=True)
class Where:
    tenant_id: str
    conversation_id: str
    kind: str
    user_id: str | None  # the person, in a personal chat


def where(activity: Activity) -> Where:
    kind = kind_of(activity)
    user = activity.from_property.id if activity.from_property is not None else None
    conversation_id = activity.conversation.id if activity.conversation is not None else ""
    return Where(
        tenant_id=tenant_of(activity),
        conversation_id=base_conversation_id(conversation_id or ""),
        kind=kind,
        user_id=user if kind == "personal" else None,
    )


def reference_of(activity: Activity) -> dict[str, Any]:
    """The activity's conversation reference as JSON, pointing at the whole conversation
    (a channel rather than the thread the activity came from)."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    if reference.conversation is not None and reference.conversation.id:
        reference.conversation.id = base_conversation_id(reference.conversation.id)
    if reference.conversation is not None and not reference.conversation.tenant_id:
        reference.conversation.tenant_id = tenant_of(activity)
    data: dict[str, Any] = reference.serialize()
    return data


def from_json(data: dict[str, Any]) -> ConversationReference:
    return ConversationReference().deserialize(data)


class ReferenceStore(Protocol):
    """Where references are kept (``storage.teams.TeamsConversationStore``)."""

    async def save(
        self,
        *,
        tenant_id: str,
        conversation_id: str,
        kind: str,
        user_id: str | None,
        reference: dict[str, Any],
        now: datetime,
    ) -> None: ...

    async def forget(self, tenant_id: str, conversation_id: str) -> None: ...

    async def by_conversation(
        self, tenant_id: str, conversation_id: str
    ) -> dict[str, Any] | None: ...

    async def personal(self, tenant_id: str, user_id: str) -> dict[str, Any] | None: ...

    async def any_in_tenant(self, tenant_id: str) -> dict[str, Any] | None: ...

    async def with_personal_chat(self, tenant_id: str, user_ids: Iterable[str]) -> set[str]: ...
