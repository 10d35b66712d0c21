"""Closing a poll: the decision, its log record, conditions as checklist items, the stage,
and the messages to the steering channel. Shared by the owner's `poll <key> close`, the
last vote and the deadline sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery.models import Conversation
from bot.delivery.service import enqueue, enqueue_update
from bot.pilots.models import (
    AuditEntry,
    ChecklistItem,
    ItemEvent,
    Person,
    Pilot,
    Stage,
    StageChange,
    Workspace,
)
from bot.polls import log, messaging
from bot.polls.models import Choice, Decision, Poll, PollStatus
from bot.polls.rules import Outcome, Result, decide
from bot.ports import UnitOfWork

CONDITION_DUE = timedelta(days=14)

STAGE_AFTER = {
    Outcome.GO: Stage.APPROVED,
    Outcome.GO_WITH_CONDITIONS: Stage.APPROVED,
    Outcome.NO_GO: Stage.PILOT,
}


def card_key(poll: Poll) -> str:
    return f"poll:{poll.id}:card"


def steering_channel(workspace: Workspace, pilot: Pilot) -> Conversation:
    return Conversation(
        platform=workspace.platform,
        workspace_id=workspace.external_id,
        channel_id=pilot.channel_id,
    )


async def view_of(
    uow: UnitOfWork, workspace: Workspace, pilot: Pilot, poll: Poll
) -> messaging.View:
    """The poll with the people it names, times in the workspace's zone."""
    ids = {v.person_id for v in poll.voters} | {pilot.owner_id}
    people = await uow.people.get_many(sorted(ids))
    return messaging.View(poll=poll, pilot=pilot, people=people, zone=ZoneInfo(workspace.timezone))


def move_stage(
    uow: UnitOfWork, pilot: Pilot, stage: Stage, *, at: datetime, by_id: int | None
) -> None:
    """Move the pilot's stage, recording the change (nothing when it is already there)."""
    if pilot.stage == stage:
        return
    assert pilot.id is not None
    uow.add(
        StageChange(pilot_id=pilot.id, from_stage=pilot.stage, to_stage=stage, at=at, by_id=by_id)
    )
    pilot.stage, pilot.stage_since = stage, at


@dataclass(frozen=True)
class Closed:
    decision: Decision
    result: Result
    conditions: list[ChecklistItem]


async def close_poll(
    uow: UnitOfWork,
    *,
    workspace: Workspace,
    pilot: Pilot,
    poll: Poll,
    now: datetime,
    by: Person | None,
    reason: str,
) -> Closed:
    """Decide the poll, log the decision, apply it and tell the steering channel."""
    assert poll.id is not None and pilot.id is not None and workspace.id is not None
    view = await view_of(uow, workspace, pilot, poll)
    result = decide(
        poll.ballots(), open_blocking=len(pilot.open_blocking()), criteria=poll.criteria
    )
    poll.status, poll.open_pilot_id = PollStatus.CLOSED, None
    poll.closed_at, poll.closed_by_id, poll.close_reason = now, by.id if by else None, reason
    record = decision_record(view, result, closed_by=by, decided_at=now)
    previous = await uow.polls.last_decision(workspace.id)
    seq, prev_hash, record_json, digest = log.seal(record, previous=previous)
    decision = Decision(
        workspace_id=workspace.id,
        pilot_id=pilot.id,
        poll_id=poll.id,
        seq=seq,
        outcome=result.outcome.value,
        decided_at=record_instant(now),
        record_json=record_json,
        prev_hash=prev_hash,
        hash=digest,
    )
    await uow.polls.add_decision(decision)
    texts = condition_texts(poll) if result.outcome == Outcome.GO_WITH_CONDITIONS else []
    items = add_conditions(pilot, decision, texts, now=now, zone=_owner_zone(view, workspace))
    if result.outcome in STAGE_AFTER:
        move_stage(uow, pilot, STAGE_AFTER[result.outcome], at=now, by_id=by.id if by else None)
    pilot.last_activity_at = now
    # Render before sealing: a secret poll's counts exist only until its ballots are erased.
    card = messaging.poll_card(view, result)
    announcement = messaging.result_message(view, result, texts)
    poll.seal()
    await enqueue(
        uow,
        workspace=workspace,
        key=f"poll:{poll.id}:result",
        to=steering_channel(workspace, pilot),
        message=announcement,
        now=now,
    )
    await enqueue_update(uow, workspace=workspace, of_key=card_key(poll), message=card, now=now)
    await uow.audit.add(
        AuditEntry(
            workspace_id=workspace.id,
            actor_id=by.id if by else None,
            action="poll.close",
            subject=f"poll:{pilot.key}#{poll.id}",
            at=now,
            detail=f"outcome={result.outcome.value}; closed={reason}",
        )
    )
    return Closed(decision=decision, result=result, conditions=items)


def record_instant(now: datetime) -> datetime:
    """The decision time as stored and hashed: UTC, whole microseconds."""
    return now.astimezone(UTC)


def condition_texts(poll: Poll) -> list[str]:
    """The eligible voters' conditions, in a fixed order that does not follow the voters
    (so a secret poll's conditions cannot be matched to who voted when)."""
    eligible = {v.person_id for v in poll.voters}
    return sorted(
        v.text.strip()
        for v in poll.votes
        if v.person_id in eligible and v.choice == Choice.CONDITIONAL and v.text and v.text.strip()
    )


def add_conditions(
    pilot: Pilot, decision: Decision, texts: list[str], *, now: datetime, zone: ZoneInfo
) -> list[ChecklistItem]:
    """Each condition as a checklist item of the business owner, due in 14 days."""
    items = []
    due = now.astimezone(zone).date() + CONDITION_DUE
    for text in texts:
        item = ChecklistItem(
            number=pilot.next_item_number(),
            title=text,
            category="general",
            owner_id=pilot.owner_id,
            due=due,
            decision_id=decision.id,
            created_at=now,
        )
        item.events.append(
            ItemEvent(kind="created", at=now, by_id=None, note=f"decision {decision.seq}")
        )
        pilot.items.append(item)
        items.append(item)
    return items


def _owner_zone(view: messaging.View, workspace: Workspace) -> ZoneInfo:
    owner = view.people.get(view.pilot.owner_id)
    return ZoneInfo((owner.timezone if owner else None) or workspace.timezone or "UTC")


def decision_record(
    view: messaging.View, result: Result, *, closed_by: Person | None, decided_at: datetime
) -> dict[str, Any]:
    """Everything the decision log keeps of a decision. For a secret poll: who voted and
    the counts, never who chose what; rationales are unattributed and sorted."""
    poll, pilot = view.poll, view.pilot
    voted = poll.voted_ids()
    eligible = [
        {
            "person_id": v.person_id,
            "name": view.name(v.person_id),
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
        "decided_at": record_instant(decided_at).isoformat(),
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
                "name": view.name(v.person_id),
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
