"""Teams conversation references: where golive can post after a restart.

A plain SQLAlchemy Core table on the shared metadata (no domain class to map): the Teams
adapter saves one row per conversation it has seen — channels, group chats and each
person's personal chat — and reads them back to send proactive messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.base import metadata
from storage.types import UTCDateTime

teams_conversations = Table(
    "teams_conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("conversation_id", String(512), nullable=False),
    Column("kind", String(16), nullable=False),  # personal | channel | groupChat
    Column("user_id", String(255), nullable=True),  # the person, for a personal chat
    Column("reference", Text, nullable=False),  # ConversationReference as JSON
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("tenant_id", "conversation_id"),
    Index("ix_teams_conversations_personal", "tenant_id", "user_id"),
)


def map_teams() -> None:
    """Nothing to map: the table is read and written with SQLAlchemy Core. Importing this
    module registers the table on the shared metadata (for migrations)."""


class TeamsConversationStore:
    """Saved conversation references, each write in its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def save(
        self,
        *,
        tenant_id: str,
        conversation_id: str,
        kind: str,
        user_id: str | None,
        reference: dict[str, Any],
        now: datetime,
    ) -> None:
        """Insert or refresh the reference of one conversation."""
        values = {
            "kind": kind,
            "user_id": user_id,
            "reference": json.dumps(reference, sort_keys=True),
            "updated_at": now,
        }
        where = (teams_conversations.c.tenant_id == tenant_id) & (
            teams_conversations.c.conversation_id == conversation_id
        )
        for _attempt in range(2):  # a concurrent first insert loses the race once, then updates
            try:
                async with self.engine.begin() as connection:
                    updated = await connection.execute(
                        teams_conversations.update().where(where).values(**values)
                    )
                    if updated.rowcount == 0:
                        await connection.execute(
                            teams_conversations.insert().values(
                                tenant_id=tenant_id, conversation_id=conversation_id, **values
                            )
                        )
                return
            except IntegrityError:
                continue

    async def forget(self, tenant_id: str, conversation_id: str) -> None:
        """Drop a conversation golive was removed from."""
        async with self.engine.begin() as connection:
            await connection.execute(
                teams_conversations.delete().where(
                    (teams_conversations.c.tenant_id == tenant_id)
                    & (teams_conversations.c.conversation_id == conversation_id)
                )
            )

    async def by_conversation(self, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        return await self._one(
            (teams_conversations.c.tenant_id == tenant_id)
            & (teams_conversations.c.conversation_id == conversation_id)
        )

    async def personal(self, tenant_id: str, user_id: str) -> dict[str, Any] | None:
        """The person's personal chat with golive, if they have installed it."""
        return await self._one(
            (teams_conversations.c.tenant_id == tenant_id)
            & (teams_conversations.c.user_id == user_id)
            & (teams_conversations.c.kind == "personal")
        )

    async def any_in_tenant(self, tenant_id: str) -> dict[str, Any] | None:
        """The most recently seen reference in the tenant (its service URL and bot account
        serve to open a new chat or read the roster)."""
        return await self._one(teams_conversations.c.tenant_id == tenant_id)

    async def with_personal_chat(self, tenant_id: str, user_ids: Iterable[str]) -> set[str]:
        """Which of ``user_ids`` golive has a personal chat with."""
        wanted = list(user_ids)
        if not wanted:
            return set()
        query = select(teams_conversations.c.user_id).where(
            (teams_conversations.c.tenant_id == tenant_id)
            & (teams_conversations.c.kind == "personal")
            & teams_conversations.c.user_id.in_(wanted)
        )
        async with self.engine.connect() as connection:
            return {row[0] for row in await connection.execute(query)}

    async def _one(self, where: Any) -> dict[str, Any] | None:
        query = (
            select(teams_conversations.c.reference)
            .where(where)
            .order_by(teams_conversations.c.updated_at.desc(), teams_conversations.c.id.desc())
            .limit(1)
        )
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return json.loads(row[0]) if row else None
