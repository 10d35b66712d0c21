"""``golive outbox`` lists rows for administrators, never their content."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeChatGateway

from adapters.cli import main
from bot.clock import MovableClock
from bot.delivery.models import Conversation, OutboxStatus
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


# --- retry and prune -------------------------------------------------------------------


async def dead_and_sent(url: str, *, at: datetime) -> dict[str, int]:
    """A dead reminder, a failed digest waiting for its retry and a sent poll result, all
    queued at ``at``; their ids by key."""
    database = Database(url)
    clock = MovableClock(at)
    async with database.uow() as uow:
        workspace = Workspace(platform="slack", external_id="T1")
        await uow.workspaces.add(workspace)
        await uow.flush()
        to = Conversation(platform="slack", workspace_id="T1", channel_id="C1")
        for key in ("remind:1:2026-12-01", "digest:C1:2026-W49", "poll:4:result"):
            await enqueue(uow, workspace=workspace, key=key, to=to, message=say(key), now=at)
        await uow.commit()
    gateway = FakeChatGateway(platform="slack")
    gateway.fail_next(1, "permanent")
    gateway.fail_next(1, "error")
    await deliver_due(uow_factory=database.uow, gateways={"slack": gateway}, clock=clock)
    async with database.uow() as uow:
        rows = await uow.outbox.list()
        ids = {m.key: m.id for m in rows if m.id is not None}
        statuses = {m.key: m.status for m in rows}
    await database.dispose()
    assert statuses == {
        "remind:1:2026-12-01": OutboxStatus.DEAD,
        "digest:C1:2026-W49": OutboxStatus.PENDING,
        "poll:4:result": OutboxStatus.SENT,
    }
    return ids


async def statuses(url: str) -> dict[str, tuple[str, int]]:
    database = Database(url)
    async with database.uow() as uow:
        found = {m.key: (str(m.status), m.attempts) for m in await uow.outbox.list()}
    await database.dispose()
    return found


def test_outbox_retry_requeues_dead_rows_all_or_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = asyncio.run(dead_and_sent(database_url, at=datetime.now(UTC)))
    dead, pending, sent = (
        ids["remind:1:2026-12-01"], ids["digest:C1:2026-W49"], ids["poll:4:result"]
    )  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", database_url)
    before = asyncio.run(statuses(database_url))

    assert main(["outbox", "retry", str(dead), str(pending), str(sent), "9999"]) == 1
    refusal = capsys.readouterr()
    assert refusal.out == ""
    assert refusal.err.strip() == (
        f"golive: nothing requeued: {pending} is pending, not dead; {sent} is sent, not dead; "
        "9999 does not exist"
    )
    assert asyncio.run(statuses(database_url)) == before

    assert main(["outbox", "retry", str(dead)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "requeued 1 message(s), due now:"
    assert out[1].split() == [str(dead), "remind:1:2026-12-01", "slack", "#C1"]
    assert asyncio.run(statuses(database_url))["remind:1:2026-12-01"] == ("pending", 0)

    assert main(["outbox", "retry", str(dead)]) == 1  # no longer dead
    assert f"{dead} is pending, not dead" in capsys.readouterr().err


def test_outbox_retry_dead_requeues_every_dead_row(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(dead_and_sent(database_url, at=datetime.now(UTC)))
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["outbox", "retry", "--dead"]) == 0
    out = capsys.readouterr().out
    assert "requeued 1 message(s)" in out and "remind:1:2026-12-01" in out
    assert asyncio.run(statuses(database_url)) == {
        "remind:1:2026-12-01": ("pending", 0),
        "digest:C1:2026-W49": ("pending", 1),
        "poll:4:result": ("sent", 1),
    }
    assert main(["outbox", "retry", "--dead"]) == 0
    assert capsys.readouterr().out.strip() == "(no dead outbox rows)"


@pytest.mark.parametrize("argv", [["retry"], ["retry", "3", "--dead"], ["prune", "--days", "2"]])
def test_outbox_actions_refuse_bad_arguments(
    argv: list[str], sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["outbox", *argv]) == 2
    assert capsys.readouterr().err.startswith("golive: ")


def test_outbox_prune_deletes_old_sent_rows_only(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(dead_and_sent(database_url, at=datetime.now(UTC) - timedelta(days=40)))
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["outbox", "prune", "--days", "41"]) == 0
    assert capsys.readouterr().out.strip() == (
        "pruned 0 sent or superseded message(s) older than 41 days"
    )
    assert main(["outbox", "prune"]) == 0
    assert capsys.readouterr().out.strip() == (
        "pruned 1 sent or superseded message(s) older than 30 days"
    )
    assert set(asyncio.run(statuses(database_url))) == {
        "remind:1:2026-12-01",
        "digest:C1:2026-W49",
    }
