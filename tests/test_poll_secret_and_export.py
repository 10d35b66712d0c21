"""Secret polls never reveal who chose what; exports in CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
from memory import MemoryStore
from pilot_support import snapshot, text
from poll_support import (
    card,
    decisions,
    message_of,
    ok,
    outbox,
    pilot_with_committee,
    record,
    said,
    say,
    the_poll,
)

from bot.service import Golive


@pytest.fixture
def database() -> MemoryStore:
    """The core over the in-memory store (tests/memory.py), not both databases."""
    return MemoryStore()


VOTERS = {"amal": "go", "sam": "abstain", "lee": "no-go", "ola": "conditional"}
NOTES = {"lee": "rollback untested", "ola": "pen test first"}
LABELS = ["Go", "Go with conditions", "No-go", "Abstain", "go", "conditional", "no-go", "abstain"]


async def vote_all(golive: Golive, handles: list[str]) -> list[str]:
    """Each voter votes as in VOTES; returns their private replies."""
    replies = []
    for handle in handles:
        note = f' "{NOTES[handle]}"' if handle in NOTES else ""
        replies.append(await said(golive, handle, f"vote churn {VOTERS[handle]}{note}"))
    return replies


def links_a_voter_to_a_choice(shown: str) -> list[str]:
    """Lines that name a voter together with a choice (or a voter with their own note)."""
    found = []
    for line in shown.splitlines():
        for handle in VOTERS:
            if handle not in line:
                continue
            if any(label in line.replace("go/no-go", "").replace("Go/no-go", "") for label in
                   LABELS) or (handle in NOTES and NOTES[handle] in line):  # fmt: skip
                found.append(line)
    return found


async def test_a_secret_poll_says_so_and_shows_turnout_only(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive)
    opened = await said(golive, "amal", 'poll churn secret "Ship it?"')
    assert "It is a secret ballot." in opened
    poll = await the_poll(database)
    assert "Secret ballot: everyone sees who has voted, nobody ever sees what anyone chose" in (
        text(await card(database, poll.id or 0))
    )

    replies = await vote_all(golive, ["amal", "lee", "sam"])

    assert replies[1].splitlines()[0] == (
        "Your secret vote on churn is recorded; nobody will see what you chose."
    )
    for reply in replies:
        assert links_a_voter_to_a_choice(reply) == []
        assert "rollback untested" not in reply
    during = text(await card(database, poll.id or 0))
    assert "Turnout: 3 of 4 voted: @amal, @sam, @lee" in during
    assert links_a_voter_to_a_choice(during) == []


async def test_the_owner_cannot_learn_a_secret_choice_by_any_command(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn secret")
    await vote_all(golive, ["amal", "lee", "sam"])
    commands = ("status churn", "decisions churn", "export churn csv", "export churn json")
    while_open = [await say(golive, "amal", line) for line in commands]
    await vote_all(golive, ["ola"])  # the last vote closes the poll

    after = [await say(golive, "amal", line) for line in commands]
    rows = await outbox(database)
    sent = [text(message_of(row)) for row in rows.values()]

    for shown in [*(text(m) for m in [*while_open, *after]), *sent]:
        assert links_a_voter_to_a_choice(shown) == [], shown
    (decision,) = await decisions(database)
    kept = record(decision)
    assert "votes" not in kept
    assert kept["counts"] == {"go": 1, "conditional": 1, "no-go": 1, "abstain": 1}
    assert sorted(r["text"] for r in kept["rationales"]) == ["pen test first", "rollback untested"]
    assert all(set(r) == {"kind", "text"} for r in kept["rationales"])
    # Even someone reading the stored rows cannot link a voter to a choice after close
    # (tests/test_poll_storage.py checks the databases).
    tables = await snapshot(database)
    assert {(row[3], row[4]) for row in tables["poll_votes"]} == {(None, None)}
    assert all("choice" not in row[6] for row in tables["audit_entries"] if row[3] == "poll.vote")
    exported = json.loads(after[3].text)
    assert "votes" not in exported["decisions"][0]


async def test_an_open_ballot_exports_in_csv_and_json(
    golive: Golive, database: MemoryStore
) -> None:
    await pilot_with_committee(golive, ready=True)
    await ok(golive, "amal", "poll churn")
    await vote_all(golive, ["amal", "sam", "lee", "ola"])

    as_csv = (await say(golive, "lee", "export churn csv")).text
    as_json = (await say(golive, "lee", "export churn json")).text

    # The detector the secret tests rely on does see an open ballot's choices.
    assert links_a_voter_to_a_choice(as_csv) != []
    sections = as_csv.strip().split("\n\n")
    assert len(sections) == 3
    decided = list(csv.DictReader(io.StringIO(sections[0])))
    counted = [
        tuple(d[k] for k in ("outcome", "go", "conditional", "no-go", "abstain")) for d in decided
    ]
    assert counted == [("GO WITH CONDITIONS", "1", "1", "1", "1")]
    votes = list(csv.DictReader(io.StringIO(sections[1])))
    assert {(v["voter"], v["choice"], v["text"]) for v in votes} == {
        ("amal", "go", ""),
        ("sam", "abstain", ""),
        ("lee", "no-go", "rollback untested"),
        ("ola", "conditional", "pen test first"),
    }
    history = list(csv.DictReader(io.StringIO(sections[2])))
    assert ("1", "waived", "amal", "covered") in {
        (h["number"], h["event"], h["by"], h["note"]) for h in history
    }
    data = json.loads(as_json)
    assert "name_salt" not in as_json  # the log's erasure salts stay in the log
    (decision,) = data["decisions"]
    assert decision["outcome"] == "GO WITH CONDITIONS"
    assert decision["reasons"] == ["majority for go: 2 for, 1 against", "1 condition attached"]
    assert {v["name"]: v["choice"] for v in decision["votes"]} == VOTERS
    assert [(item["number"], item["decision_id"]) for item in data["checklist"]][-2:] == [
        (6, None),
        (7, 1),
    ]


async def test_only_the_committee_may_export(golive: Golive, database: MemoryStore) -> None:
    await pilot_with_committee(golive)
    assert "Only members of the churn committee can export" in await said(
        golive, "zed", "export churn json"
    )
