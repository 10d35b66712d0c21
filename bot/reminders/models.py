"""What the reminder sweep reads and records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DueItem:
    """An open checklist item with a due date, with what a reminder about it shows."""

    item_id: int
    workspace_id: int
    pilot_key: str
    pilot_name: str
    number: int
    title: str
    due: date
    needs_evidence: bool
    owner_id: int
    business_owner_id: int


@dataclass(eq=False)
class ReminderMark:
    """That an item was covered by a heads-up or an escalation; ``key`` is unique, so an
    item is never announced twice for the same due date."""

    workspace_id: int
    key: str  # "headsup:<item id>:<due>", "escalate:<item id>:<due>"
    kind: str
    item_id: int
    created_at: datetime
    id: int | None = None
