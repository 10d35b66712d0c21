"""Go/no-go polls, their eligible voters and votes, and the decisions they end in.

Plain classes: storage maps them to tables imperatively, so the core never sees SQL.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.polls.rules import Ballot, Criteria


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
    erased (see :meth:`Poll.seal`), so the row only says that the person voted."""

    person_id: int
    choice: Choice | None
    text: str | None
    cast_at: datetime
    changed_at: datetime | None = None
    poll_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Poll:
    workspace_id: int
    pilot_id: int
    question: str
    opened_by_id: int
    opened_at: datetime
    closes_at: datetime
    secret: bool = False
    status: PollStatus = PollStatus.OPEN
    # Equal to pilot_id while open, NULL after: a unique column, so the database itself
    # refuses a second open poll for one pilot.
    open_pilot_id: int | None = None
    criteria_json: str = "{}"
    stage_before: str | None = None  # restored when the poll is cancelled
    closed_at: datetime | None = None
    closed_by_id: int | None = None
    close_reason: str | None = None  # "deadline", "all-voted", "owner", "cancelled"
    id: int | None = None
    voters: list[Voter] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status == PollStatus.OPEN

    @property
    def criteria(self) -> Criteria:
        return Criteria.from_dict(json.loads(self.criteria_json or "{}"))

    def voter(self, person_id: int) -> Voter | None:
        return next((v for v in self.voters if v.person_id == person_id), None)

    def vote_of(self, person_id: int) -> Vote | None:
        return next((v for v in self.votes if v.person_id == person_id), None)

    def voted_ids(self) -> set[int]:
        return set(self.votes_by_voter())

    def non_voters(self) -> list[Voter]:
        voted = self.voted_ids()
        return [v for v in self.voters if v.person_id not in voted]

    def all_voted(self) -> bool:
        return bool(self.voters) and not self.non_voters()

    def votes_by_voter(self) -> dict[int, Vote]:
        """The eligible voters' votes, by person id (one pass: committees can be large)."""
        eligible = {v.person_id for v in self.voters}
        return {v.person_id: v for v in self.votes if v.person_id in eligible}

    def counts(self) -> dict[str, int]:
        """Votes per choice, every choice present (zero when nobody chose it)."""
        tally = {c.value: 0 for c in Choice}
        for vote in self.votes_by_voter().values():
            if vote.choice is not None:
                tally[vote.choice.value] += 1
        return tally

    def ballots(self) -> list[Ballot]:
        """Each eligible voter with their current choice (None: has not voted)."""
        out = []
        votes = self.votes_by_voter()
        for voter in self.voters:
            vote = votes.get(voter.person_id)
            out.append(
                Ballot(
                    role=voter.role,
                    is_owner=voter.is_owner,
                    choice=vote.choice.value if vote and vote.choice else None,
                )
            )
        return out

    def remind_at(self) -> datetime:
        """When non-voters are reminded: 24 hours before the deadline, or at half time for
        polls shorter than 48 hours."""
        length = self.closes_at - self.opened_at
        if length.total_seconds() >= 48 * 3600:
            return self.closes_at - timedelta(hours=24)
        return self.opened_at + length / 2

    def seal(self) -> None:
        """Forget who chose what in a secret poll (the decision keeps the counts), so no
        later query, export or database reader can link a voter to a choice."""
        if self.secret:
            for vote in self.votes:
                vote.choice = None
                vote.text = None


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
