"""The go/no-go outcome rules: hand-written cases, then properties over random committees
and ballots."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.polls.rules import Ballot, Criteria, Outcome, decide

DEFAULT = Criteria()
ROLES = ["business", "engineering", "data-science", "security", "legal", "compliance",
         "operations", "executive"]  # fmt: skip
CHOICES = [None, "go", "conditional", "no-go", "abstain"]


def owner(choice: str | None) -> Ballot:
    return Ballot(role="business", is_owner=True, choice=choice)


def member(role: str, choice: str | None) -> Ballot:
    return Ballot(role=role, choice=choice)


CASES = [
    # (ballots, open blocking items, outcome, a reason that must be given)
    (
        [owner("go"), member("engineering", "go"), member("operations", "go")],
        0,
        Outcome.GO,
        "majority for go: 3 for, 0 against",
    ),
    (
        [owner("go"), member("engineering", "go"), member("operations", "no-go")],
        2,
        Outcome.GO_WITH_CONDITIONS,
        "2 blocking checklist items open",
    ),
    (
        [owner("go"), member("engineering", "go"), member("operations", "no-go")],
        1,
        Outcome.GO_WITH_CONDITIONS,
        "1 blocking checklist item open",
    ),
    (
        [owner("go"), member("engineering", "conditional"), member("operations", "go")],
        0,
        Outcome.GO_WITH_CONDITIONS,
        "1 condition attached",
    ),
    (
        [
            owner("go"),
            member("security", "no-go"),
            member("engineering", "go"),
            member("operations", "go"),
        ],
        0,
        Outcome.NO_GO,
        "vetoed by security",
    ),
    (
        [
            owner("go"),
            member("legal", "no-go"),
            member("compliance", "no-go"),
            member("engineering", "go"),
        ],
        0,
        Outcome.NO_GO,
        "vetoed by compliance, legal",
    ),
    (
        [owner("go"), member("engineering", "no-go"), member("operations", "no-go")],
        0,
        Outcome.NO_GO,
        "no majority for go: 1 for, 2 against",
    ),
    (
        [owner("go"), member("engineering", "no-go")],
        0,
        Outcome.NO_GO,
        "no majority for go: 1 for, 1 against",
    ),
    (
        [owner("abstain"), member("engineering", "abstain"), member("operations", "abstain")],
        0,
        Outcome.NO_GO,
        "no majority for go: 0 for, 0 against",
    ),
    (
        [
            owner("go"),
            member("engineering", "go"),
            member("operations", None),
            member("data-science", None),
            member("executive", None),
            member("legal", None),
        ],
        0,
        Outcome.NO_DECISION,
        "quorum not met: 2 of 6 voted, 4 needed",
    ),
    (
        [
            owner("go"),
            member("engineering", "go"),
            member("operations", "go"),
            member("data-science", None),
            member("executive", None),
            member("legal", None),
        ],
        0,
        Outcome.NO_DECISION,
        "quorum not met: 3 of 6 voted, 4 needed",
    ),
    (
        [owner(None), member("engineering", "go"), member("operations", "go")],
        0,
        Outcome.NO_DECISION,
        "required voters missing: business owner",
    ),
    (
        [
            owner("go"),
            member("security", None),
            member("engineering", "go"),
            member("operations", "go"),
        ],
        0,
        Outcome.NO_DECISION,
        "required voters missing: security",
    ),
    # A security member who abstained has voted: abstentions count.
    (
        [owner("go"), member("security", "abstain"), member("engineering", "go")],
        0,
        Outcome.GO,
        "majority for go: 2 for, 0 against",
    ),
    # A No-go from an engineer is no veto.
    (
        [owner("go"), member("engineering", "no-go"), member("operations", "go")],
        0,
        Outcome.GO,
        "majority for go: 2 for, 1 against",
    ),
    ([], 0, Outcome.NO_DECISION, "quorum not met: 0 of 0 voted, 1 needed"),
]


@pytest.mark.parametrize(("ballots", "blocking", "outcome", "reason"), CASES)
def test_hand_written_cases(
    ballots: list[Ballot], blocking: int, outcome: Outcome, reason: str
) -> None:
    result = decide(ballots, open_blocking=blocking, criteria=DEFAULT)
    assert result.outcome == outcome
    assert reason in result.reasons


def test_both_quorum_and_required_voter_reasons_are_given() -> None:
    ballots = [owner(None), member("security", None), member("engineering", "go")]
    result = decide(ballots, open_blocking=0, criteria=DEFAULT)
    assert result.outcome == Outcome.NO_DECISION
    assert result.reasons == [
        "quorum not met: 1 of 3 voted, 2 needed",
        "required voters missing: business owner, security",
    ]


def test_criteria_are_configurable() -> None:
    lenient = Criteria(
        quorum_numerator=1, quorum_denominator=2, required_roles=(), veto_roles=("legal",),
        readiness_gate=False,
    )  # fmt: skip
    ballots = [owner("go"), member("security", "no-go"), member("engineering", "go"),
               member("operations", None)]  # fmt: skip
    assert decide(ballots, open_blocking=3, criteria=lenient).outcome == Outcome.GO
    assert decide(ballots, open_blocking=3, criteria=DEFAULT).outcome == Outcome.NO_GO
    assert Criteria.from_dict(lenient.to_dict()) == lenient


# --- properties ---------------------------------------------------------------------------

ballot = st.builds(member, st.sampled_from(ROLES), st.sampled_from(CHOICES))
committees = st.tuples(st.sampled_from(CHOICES), st.lists(ballot, max_size=12)).map(
    lambda parts: [owner(parts[0]), *parts[1]]
)
blocking_items = st.integers(min_value=0, max_value=4)


def voted(ballots: list[Ballot]) -> list[Ballot]:
    return [b for b in ballots if b.choice is not None]


@settings(max_examples=400)
@given(committees, blocking_items)
def test_no_decision_exactly_when_quorum_or_a_required_voter_is_missing(
    ballots: list[Ballot], blocking: int
) -> None:
    result = decide(ballots, open_blocking=blocking, criteria=DEFAULT)
    quorum = len(voted(ballots)) >= math.ceil(len(ballots) * 2 / 3)
    required = all(
        b.choice is not None for b in ballots if b.is_owner or b.role in ("security", "compliance")
    )
    assert (result.outcome == Outcome.NO_DECISION) == (not quorum or not required)


@settings(max_examples=400)
@given(committees, blocking_items)
def test_a_veto_role_no_go_always_wins_once_decidable(ballots: list[Ballot], blocking: int) -> None:
    result = decide(ballots, open_blocking=blocking, criteria=DEFAULT)
    vetoed = any(
        b.choice == "no-go" and b.role in ("security", "legal", "compliance") for b in ballots
    )
    if vetoed:
        assert result.outcome in (Outcome.NO_GO, Outcome.NO_DECISION)
        if result.outcome == Outcome.NO_GO:
            assert any(r.startswith("vetoed by") for r in result.reasons)


@settings(max_examples=400)
@given(committees, st.integers(min_value=1, max_value=4))
def test_never_go_with_an_open_blocking_item(ballots: list[Ballot], blocking: int) -> None:
    assert decide(ballots, open_blocking=blocking, criteria=DEFAULT).outcome != Outcome.GO


@settings(max_examples=400)
@given(committees, blocking_items)
def test_go_outcomes_need_a_majority_and_no_veto(ballots: list[Ballot], blocking: int) -> None:
    result = decide(ballots, open_blocking=blocking, criteria=DEFAULT)
    if result.outcome in (Outcome.GO, Outcome.GO_WITH_CONDITIONS):
        in_favour = sum(b.choice in ("go", "conditional") for b in ballots)
        against = sum(b.choice == "no-go" for b in ballots)
        assert in_favour > against
        assert not any(
            b.choice == "no-go" and b.role in ("security", "legal", "compliance") for b in ballots
        )
    if result.outcome == Outcome.GO:
        assert blocking == 0
        assert not any(b.choice == "conditional" for b in ballots)


@settings(max_examples=400)
@given(committees, blocking_items)
def test_every_outcome_has_reasons_and_is_deterministic(
    ballots: list[Ballot], blocking: int
) -> None:
    first = decide(ballots, open_blocking=blocking, criteria=DEFAULT)
    assert first.reasons
    assert decide(list(reversed(ballots)), open_blocking=blocking, criteria=DEFAULT) == first


@settings(max_examples=200)
@given(committees, blocking_items)
def test_a_decidable_poll_with_majority_against_is_no_go(
    ballots: list[Ballot], blocking: int
) -> None:
    result = decide(ballots, open_blocking=blocking, criteria=DEFAULT)
    in_favour = sum(b.choice in ("go", "conditional") for b in ballots)
    against = sum(b.choice == "no-go" for b in ballots)
    if result.outcome != Outcome.NO_DECISION and in_favour <= against:
        assert result.outcome == Outcome.NO_GO
