"""``golive outbox`` lists rows for administrators, never their content."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fakes import FakeChatGateway

from adapters.cli import main
from bot.clock import MovableClock
from bot.delivery.models import Conversation
from bot.delivery.service import enqueue
from bot.delivery.worker import deliver_due
from bot.messages import say
from bot.pilots.models import Workspace
from storage.db import Database


async def fill(url: str) -> None:
    database = Database(url)
    clock = MovableClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    async with database.uow() as uow:
        workspace = Workspace(platform="slack", external_id="T1")
        await uow.workspaces.add(workspace)
        await uow.flush()
        for key, text in (("digest:C1:2026-W49", "weekly"), ("remind:1:2026-12-01", "SECRET")):
            to = Conversation(platform="slack", workspace_id="T1", channel_id="C1")
            await enqueue(
                uow, workspace=workspace, key=key, to=to, message=say(text), now=clock.now()
            )
        await uow.commit()
    gateway = FakeChatGateway(platform="slack")
    gateway.fail_next(1, "error")  # the digest waits for a retry...
    gateway.fail_next(1, "permanent")  # ...and the reminder dies
    await deliver_due(uow_factory=database.uow, gateways={"slack": gateway}, clock=clock)
    await database.dispose()


def test_outbox_lists_rows_by_status(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(fill(sqlite_url))
    monkeypatch.setenv("DATABASE_URL", sqlite_url)

    assert main(["outbox"]) == 0
    everything = capsys.readouterr().out
    assert "digest:C1:2026-W49" in everything and "remind:1:2026-12-01" in everything
    assert "SECRET" not in everything and "weekly" not in everything

    assert main(["outbox", "--status", "dead", "--limit", "5"]) == 0
    dead = capsys.readouterr().out.splitlines()
    assert dead[0].split()[:4] == ["id", "status", "tries", "key"]
    assert len(dead) == 2 and " dead " in dead[1] and "platform error" in dead[1]

    assert main(["outbox", "--status", "sent"]) == 0
    assert capsys.readouterr().out.strip() == "(no outbox rows)"
