"""Repository port for digests and digest schedules (filled in by the digests feature)."""

from __future__ import annotations

from typing import Protocol


class DigestRepository(Protocol):
    pass
