"""Repository port for reminders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from bot.reminders.models import DueItem, ReminderMark


class ReminderRepository(Protocol):
    async def open_items_due_by(self, last_due: date) -> list[DueItem]:
        """Open items due on or before ``last_due``, in every workspace, of pilots that
        are not stopped."""
        ...

    async def marked(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are recorded."""
        ...

    async def mark(self, mark: ReminderMark) -> bool:
        """Record ``mark`` unless its key exists; True when recorded. Never raises on a
        duplicate key."""
        ...
