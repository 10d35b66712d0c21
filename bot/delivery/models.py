"""Where messages go and how scheduled sends are recorded (the outbox)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Conversation(BaseModel):
    """A destination: a channel (``channel_id``) or a person's direct messages (``user_id``)."""

    model_config = ConfigDict(frozen=True)

    platform: str
    workspace_id: str  # the platform's team/tenant id
    channel_id: str | None = None
    user_id: str | None = None


class MessageRef(BaseModel):
    """A posted message, enough to update it later."""

    model_config = ConfigDict(frozen=True)

    platform: str
    workspace_id: str
    channel_id: str  # for a DM: the DM conversation id (Slack ``D…``), never the user id
    message_id: str  # Slack ``ts``; Teams activity id


class PersonInfo(BaseModel):
    name: str
    timezone: str | None = None
    locale: str | None = None


class DeliveryFailed(Exception):
    """A send failed. ``retry_after`` is the platform's requested wait, if it gave one;
    ``permanent`` means retrying cannot help (unknown channel, bot removed...)."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    SUPERSEDED = "superseded"


@dataclass(eq=False)
class OutboxMessage:
    """One message to deliver. ``key`` is the idempotency key, unique in the database:
    writing the same key twice is how a second sweep or replica learns it is too late.

    ``update_of`` names the key of an earlier post whose message this replaces (a poll card
    after a vote). Several pending updates of one post collapse into the newest.
    """

    workspace_id: int
    key: str
    platform: str
    message_json: str  # bot.messages.Message as JSON
    created_at: datetime
    next_attempt_at: datetime
    channel_id: str | None = None
    user_id: str | None = None
    update_of: str | None = None
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    ref_json: str | None = None  # MessageRef as JSON once sent
    id: int | None = None
