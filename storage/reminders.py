"""Tables, mappings and repositories for reminders (being written by the reminders feature)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


def map_reminders() -> None:
    """Map the core's reminders classes to their tables (called once by storage.mapping)."""


class SqlReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
