"""Tables, mappings and repositories for polls (being written by the polls feature)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


def map_polls() -> None:
    """Map the core's polls classes to their tables (called once by storage.mapping)."""


class SqlPollRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
