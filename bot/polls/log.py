"""The tamper-evident decision log: canonical records chained by SHA-256 hashes.

Each decision stores the canonical JSON of its record and ``hash = SHA-256(prev_hash +
"\\n" + canonical record)``, where ``prev_hash`` is the hash of the workspace's previous
decision (64 zeros for the first). Changing any stored record, reordering or deleting one
breaks the chain, and :func:`verify` names the first decision where it breaks. People's
names are hashed as salted digests, so that erasing a person keeps the chain verifiable
(:func:`hashed_text`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.i18n import _
from bot.polls.entities import Choice, Decision

if TYPE_CHECKING:
    from bot.pilots.models import Person, Pilot
    from bot.polls.models import Poll
    from bot.polls.rules import Result

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
    problem = seal_problem(decision, record, before)
    if problem:
        return problem
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
    """(seq, prev_hash, record_json, hash) for a new decision after ``previous``; each
    person's name is stored with a salt and hashed as its salted digest (see below)."""
    record = with_name_salts(record)
    record_json = canonical(record)
    prev_hash = previous.hash if previous else GENESIS
    seq = previous.seq + 1 if previous else 1
    return seq, prev_hash, record_json, chain_hash(prev_hash, hashed_text(record))


# --- names that can be erased (``golive erase-person``) ---------------------------------
#
# A person's name in a record is personal data that must be erasable without breaking the
# chain. So the chain does not hash a name but a salted digest of it: every person entry
# (a dict with ``person_id`` and ``name``) is sealed with a random ``name_salt`` beside the
# name, and the hashed text has ``name_digest`` = SHA-256(salt + "\n" + name) in place of
# both. Erasing replaces the name with the person's pseudonym and the salt with that
# digest: the hashed text stays the same, and with the salt gone the name cannot be guessed
# back from the digest. An erased entry's name must be exactly its pseudonym, so no other
# name can be slipped in; any other edit still changes the hashed text.
#
# Records sealed before salts existed ("legacy") hash their names as they are and verify
# as they always did. Erasing a name from one cannot keep its hash, so it then carries an
# erasure note: the original hash (still the chain's link) and the hash of the erased
# record, checked instead. A note is refused on a record with salted names, or right after
# one: legacy records come first in a chain, and a salted record cannot be made to look
# legacy to escape its hash.

NAME_SALT = "name_salt"
NAME_DIGEST = "name_digest"
ERASURE_NOTE = "erasure"


def pseudonym(person_id: int) -> str:
    """The stable name and platform id an erased person keeps everywhere."""
    return f"erased-{person_id}"


def name_digest(salt: str, name: str) -> str:
    return hashlib.sha256(f"{salt}\n{name}".encode()).hexdigest()


def person_entries(value: Any) -> Iterator[dict[str, Any]]:
    """Every person entry (``{"person_id": int, "name": ..., ...}``) inside a record."""
    if isinstance(value, dict):
        if isinstance(value.get("person_id"), int) and "name" in value:
            yield value
        for item in value.values():
            yield from person_entries(item)
    elif isinstance(value, list):
        for item in value:
            yield from person_entries(item)


def with_name_salts(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` with a fresh random salt beside each person's name."""
    salted: dict[str, Any] = json.loads(canonical(record))
    for entry in person_entries(salted):
        entry[NAME_SALT] = secrets.token_hex(16)
    return salted


def erasable(record: dict[str, Any]) -> bool:
    """Whether the record was sealed with salted names."""
    return any(NAME_SALT in e or NAME_DIGEST in e for e in person_entries(record))


def hashed_text(record: dict[str, Any]) -> str:
    """The text the chain hashes for a stored record: its canonical JSON without an
    erasure note, each salted or erased name replaced by its digest (for a legacy record,
    exactly its canonical JSON)."""
    hashed: dict[str, Any] = json.loads(canonical(record))
    hashed.pop(ERASURE_NOTE, None)
    for entry in person_entries(hashed):
        if NAME_SALT in entry:
            salt, name = str(entry.pop(NAME_SALT)), str(entry.pop("name"))
            entry[NAME_DIGEST] = name_digest(salt, name)
        elif NAME_DIGEST in entry:
            del entry["name"]
    return canonical(hashed)


def seal_problem(
    decision: Decision, record: dict[str, Any], before: Decision | None = None
) -> str | None:
    """Why the decision's stored record (parsed as ``record``) does not match its hash, or
    None when it does; ``before`` is the previous decision of its chain."""
    for entry in person_entries(record):
        if NAME_DIGEST in entry and entry["name"] != pseudonym(entry["person_id"]):
            return "an erased name is not its pseudonym (edited)"
    digest = chain_hash(decision.prev_hash, hashed_text(record))
    if ERASURE_NOTE not in record:
        return None if digest == decision.hash else "hash does not match the record (edited)"
    note = record[ERASURE_NOTE]
    if not isinstance(note, dict) or note.get("original_hash") != decision.hash:
        return "erasure note does not belong to this record (edited)"
    if erasable(record) or (before is not None and _erasable_json(before.record_json)):
        return "erasure note on a record sealed with salted names (edited)"
    return None if digest == note.get("hash") else "hash does not match the record (edited)"


def _erasable_json(record_json: str) -> bool:
    try:
        record = json.loads(record_json)
    except ValueError:
        return False
    return isinstance(record, dict) and erasable(record)


# --- what the log keeps of a decision ---------------------------------------------------


def name_of(people: Mapping[int, Person], person_id: int) -> str:
    person = people.get(person_id)
    return person.name if person else _("someone")


def decision_record(
    poll: Poll,
    pilot: Pilot,
    result: Result,
    *,
    people: Mapping[int, Person],
    closed_by: Person | None,
    decided_at: datetime,
) -> dict[str, Any]:
    """Everything the decision log keeps of a decision. For a secret poll: who voted and
    the counts, never who chose what; rationales are unattributed and sorted."""

    voted = poll.voted_ids()
    eligible = [
        {
            "person_id": v.person_id,
            "name": name_of(people, v.person_id),
            "role": v.role,
            "owner": v.is_owner,
        }
        for v in poll.voters
    ]
    record: dict[str, Any] = {
        "workspace_id": poll.workspace_id,
        "pilot_id": pilot.id,
        "pilot": pilot.key,
        "pilot_name": pilot.name,
        "poll_id": poll.id,
        "question": poll.question,
        "secret": poll.secret,
        "opened_at": poll.opened_at.astimezone(UTC).isoformat(),
        "closes_at": poll.closes_at.astimezone(UTC).isoformat(),
        "decided_at": decided_at.isoformat(),
        "close_reason": poll.close_reason,
        "closed_by": (
            {"person_id": closed_by.id, "name": closed_by.name} if closed_by is not None else None
        ),
        "outcome": result.outcome.value,
        "reasons": list(result.reasons),
        "criteria": poll.criteria.to_dict(),
        "eligible": eligible,
        "voted": [e for e in eligible if e["person_id"] in voted],
        "counts": poll.counts(),
        "rationales": sorted(
            (
                {
                    "kind": "condition" if v.choice == Choice.CONDITIONAL else "reason",
                    "text": v.text,
                }
                for v in poll.votes
                if v.text and v.person_id in voted
            ),
            key=lambda r: (r["kind"], r["text"]),
        ),
        "checklist": checklist_state(pilot),
        "kpis": kpi_state(pilot),
    }
    if not poll.secret:
        record["votes"] = [
            {
                "person_id": v.person_id,
                "name": name_of(people, v.person_id),
                "choice": v.choice.value if v.choice else None,
                "text": v.text,
            }
            for v in poll.votes
            if v.person_id in voted
        ]
    return record


def checklist_state(pilot: Pilot) -> list[dict[str, Any]]:
    return [
        {
            "number": i.number,
            "title": i.title,
            "status": i.status.value,
            "blocking": i.blocking,
            "owner_id": i.owner_id,
            "due": i.due.isoformat() if i.due else None,
        }
        for i in pilot.items
    ]


def kpi_state(pilot: Pilot) -> list[dict[str, Any]]:
    out = []
    for kpi in pilot.kpis:
        latest = kpi.latest()
        out.append(
            {
                "name": kpi.name,
                "unit": kpi.unit,
                "baseline": kpi.baseline,
                "target": kpi.target,
                "lower_is_better": kpi.lower_is_better,
                "latest": latest.value if latest else None,
                "progress": kpi.progress(),
            }
        )
    return out
