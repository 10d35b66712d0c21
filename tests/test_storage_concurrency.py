"""Two replicas racing for the same pilot key on PostgreSQL: the unique constraint decides."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.errors import Conflict
from bot.pilots.models import Person, Pilot, Workspace
from storage.db import Database

pytestmark = pytest.mark.postgres


async def _waiting_on_a_lock(database: Database) -> bool:
    async with database.engine.connect() as connection:
        waiting = await connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return bool(waiting.scalar())


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_sessions_adding_one_key_at_once_make_one_pilot_and_one_conflict(
    database: Database,
) -> None:
    async with database.uow() as uow:
        workspace = Workspace(platform="slack", external_id="T1")
        await uow.workspaces.add(workspace)
        await uow.flush()
        assert workspace.id is not None
        owner = Person(workspace_id=workspace.id, external_id="U1", name="Noura")
        await uow.people.add(owner)
        await uow.commit()
    assert owner.id is not None
    first_inserted = asyncio.Event()

    def churn() -> Pilot:
        assert workspace.id is not None and owner.id is not None
        return Pilot(
            workspace_id=workspace.id, key="churn", name="Churn", owner_id=owner.id, channel_id="C"
        )

    async def first() -> str:
        async with database.uow() as uow:
            await uow.pilots.add(churn())
            await uow.flush()
            first_inserted.set()
            # Commit only once the second insert is blocked on our uncommitted row, so the
            # two transactions truly overlap.
            for _ in range(400):
                if await _waiting_on_a_lock(database):
                    break
                await asyncio.sleep(0.025)
            else:
                raise AssertionError("the second insert never waited for the first")
            await uow.commit()
        return "created"

    async def second() -> str:
        await first_inserted.wait()
        async with database.uow() as uow:
            await uow.pilots.add(churn())
            await uow.commit()
        return "created"

    results = await asyncio.gather(first(), second(), return_exceptions=True)

    assert results[0] == "created"
    assert isinstance(results[1], Conflict)
    assert "already exists" in results[1].message
    async with database.engine.connect() as connection:
        count = await connection.execute(text("SELECT count(*) FROM pilots WHERE key = 'churn'"))
        assert count.scalar() == 1
