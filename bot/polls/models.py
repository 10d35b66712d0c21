"""Go/no-go polls, their eligible voters and votes, and the decisions they end in.

A poll owns its transitions: :meth:`Poll.open`, :meth:`Poll.record`, :meth:`Poll.close`
and :meth:`Poll.cancel` each check their rule, change the poll (and its pilot's stage) and
collect the audit entries the unit of work stores with it. Plain classes: storage maps
them to tables imperatively, so the core never sees SQL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.errors import Conflict, Forbidden, Invalid
from bot.i18n import _
from bot.pilots.models import (
    Aggregate,
    ChecklistItem,
    ItemEvent,
    Person,
    Pilot,
    Role,
    Stage,
)
from bot.polls import log
from bot.polls.entities import Choice as Choice
from bot.polls.entities import Decision as Decision
from bot.polls.entities import PollStatus as PollStatus
from bot.polls.entities import Vote as Vote
from bot.polls.entities import Voter as Voter
from bot.polls.rules import Ballot, Criteria, Outcome, Result, decide

if TYPE_CHECKING:
    from bot.polls.ports import PollRepository

DEFAULT_LENGTH = timedelta(hours=72)
CONDITION_DUE = timedelta(days=14)
VOTE_USAGE = 'vote <key> go|conditional|no-go|abstain ["<condition or reason>"]'

STAGE_AFTER = {
    Outcome.GO: Stage.APPROVED,
    Outcome.GO_WITH_CONDITIONS: Stage.APPROVED,
    Outcome.NO_GO: Stage.PILOT,
}


@dataclass(frozen=True)
class Closed:
    """What closing a poll decided, and what its messages show. ``counts`` are taken
    before a secret poll's ballots are erased, so messages rendered from this are right
    whenever they are rendered."""

    result: Result
    decision: Decision
    conditions: list[ChecklistItem]  # the checklist items the conditions became
    condition_texts: list[str]
    counts: dict[str, int]


@dataclass(eq=False)
class Poll(Aggregate):
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

    # --- transitions -------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        pilot: Pilot,
        *,
        polls: PollRepository,
        by_id: int,
        at: datetime,
        question: str | None,
        closes_at: datetime | None,
        secret: bool,
    ) -> Poll:
        """Open the pilot's go/no-go poll and move the pilot to review. Its voters are the
        committee's voting members now (and always the business owner); its criteria
        carry over from the pilot's previous poll, so once configured they stay."""
        if pilot.stage == Stage.STOPPED:
            raise Invalid(
                _("{key} is stopped; move its stage before polling.").format(key=pilot.key)
            )
        if await polls.get_open(pilot.stored_id) is not None:
            raise Conflict(
                _(
                    "{key} already has an open poll; `poll {key} close` or `poll {key} cancel` "
                    "it first."
                ).format(key=pilot.key)
            )
        closes = closes_at or at + DEFAULT_LENGTH
        if closes <= at:
            raise Invalid(_("The deadline is in the past; pick a later one, like `closes:+48h`."))
        previous = await polls.latest(pilot.stored_id)
        criteria = previous.criteria if previous is not None else Criteria()
        poll = cls(
            workspace_id=pilot.workspace_id,
            pilot_id=pilot.stored_id,
            question=(question or "").strip()
            or _("Should {name} go to production?").format(name=pilot.name),
            opened_by_id=by_id,
            opened_at=at,
            closes_at=closes,
            secret=secret,
            open_pilot_id=pilot.stored_id,
            criteria_json=json.dumps(criteria.to_dict()),
            stage_before=pilot.stage.value,
            voters=eligible_voters(pilot),
        )
        await polls.add(poll)  # stored first: its id names it in the audit trail
        pilot.move_to(Stage.REVIEW, at=at, by_id=by_id)
        detail = f"secret={secret}; closes={closes.isoformat()}; voters={len(poll.voters)}"
        poll._audit(pilot, "poll.open", by_id=by_id, at=at, detail=detail)
        return poll

    def record(
        self,
        pilot: Pilot,
        person_id: int,
        choice: Choice,
        text: str | None,
        *,
        at: datetime,
        people: Mapping[int, Person],
    ) -> bool:
        """Record the person's vote, replacing their earlier one; True when it replaced one.
        A condition or a reason is required with Go-with-conditions and No-go; ``people``
        name the eligible voters to anyone else."""
        if self.closes_at <= at:
            raise Conflict(
                _("Voting on {key} has ended; the result is on its way.").format(key=pilot.key)
            )
        if self.voter(person_id) is None:
            names = ", ".join("@" + log.name_of(people, v.person_id) for v in self.voters)
            raise Forbidden(
                _("Only the eligible voters of this poll may vote: {names}.").format(names=names)
            )
        text = (text or "").strip() or None
        if choice == Choice.CONDITIONAL and text is None:
            raise Invalid(_("Go with conditions needs the condition."), usage=VOTE_USAGE)
        if choice == Choice.NO_GO and text is None:
            raise Invalid(_("No-go needs a reason."), usage=VOTE_USAGE)
        if choice in (Choice.GO, Choice.ABSTAIN):
            text = None
        earlier = self.vote_of(person_id)
        if earlier is None:
            self.votes.append(Vote(person_id=person_id, choice=choice, text=text, cast_at=at))
        else:
            earlier.choice, earlier.text, earlier.changed_at = choice, text, at
        # A secret ballot's choice is never written anywhere it could be read back.
        detail = "" if self.secret else f"choice={choice.value}"
        self._audit(pilot, "poll.vote", by_id=person_id, at=at, detail=detail)
        return earlier is not None

    async def close(
        self,
        pilot: Pilot,
        *,
        polls: PollRepository,
        by: Person | None,
        reason: str,
        at: datetime,
        people: Mapping[int, Person],
        zone: ZoneInfo,
    ) -> Closed:
        """Decide the poll with its criteria, log the decision, make the conditions the
        business owner's checklist items and move the pilot. ``people`` name the voters
        in the log; ``zone`` is the workspace's.

        A secret poll's ballots are erased last, so no later query, export or database
        reader can link a voter to a choice; what the messages need of them is in the
        returned :class:`Closed`."""
        by_id = by.id if by is not None else None
        result = decide(
            self.ballots(), open_blocking=len(pilot.open_blocking()), criteria=self.criteria
        )
        self._end(PollStatus.CLOSED, at=at, by_id=by_id, reason=reason)
        texts = self.condition_texts() if result.outcome == Outcome.GO_WITH_CONDITIONS else []
        record = log.decision_record(
            self, pilot, result, people=people, closed_by=by, decided_at=record_instant(at)
        )
        previous = await polls.last_decision(self.workspace_id)
        seq, prev_hash, record_json, digest = log.seal(record, previous=previous)
        decision = Decision(
            workspace_id=self.workspace_id,
            pilot_id=pilot.stored_id,
            poll_id=self.stored_id,
            seq=seq,
            outcome=result.outcome.value,
            decided_at=record_instant(at),
            record_json=record_json,
            prev_hash=prev_hash,
            hash=digest,
        )
        await polls.add_decision(decision)  # stored first: conditions name its id
        owner = people.get(pilot.owner_id)
        owner_zone = ZoneInfo(owner.timezone) if owner and owner.timezone else zone
        items = add_conditions(pilot, decision, texts, at=at, zone=owner_zone)
        if result.outcome in STAGE_AFTER:
            pilot.move_to(STAGE_AFTER[result.outcome], at=at, by_id=by_id)
        detail = f"outcome={result.outcome.value}; closed={reason}"
        self._audit(pilot, "poll.close", by_id=by_id, at=at, detail=detail)
        closed = Closed(
            result=result,
            decision=decision,
            conditions=items,
            condition_texts=texts,
            counts=self.counts(),
        )
        self._seal()
        return closed

    def cancel(self, pilot: Pilot, *, by_id: int, at: datetime) -> None:
        """Cancel the poll: no decision, and the pilot returns to the stage it had."""
        self._end(PollStatus.CANCELLED, at=at, by_id=by_id, reason="cancelled")
        if self.stage_before and pilot.stage == Stage.REVIEW:
            pilot.move_to(Stage(self.stage_before), at=at, by_id=by_id)
        self._audit(pilot, "poll.cancel", by_id=by_id, at=at)
        self._seal()

    def _end(self, status: PollStatus, *, at: datetime, by_id: int | None, reason: str) -> None:
        """The one place a poll's status changes: open from :meth:`open` until this."""
        self.status, self.open_pilot_id = status, None
        self.closed_at, self.closed_by_id, self.close_reason = at, by_id, reason

    def _seal(self) -> None:
        """Forget who chose what in a secret poll (a decision keeps only the counts)."""
        if self.secret:
            for vote in self.votes:
                vote.choice = None
                vote.text = None

    def _audit(
        self, pilot: Pilot, action: str, *, by_id: int | None, at: datetime, detail: str = ""
    ) -> None:
        """Record a change of this poll for the audit trail, and mark its pilot active."""
        pilot.audit(
            actor_id=by_id,
            action=action,
            subject=f"poll:{pilot.key}#{self.stored_id}",
            at=at,
            detail=detail,
        )

    # --- what the poll says now --------------------------------------------------------

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

    def condition_texts(self) -> list[str]:
        """The eligible voters' conditions, in a fixed order that does not follow the
        voters (so a secret poll's conditions cannot be matched to who voted when)."""
        eligible = {v.person_id for v in self.voters}
        return sorted(
            v.text.strip()
            for v in self.votes
            if v.person_id in eligible
            and v.choice == Choice.CONDITIONAL
            and v.text
            and v.text.strip()
        )

    def remind_at(self) -> datetime:
        """When non-voters are reminded: 24 hours before the deadline, or at half time for
        polls shorter than 48 hours."""
        length = self.closes_at - self.opened_at
        if length.total_seconds() >= 48 * 3600:
            return self.closes_at - timedelta(hours=24)
        return self.opened_at + length / 2


def eligible_voters(pilot: Pilot) -> list[Voter]:
    """The committee's voting members now; the business owner always votes."""
    voters = [
        Voter(person_id=m.person_id, role=str(m.role), is_owner=m.person_id == pilot.owner_id)
        for m in pilot.committee
        if m.voting or m.person_id == pilot.owner_id
    ]
    if not any(v.is_owner for v in voters):
        voters.insert(0, Voter(person_id=pilot.owner_id, role=Role.BUSINESS.value, is_owner=True))
    return voters


def record_instant(now: datetime) -> datetime:
    """The decision time as stored and hashed: UTC, whole microseconds."""
    return now.astimezone(UTC)


def add_conditions(
    pilot: Pilot, decision: Decision, texts: list[str], *, at: datetime, zone: ZoneInfo
) -> list[ChecklistItem]:
    """Each condition as a checklist item of the business owner, due in 14 days."""
    items = []
    due = at.astimezone(zone).date() + CONDITION_DUE
    for text in texts:
        item = ChecklistItem(
            number=pilot.next_item_number(),
            title=text,
            category="general",
            owner_id=pilot.owner_id,
            due=due,
            decision_id=decision.id,
            created_at=at,
        )
        item.events.append(
            ItemEvent(kind="created", at=at, by_id=None, note=f"decision {decision.seq}")
        )
        pilot.items.append(item)
        items.append(item)
    return items
