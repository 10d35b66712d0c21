"""Repository port for polls, votes and decisions (filled in by the polls feature)."""

from __future__ import annotations

from typing import Protocol


class PollRepository(Protocol):
    pass
