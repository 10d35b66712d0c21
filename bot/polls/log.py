"""The tamper-evident decision log: canonical records chained by SHA-256 hashes.

Each decision stores the canonical JSON of its record and ``hash = SHA-256(prev_hash +
"\\n" + canonical record)``, where ``prev_hash`` is the hash of the workspace's previous
decision (64 zeros for the first). Changing any stored record, reordering or deleting one
breaks the chain, and :func:`verify` names the first decision where it breaks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.polls.models import Decision

GENESIS = "0" * 64


def canonical(record: dict[str, Any]) -> str:
    """The one JSON spelling of a record: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, record_json: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{record_json}".encode()).hexdigest()


@dataclass(frozen=True)
class Problem:
    decision_id: int | None
    workspace_id: int
    seq: int
    what: str

    def __str__(self) -> str:
        return (
            f"decision {self.decision_id} (workspace {self.workspace_id}, #{self.seq}): {self.what}"
        )


def verify(decisions: Sequence[Decision]) -> list[Problem]:
    """Every break in the chains of these decisions (ordered by workspace, then seq)."""
    problems: list[Problem] = []
    previous: dict[int, Decision] = {}
    for decision in decisions:
        before = previous.get(decision.workspace_id)
        problem = _check(decision, before)
        if problem:
            problems.append(Problem(decision.id, decision.workspace_id, decision.seq, problem))
        previous[decision.workspace_id] = decision
    return problems


def _check(decision: Decision, before: Decision | None) -> str | None:
    expected_seq = before.seq + 1 if before else 1
    expected_prev = before.hash if before else GENESIS
    if decision.seq != expected_seq:
        return f"sequence {decision.seq}, expected {expected_seq} (a decision is missing)"
    if decision.prev_hash != expected_prev:
        return "previous hash does not match the previous decision"
    try:
        record = json.loads(decision.record_json)
    except ValueError:
        return "record is not valid JSON"
    if not isinstance(record, dict) or canonical(record) != decision.record_json:
        return "record is not in canonical form (edited)"
    if chain_hash(decision.prev_hash, decision.record_json) != decision.hash:
        return "hash does not match the record (edited)"
    columns = {
        "outcome": decision.outcome,
        "pilot_id": decision.pilot_id,
        "poll_id": decision.poll_id,
        "decided_at": decision.decided_at.isoformat(),
    }
    for name, value in columns.items():
        if record.get(name) != value:
            return f"column {name} differs from the hashed record (edited)"
    return None


def seal(record: dict[str, Any], *, previous: Decision | None) -> tuple[int, str, str, str]:
    """(seq, prev_hash, record_json, hash) for a new decision after ``previous``."""
    record_json = canonical(record)
    prev_hash = previous.hash if previous else GENESIS
    seq = previous.seq + 1 if previous else 1
    return seq, prev_hash, record_json, chain_hash(prev_hash, record_json)
