"""Tables, mappings and repositories for delivery (being written by the delivery feature)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


def map_delivery() -> None:
    """Map the core's delivery classes to their tables (called once by storage.mapping)."""


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
