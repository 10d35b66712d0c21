"""Retention: the audit log's old entries deleted a batch at a time (the sweep's
``prune audit``; GOLIVE_AUDIT_RETENTION_DAYS). The decision log is never pruned."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.pilots import audit_entries


async def prune_audit(engine: AsyncEngine, *, before: datetime, limit: int) -> int:
    """Delete audit entries older than ``before`` among the ``limit`` oldest; how many.

    Entries are only ever appended, so the oldest by id are the oldest by time: the
    primary key finds the batch, with no scan of the table when nothing is old enough."""
    oldest = (
        select(audit_entries.c.id, audit_entries.c.at)
        .order_by(audit_entries.c.id)
        .limit(limit)
        .cte("oldest")
    )
    async with engine.begin() as connection:
        done = await connection.execute(
            delete(audit_entries)
            .where(audit_entries.c.id.in_(select(oldest.c.id).where(oldest.c.at < before)))
            .returning(audit_entries.c.id)  # rowcount: -1 from SQLite for a statement with WITH
        )
        return len(done.all())
