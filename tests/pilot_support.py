"""Helpers for pilot tests through the Golive facade: callers, state and row snapshots."""

from __future__ import annotations

from typing import Any

from memory import MemoryStore, Store
from sqlalchemy import select

from bot.commands import Command
from bot.context import Caller
from bot.messages import Message, plain_text
from bot.pilots.models import Person, Pilot
from bot.service import Golive
from storage.base import metadata

WORKSPACE = "T-acme"


def caller(user: str, *, channel: str | None = "C-steer", admin: bool = False) -> Caller:
    return Caller(
        platform="console",
        workspace_id=WORKSPACE,
        user_id=user,
        user_name=user,
        channel_id=channel,
        channel_name="ai-steering" if channel == "C-steer" else channel,
        is_admin=admin,
    )


async def run(golive: Golive, user: str, command: Command, **kwargs: Any) -> Message:
    return await golive.execute(caller(user, **kwargs), command)


def text(message: Message) -> str:
    """Every paragraph, field and context line of a message, one per line."""
    lines = [message.text]
    for block in message.blocks:
        spans = getattr(block, "spans", None)
        if spans is not None:
            lines.append(plain_text(spans))
        for field in getattr(block, "fields", []):
            lines.append(f"{field.label}: {plain_text(field.value)}")
        if hasattr(block, "rows"):
            lines += [" | ".join(row) for row in block.rows]
    return "\n".join(lines)


async def snapshot(database: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused command changed nothing."""
    if isinstance(database, MemoryStore):
        return database.snapshot()
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with database.engine.connect() as connection:
        for table in metadata.sorted_tables:
            result = await connection.execute(select(table).order_by(*table.primary_key))
            rows[table.name] = [tuple(row) for row in result]
    return rows


async def load(database: Store, key: str) -> tuple[Pilot, dict[str, Person]]:
    """The pilot ``key`` of the test workspace and the workspace's people by handle."""
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", WORKSPACE)
        assert workspace is not None and workspace.id is not None
        pilot = await uow.pilots.get_by_key(workspace.id, key)
        assert pilot is not None
        ids = {pilot.owner_id, *(m.person_id for m in pilot.committee)}
        ids |= {i.owner_id for i in pilot.items}
        people = await uow.people.get_many(list(ids))
    return pilot, {p.external_id: p for p in people.values()}


async def audit_actions(database: Store) -> list[str]:
    async with database.uow() as uow:
        workspace = await uow.workspaces.get_by_external("console", WORKSPACE)
        assert workspace is not None and workspace.id is not None
        return [f"{e.action} {e.subject}" for e in await uow.audit.list(workspace.id)]
