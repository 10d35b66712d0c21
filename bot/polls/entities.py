"""The rows of a poll beside the aggregate: its choices and status, eligible voters, votes,
and the decision a closed poll ends in. Re-exported by :mod:`bot.polls.models`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Choice(enum.StrEnum):
    GO = "go"
    CONDITIONAL = "conditional"
    NO_GO = "no-go"
    ABSTAIN = "abstain"


class PollStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class Voter:
    """An eligible voter, snapshotted when the poll opens (later committee changes do not
    change who may vote)."""

    person_id: int
    role: str
    is_owner: bool = False
    poll_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Vote:
    """One voter's current ballot. After a secret poll closes, ``choice`` and ``text`` are
    erased, so the row only says that the person voted."""

    person_id: int
    choice: Choice | None
    text: str | None
    cast_at: datetime
    changed_at: datetime | None = None
    poll_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Decision:
    """The outcome of a closed poll, as one tamper-evident record of the decision log.

    ``record_json`` is the canonical JSON of everything the log keeps; ``hash`` is SHA-256
    over it and ``prev_hash`` (the previous decision of the same workspace), so editing
    any stored decision breaks the chain from there on.
    """

    workspace_id: int
    pilot_id: int
    poll_id: int
    seq: int  # 1, 2, ... per workspace; unique, so two concurrent closes cannot fork
    outcome: str
    decided_at: datetime
    record_json: str
    prev_hash: str
    hash: str
    id: int | None = None
