"""`export <key> [csv|json]`: decisions, votes and checklist history.

Votes come from the decision log's records, which never hold a secret ballot's choices:
for a secret poll the export has the counts and who voted, nothing more.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bot.commands import Export
from bot.env import Env
from bot.errors import Forbidden
from bot.i18n import _
from bot.messages import Header, Message, Paragraph, Text
from bot.pilots.models import Pilot
from bot.pilots.service import get_pilot
from bot.polls.models import Choice, Decision


async def export(*, env: Env, cmd: Export) -> Message:
    """The pilot's decision log and checklist history as CSV or JSON, for the committee."""
    pilot = await get_pilot(env, cmd.key)
    assert pilot.id is not None and env.person.id is not None
    on_committee = pilot.member(env.person.id) is not None or pilot.owner_id == env.person.id
    if not (on_committee or env.caller.is_admin):
        raise Forbidden(
            _("Only members of the {key} committee can export its decisions.").format(key=pilot.key)
        )
    decisions = await env.uow.polls.decisions_for_pilot(pilot.id)
    ids = {e.by_id for i in pilot.items for e in i.events if e.by_id is not None}
    names = {pid: p.name for pid, p in (await env.uow.people.get_many(sorted(ids))).items()}
    data = export_data(pilot, decisions, names)
    content = to_json(data) if cmd.format == "json" else to_csv(data)
    title = _("Export of {key} ({format})").format(key=pilot.key, format=cmd.format)
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
            {"seq": d.seq, "hash": d.hash, "prev_hash": d.prev_hash, **json.loads(d.record_json)}
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
