"""`export <key> [csv|json]`: decisions, votes and checklist history.

Votes come from the decision log's records, which never hold a secret ballot's choices:
for a secret poll the export has the counts and who voted, nothing more.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bot.i18n import _
from bot.messages import Header, Message, Paragraph, Text
from bot.pilots.models import Pilot
from bot.polls import log
from bot.polls.models import Choice, Decision


def message(data: dict[str, Any], format: str, *, key: str) -> Message:
    """The export as a private message: its title, then the CSV or JSON as plain text."""
    content = to_json(data) if format == "json" else to_csv(data)
    title = _("Export of {key} ({format})").format(key=key, format=format)
    return Message(
        text=content,
        blocks=[Header(text=title), Paragraph(spans=[Text(text=content)])],
        private=True,
    )


def export_data(pilot: Pilot, decisions: list[Decision], names: dict[int, str]) -> dict[str, Any]:
    """Everything exported, as plain data."""
    return {
        "pilot": {"key": pilot.key, "name": pilot.name, "stage": pilot.stage.value},
        "decisions": [
            {"seq": d.seq, "hash": d.hash, "prev_hash": d.prev_hash, **_shown(d.record_json)}
            for d in decisions
        ],
        "checklist": [
            {
                "number": item.number,
                "title": item.title,
                "status": item.status.value,
                "blocking": item.blocking,
                "due": item.due.isoformat() if item.due else None,
                "decision_id": item.decision_id,
                "events": [
                    {
                        "kind": e.kind,
                        "at": e.at.isoformat(),
                        "by": names.get(e.by_id) if e.by_id is not None else None,
                        "old": e.old_value,
                        "new": e.new_value,
                        "note": e.note,
                    }
                    for e in item.events
                ],
            }
            for item in pilot.items
        ],
    }


def _shown(record_json: str) -> dict[str, Any]:
    """A decision record as exported: the salts that let names be erased stay in the log."""
    record: dict[str, Any] = json.loads(record_json)
    for entry in log.person_entries(record):
        entry.pop(log.NAME_SALT, None)
        entry.pop(log.NAME_DIGEST, None)
    return record


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def to_csv(data: dict[str, Any]) -> str:
    """Three tables one after the other, each with its header row, the first column
    naming the table (decision, vote, checklist)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    choices = [c.value for c in Choice]
    writer.writerow(
        [
            "table",
            "seq",
            "decided_at",
            "outcome",
            "question",
            "secret",
            "eligible",
            "voted",
            *choices,
            "reasons",
            "hash",
        ]
    )
    for d in data["decisions"]:
        writer.writerow(
            [
                "decision",
                d["seq"],
                d["decided_at"],
                d["outcome"],
                d["question"],
                d["secret"],
                len(d["eligible"]),
                len(d["voted"]),
                *(d["counts"][c] for c in choices),
                "; ".join(d["reasons"]),
                d["hash"],
            ]
        )
    writer.writerow([])
    writer.writerow(["table", "seq", "voter", "choice", "text"])
    for d in data["decisions"]:
        for vote in d.get("votes", []):  # absent for secret polls
            writer.writerow(["vote", d["seq"], vote["name"], vote["choice"], vote["text"] or ""])
    writer.writerow([])
    writer.writerow(["table", "number", "title", "event", "at", "by", "old", "new", "note"])
    for item in data["checklist"]:
        for e in item["events"]:
            writer.writerow(
                [
                    "checklist",
                    item["number"],
                    item["title"],
                    e["kind"],
                    e["at"],
                    e["by"] or "",
                    e["old"] or "",
                    e["new"] or "",
                    e["note"] or "",
                ]
            )
    return out.getvalue()
