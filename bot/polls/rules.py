"""The go/no-go decision rules, as a pure function of the ballots and the checklist.

Rules are checked in this order, and every outcome carries the reasons that decided it:
1. quorum: at least ``quorum`` of the eligible voters voted (abstentions count);
2. required voters: the business owner and every member of a required role voted;
   (1 or 2 failing: NO DECISION, with each failure as a reason)
3. veto: a No-go from a veto role (security, legal, compliance) decides NO-GO;
4. majority: Go + Go-with-conditions must outnumber No-go, else NO-GO;
5. readiness gate: open blocking checklist items cap a majority at GO WITH CONDITIONS;
   conditions attached by voters also make it GO WITH CONDITIONS.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import _


class Outcome(enum.StrEnum):
    GO = "GO"
    GO_WITH_CONDITIONS = "GO WITH CONDITIONS"
    NO_GO = "NO-GO"
    NO_DECISION = "NO DECISION"


@dataclass(frozen=True)
class Criteria:
    """The decision criteria, snapshotted on each poll (defaults per DESIGN.md)."""

    quorum_numerator: int = 2
    quorum_denominator: int = 3
    owner_required: bool = True
    required_roles: tuple[str, ...] = ("security", "compliance")
    veto_roles: tuple[str, ...] = ("security", "legal", "compliance")
    readiness_gate: bool = True

    def quorum_needed(self, eligible: int) -> int:
        """Voters needed for quorum among ``eligible`` (rounded up)."""
        return math.ceil(eligible * self.quorum_numerator / self.quorum_denominator)

    def to_dict(self) -> dict[str, Any]:
        return {
            "quorum": [self.quorum_numerator, self.quorum_denominator],
            "owner_required": self.owner_required,
            "required_roles": list(self.required_roles),
            "veto_roles": list(self.veto_roles),
            "readiness_gate": self.readiness_gate,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criteria:
        default = cls()
        quorum = data.get("quorum", [default.quorum_numerator, default.quorum_denominator])
        return cls(
            quorum_numerator=int(quorum[0]),
            quorum_denominator=int(quorum[1]),
            owner_required=bool(data.get("owner_required", default.owner_required)),
            required_roles=tuple(data.get("required_roles", default.required_roles)),
            veto_roles=tuple(data.get("veto_roles", default.veto_roles)),
            readiness_gate=bool(data.get("readiness_gate", default.readiness_gate)),
        )


@dataclass(frozen=True)
class Ballot:
    """One eligible voter: their role, whether they are the business owner, and their
    choice (``go``, ``conditional``, ``no-go``, ``abstain``; None: did not vote)."""

    role: str
    is_owner: bool = False
    choice: str | None = None


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    reasons: list[str] = field(default_factory=list)


def decide(ballots: Sequence[Ballot], *, open_blocking: int, criteria: Criteria) -> Result:
    """The outcome of a poll with these ballots and this many open blocking items."""
    voted = [b for b in ballots if b.choice is not None]
    missing: list[str] = []
    needed = criteria.quorum_needed(len(ballots))
    if len(voted) < needed or not voted:
        missing.append(
            _("quorum not met: {voted} of {eligible} voted, {needed} needed").format(
                voted=len(voted), eligible=len(ballots), needed=max(needed, 1)
            )
        )
    absent_roles = _absent_required(ballots, criteria)
    if absent_roles:
        missing.append(_("required voters missing: {who}").format(who=", ".join(absent_roles)))
    if missing:
        return Result(Outcome.NO_DECISION, missing)

    vetoes = sorted(
        {b.role for b in voted if b.choice == "no-go" and b.role in criteria.veto_roles}
    )
    if vetoes:
        return Result(Outcome.NO_GO, [_("vetoed by {roles}").format(roles=", ".join(vetoes))])

    in_favour = sum(1 for b in voted if b.choice in ("go", "conditional"))
    against = sum(1 for b in voted if b.choice == "no-go")
    tally = _("{for_} for, {against} against").format(for_=in_favour, against=against)
    if in_favour <= against:
        return Result(Outcome.NO_GO, [_("no majority for go: {tally}").format(tally=tally)])

    reasons = [_("majority for go: {tally}").format(tally=tally)]
    capped = False
    if criteria.readiness_gate and open_blocking > 0:
        text = (
            _("1 blocking checklist item open")
            if open_blocking == 1
            else _("{n} blocking checklist items open").format(n=open_blocking)
        )
        reasons.append(text)
        capped = True
    conditional = sum(1 for b in voted if b.choice == "conditional")
    if conditional:
        reasons.append(
            _("1 condition attached")
            if conditional == 1
            else _("{n} conditions attached").format(n=conditional)
        )
        capped = True
    return Result(Outcome.GO_WITH_CONDITIONS if capped else Outcome.GO, reasons)


def _absent_required(ballots: Sequence[Ballot], criteria: Criteria) -> list[str]:
    """Labels of required voters who did not vote: the business owner, then roles."""
    absent: list[str] = []
    if criteria.owner_required and any(b.is_owner and b.choice is None for b in ballots):
        absent.append(_("business owner"))
    for role in criteria.required_roles:
        if any(b.role == role and not b.is_owner and b.choice is None for b in ballots):
            absent.append(role)
    return absent
