"""Private replies to poll commands, and the decision log as a message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.i18n import _, format_date
from bot.messages import Block, Context, Header, Message, Paragraph, Table, bold, spans
from bot.pilots.models import Pilot
from bot.polls import messaging
from bot.polls.closing import Closed
from bot.polls.models import Choice, Decision, Poll


@dataclass(frozen=True)
class VoteOutcome:
    view: messaging.View
    choice: Choice
    changed: bool
    closed: Closed | None


def opened(view: messaging.View) -> Message:
    poll, pilot = view.poll, view.pilot
    names = ", ".join(view.name(v.person_id) for v in poll.voters)
    text = _(
        "Poll opened on {key} in the steering channel; it closes {when}. Eligible voters: {names}."
    ).format(key=pilot.key, when=view.when(poll.closes_at), names=names)
    if poll.secret:
        text += " " + _("It is a secret ballot.")
    return Message(text=text, blocks=[Paragraph(spans=spans(text))], private=True)


def voted(outcome: VoteOutcome) -> Message:
    """The voter's private confirmation: their vote and, for open ballots, everyone's so
    far (they have voted, so seeing them can no longer sway them)."""
    view = outcome.view
    key = view.pilot.key
    if view.poll.secret:
        head = _("Your secret vote on {key} is recorded; nobody will see what you chose.")
    elif outcome.changed:
        head = _("You changed your vote on {key} to {choice}.")
    else:
        head = _("You voted {choice} on {key}.")
    head = head.format(key=key, choice=messaging.choice_label(outcome.choice))
    blocks: list[Block] = [Paragraph(spans=spans(head))]
    if outcome.closed is not None:
        result = outcome.closed.result
        blocks.append(
            Paragraph(
                spans=spans(
                    _("Everyone has voted, so the poll closed: "),
                    bold(_(result.outcome.value)),
                    " (" + "; ".join(result.reasons) + ")",
                )
            )
        )
    elif not view.poll.secret:
        blocks += messaging.tally_blocks(view)
    blocks.append(Paragraph(spans=messaging.turnout_spans(view)))
    if outcome.closed is None:
        blocks.append(Context(spans=spans(_("You can change your vote until the poll closes."))))
    return Message(text=head, blocks=blocks, private=True)


def closed(closed: Closed, pilot: Pilot) -> Message:
    result = closed.result
    text = _("The poll on {key} is closed: {outcome} ({reasons}).").format(
        key=pilot.key, outcome=_(result.outcome.value), reasons="; ".join(result.reasons)
    )
    if closed.conditions:
        text += " " + _("Conditions added to the checklist: {numbers}.").format(
            numbers=", ".join(f"#{i.number}" for i in closed.conditions)
        )
    return Message(text=text, blocks=[Paragraph(spans=spans(text))], private=True)


def cancelled(poll: Poll, pilot: Pilot) -> Message:
    text = _("The poll on {key} is cancelled; no decision was recorded.").format(key=pilot.key)
    return Message(text=text, blocks=[Paragraph(spans=spans(text))], private=True)


def decision_log(pilot: Pilot, decisions: list[Decision], zone: ZoneInfo) -> Message:
    """The pilot's decisions, newest first: outcome, why, counts, who voted."""
    if not decisions:
        text = _("No decisions on {key} yet.").format(key=pilot.key)
        return Message(text=text, blocks=[Paragraph(spans=spans(text))], private=True)
    blocks: list[Block] = [Header(text=_("Decisions on {name}").format(name=pilot.name))]
    for decision in reversed(decisions):
        record = json.loads(decision.record_json)
        local = decision.decided_at.astimezone(zone)
        when = f"{format_date(local.date())} {local:%H:%M}"
        blocks.append(
            Paragraph(
                spans=spans(
                    bold(f"{when}: {_(decision.outcome)}"),
                    " — " + record["question"],
                )
            )
        )
        blocks.append(Paragraph(spans=spans(_("Why: "), "; ".join(record["reasons"]))))
        counts = record["counts"]
        blocks.append(
            Table(
                columns=[messaging.choice_label(c) for c in Choice],
                rows=[[str(counts[c.value]) for c in Choice]],
            )
        )
        if record.get("votes"):
            rows = [
                [v["name"], messaging.choice_label(v["choice"]), v["text"] or ""]
                for v in record["votes"]
            ]
            blocks.append(Table(columns=[_("Voter"), _("Vote"), _("Note")], rows=rows))
        voters = ", ".join(v["name"] for v in record["voted"]) or _("nobody")
        note = _("{voted} of {eligible} voted: {names}.").format(
            voted=len(record["voted"]), eligible=len(record["eligible"]), names=voters
        )
        if record["secret"]:
            note += " " + _("Secret ballot: counts only.")
        blocks.append(Context(spans=spans(note)))
    text = _("{n} decisions on {key}").format(n=len(decisions), key=pilot.key)
    return Message(text=text, blocks=blocks, private=True)
