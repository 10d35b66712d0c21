"""Tables, mappings and repositories for digests (being written by the digests feature)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


def map_digests() -> None:
    """Map the core's digests classes to their tables (called once by storage.mapping)."""


class SqlDigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
