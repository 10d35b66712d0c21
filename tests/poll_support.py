"""Helpers for poll tests: a pilot with a committee, commands as text, the outbox."""

from __future__ import annotations

import json
from typing import Any

from memory import Store
from pilot_support import caller, load, text

from bot.delivery.models import OutboxMessage
from bot.messages import Actions, Message
from bot.polls.models import Decision, Poll
from bot.service import Golive

# Handle -> committee role; amal is the business owner.
COMMITTEE = {"sam": "security", "lee": "engineering", "ola": "operations"}


async def say(golive: Golive, user: str, line: str) -> Message:
    """``user`` types ``line`` in the steering channel."""
    return await golive.run(caller(user), line)


async def said(golive: Golive, user: str, line: str) -> str:
    return text(await say(golive, user, line))


async def ok(golive: Golive, user: str, line: str) -> Message:
    """Run a command that must succeed (a refusal fails the test with its text)."""
    reply = await say(golive, user, line)
    refusals = ("Only ", "No pilot", "Usage:", "went wrong", "already", "needs a", "needs the")
    for word in refusals:
        assert word not in reply.text, f"{line!r} refused: {text(reply)}"
    return reply


async def pilot_with_committee(
    golive: Golive, *, key: str = "churn", committee: dict[str, str] | None = None,
    ready: bool = False,
) -> None:  # fmt: skip
    """amal's pilot ``key`` with ``committee`` seated; ``ready`` waives every template
    item so no blocking item is open."""
    await ok(golive, "amal", f'new {key} "Churn model"')
    for handle, role in (COMMITTEE if committee is None else committee).items():
        await ok(golive, "amal", f"committee {key} add @{handle} {role}")
    if ready:
        for number in range(1, 7):
            await ok(golive, "amal", f'checklist {key} waive {number} reason:"covered"')


async def outbox(database: Store) -> dict[str, OutboxMessage]:
    async with database.uow() as uow:
        rows = {m.key: m for m in await uow.outbox.list(limit=1000)}
    return rows


def message_of(row: OutboxMessage) -> Message:
    return Message.model_validate_json(row.message_json)


async def card(database: Store, poll_id: int) -> Message:
    """The newest version of the poll's card: its pending update, else the post."""
    rows = await outbox(database)
    row = rows.get(f"poll:{poll_id}:card:update") or rows[f"poll:{poll_id}:card"]
    return message_of(row)


def buttons(message: Message) -> list[Any]:
    return [b for block in message.blocks if isinstance(block, Actions) for b in block.buttons]


async def the_poll(database: Store, key: str = "churn") -> Poll:
    """The pilot's most recent poll, as stored."""
    pilot, _ = await load(database, key)
    assert pilot.id is not None
    async with database.uow() as uow:
        poll = await uow.polls.latest(pilot.id)
    assert poll is not None, f"{key} has no poll"
    return poll


async def decisions(database: Store) -> list[Decision]:
    async with database.uow() as uow:
        found = await uow.polls.all_decisions()
    return found


def record(decision: Decision) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(decision.record_json)
    return data
