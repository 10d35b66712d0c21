"""The reminder marks table, its mapping, and the sweep's query for due items."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Column, ForeignKey, Integer, String, Table, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.pilots.models import ItemStatus, Stage
from bot.reminders.models import DueItem, ReminderMark
from storage.base import mapper_registry, metadata
from storage.pilots import checklist_items, pilots
from storage.types import UTCDateTime

reminder_marks = Table(
    "reminder_marks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column(
        "item_id",
        ForeignKey("checklist_items.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("key"),
)


def map_reminders() -> None:
    """Map the core's reminders classes to their tables (called once by storage.mapping)."""
    mapper_registry.map_imperatively(ReminderMark, reminder_marks)


class SqlReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_items_due_by(self, last_due: date) -> list[DueItem]:
        statement = (
            select(
                checklist_items.c.id,
                pilots.c.workspace_id,
                pilots.c.key,
                pilots.c.name,
                checklist_items.c.number,
                checklist_items.c.title,
                checklist_items.c.due,
                checklist_items.c.needs_evidence,
                checklist_items.c.owner_id,
                pilots.c.owner_id,
            )
            .join(pilots, pilots.c.id == checklist_items.c.pilot_id)
            .where(
                checklist_items.c.status == ItemStatus.OPEN,
                checklist_items.c.due.is_not(None),
                checklist_items.c.due <= last_due,
                pilots.c.stage != Stage.STOPPED,
            )
            .order_by(checklist_items.c.due, pilots.c.key, checklist_items.c.number)
        )
        rows = await self.session.execute(statement)
        return [
            DueItem(
                item_id=row[0],
                workspace_id=row[1],
                pilot_key=row[2],
                pilot_name=row[3],
                number=row[4],
                title=row[5],
                due=row[6],
                needs_evidence=row[7],
                owner_id=row[8],
                business_owner_id=row[9],
            )
            for row in rows
        ]

    async def marked(self, keys: Iterable[str]) -> set[str]:
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            column = reminder_marks.c.key
            found.update(await self.session.scalars(select(column).where(column.in_(chunk))))
        return found

    async def mark(self, mark: ReminderMark) -> bool:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(reminder_marks)
            .values(
                workspace_id=mark.workspace_id,
                key=mark.key,
                kind=mark.kind,
                item_id=mark.item_id,
                created_at=mark.created_at,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        # RETURNING, not rowcount: drivers disagree on rowcount for a skipped insert.
        result = await self.session.execute(statement.returning(reminder_marks.c.id))
        return result.first() is not None
