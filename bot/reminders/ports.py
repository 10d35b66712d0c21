"""Repository port for reminders (filled in by the reminders feature)."""

from __future__ import annotations

from typing import Protocol


class ReminderRepository(Protocol):
    pass
