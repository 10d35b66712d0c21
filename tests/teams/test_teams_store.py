"""Saved conversation references, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import MovableClock
from storage.db import Database
from storage.teams import TeamsConversationStore


async def test_references_are_saved_refreshed_found_and_forgotten(
    database: Database, clock: MovableClock
) -> None:
    store = TeamsConversationStore(database.engine)
    now = clock.now()
    await store.save(
        tenant_id="t1",
        conversation_id="a:amal",
        kind="personal",
        user_id="29:amal",
        reference={"v": 1},
        now=now,
    )
    await store.save(
        tenant_id="t1",
        conversation_id="19:c@thread",
        kind="channel",
        user_id=None,
        reference={"v": "channel"},
        now=now + timedelta(minutes=1),
    )
    await store.save(
        tenant_id="t1",
        conversation_id="a:amal",
        kind="personal",
        user_id="29:amal",
        reference={"v": 2},
        now=now + timedelta(minutes=2),
    )
    await store.save(
        tenant_id="t2",
        conversation_id="a:amal",
        kind="personal",
        user_id="29:amal",
        reference={"v": "other tenant"},
        now=now,
    )

    assert await store.personal("t1", "29:amal") == {"v": 2}
    assert await store.by_conversation("t1", "19:c@thread") == {"v": "channel"}
    assert await store.any_in_tenant("t1") == {"v": 2}  # the most recently seen
    assert await store.with_personal_chat("t1", ["29:amal", "29:sara"]) == {"29:amal"}
    assert await store.with_personal_chat("t1", []) == set()
    assert await store.personal("t3", "29:amal") is None

    await store.forget("t1", "a:amal")
    assert await store.personal("t1", "29:amal") is None
    assert await store.personal("t2", "29:amal") == {"v": "other tenant"}
    assert await store.any_in_tenant("t1") == {"v": "channel"}
