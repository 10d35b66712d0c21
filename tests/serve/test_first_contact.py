"""A new workspace's first commands arriving together (the first burst after an install):
none is refused because another created the workspace or person row first."""

from __future__ import annotations

import asyncio

from bot.context import Caller
from bot.service import Golive


def caller(user: str) -> Caller:
    return Caller(platform="slack", workspace_id="TNEW", user_id=user, channel_id="C1")


async def test_simultaneous_first_commands_all_succeed(golive: Golive) -> None:
    # Two people, each with several first commands at once: both rows race.
    texts = [(f"U{i % 2}", f'new p{i} "Pilot {i}"') for i in range(8)]

    replies = await asyncio.gather(*(golive.run(caller(user), text) for user, text in texts))

    assert [r.refused for r in replies] == [False] * len(texts), [r.text for r in replies]
    async with golive.uow_factory() as uow:
        workspace = await uow.workspaces.get_by_external("slack", "TNEW")
        assert workspace is not None and workspace.id is not None
        for i in range(len(texts)):
            assert await uow.pilots.get_by_key(workspace.id, f"p{i}") is not None
