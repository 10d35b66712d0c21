"""Every message of a poll: the card in the steering channel and the evidence it shows
voters, the result, the reminder, the private replies and the decision log.

The public card shows turnout only (who has voted, never what) while the poll is open, so
early votes do not sway later ones; at close it shows the outcome, its reasons and the
tally (and, for open ballots, who chose what).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import commands as c
from bot.actions import Draft
from bot.delivery.models import Conversation, OutboxMessage
from bot.i18n import _, format_date
from bot.messages import (
    Actions,
    Block,
    Button,
    Context,
    Field_,
    Fields,
    Form,
    Header,
    Mention,
    Message,
    Paragraph,
    Progress,
    Span,
    Table,
    TextInput,
    bold,
    spans,
)
from bot.pilots.models import Person, Pilot, Workspace
from bot.polls.models import Choice, Closed, Decision, Poll, PollStatus


@dataclass(frozen=True)
class View:
    """What a poll message is about: the poll, its pilot, the people it names and the
    zone its times are shown in."""

    poll: Poll
    pilot: Pilot
    people: dict[int, Person]
    zone: ZoneInfo

    def mention(self, person_id: int) -> Span:
        person = self.people.get(person_id)
        if person is None:
            return bold(_("someone"))
        return Mention(user_id=person.external_id, name=person.name)

    def name(self, person_id: int) -> str:
        person = self.people.get(person_id)
        return person.name if person else _("someone")

    def when(self, instant: datetime) -> str:
        local = instant.astimezone(self.zone)
        return f"{format_date(local.date())} {local:%H:%M} {local.tzname()}"


def choice_label(choice: Choice | str) -> str:
    return {
        Choice.GO: _("Go"),
        Choice.CONDITIONAL: _("Go with conditions"),
        Choice.NO_GO: _("No-go"),
        Choice.ABSTAIN: _("Abstain"),
    }[Choice(choice)]


def readiness_blocks(pilot: Pilot) -> list[Block]:
    """The evidence voters decide on: checklist progress, open blocking items, KPIs."""
    done, total = pilot.checklist_progress()
    blocks: list[Block] = [Progress(label=_("Checklist"), done=done, total=total)]
    blocking = pilot.open_blocking()
    if blocking:
        names = ", ".join(f"#{i.number} {i.title}" for i in blocking)
        blocks.append(Paragraph(spans=spans(bold(_("Open blocking items: ")), names)))
    else:
        blocks.append(Paragraph(spans=spans(_("No blocking checklist items are open."))))
    if pilot.kpis:
        rows = []
        for kpi in pilot.kpis:
            latest = kpi.latest()
            progress = kpi.progress()
            rows.append(
                [
                    kpi.name,
                    f"{latest.value:g} {kpi.unit}" if latest else "–",
                    f"{kpi.target:g} {kpi.unit}",
                    f"{progress:.0f}%" if progress is not None else "–",
                ]
            )
        blocks.append(Table(columns=[_("KPI"), _("Latest"), _("Target"), _("Progress")], rows=rows))
    return blocks


TURNOUT_NAMED = 25  # a large committee's card names this many voters, then counts the rest
TALLY_ROWS = 50  # who chose what, in a message; `decisions` and `export` keep every vote


def turnout_spans(view: View) -> list[Span]:
    voted_ids = view.poll.voted_ids()
    voted = [v.person_id for v in view.poll.voters if v.person_id in voted_ids]
    out: list[Span] = spans(
        bold(
            _("Turnout: {voted} of {eligible} voted").format(
                voted=len(voted), eligible=len(view.poll.voters)
            )
        )
    )
    for index, person_id in enumerate(voted[:TURNOUT_NAMED]):
        out.extend(spans(": " if index == 0 else ", ", view.mention(person_id)))
    if len(voted) > TURNOUT_NAMED:
        out.extend(spans(_(" and {n} more").format(n=len(voted) - TURNOUT_NAMED)))
    return out


CONDITION_FORM = "vote-condition"
REASON_FORM = "vote-reason"


def condition_form(key: str) -> Form:
    return Form(
        name=CONDITION_FORM,
        title=_("Go with conditions"),
        action=Draft.of(c.CastVote, key=key, choice="conditional"),
        inputs=[TextInput(name="text", label=_("Condition"), multiline=True)],
        submit_label=_("Vote"),
    )


def reason_form(key: str) -> Form:
    return Form(
        name=REASON_FORM,
        title=_("No-go"),
        action=Draft.of(c.CastVote, key=key, choice="no-go"),
        inputs=[TextInput(name="reason", label=_("Reason"), multiline=True)],
        submit_label=_("Vote"),
    )


def vote_buttons(key: str) -> Actions:
    return Actions(
        buttons=[
            Button(label=_("Go"), action=c.CastVote(key=key, choice="go"), style="primary"),
            Button(label=_("Go with conditions"), form=condition_form(key)),
            Button(label=_("No-go"), form=reason_form(key), style="danger"),
            Button(label=_("Abstain"), action=c.CastVote(key=key, choice="abstain")),
        ]
    )


def secrecy_note(poll: Poll) -> Context:
    if poll.secret:
        text = _(
            "Secret ballot: everyone sees who has voted, nobody ever sees what anyone chose, "
            "not even the owner; only the totals are shown at close."
        )
    else:
        text = _(
            "Each voter sees the votes privately once they have voted; everyone sees them "
            "at close. You can change your vote until the poll closes."
        )
    return Context(spans=spans(text))


def tally_blocks(view: View, counts: dict[str, int]) -> list[Block]:
    """``counts`` per choice, and who chose what for open ballots."""
    fields = [Field_(label=choice_label(c), value=spans(str(counts[c.value]))) for c in Choice]
    blocks: list[Block] = [Fields(fields=fields)]
    if not view.poll.secret:
        rows: list[list[str]] = []
        labels = {c: choice_label(c) for c in Choice}
        votes = view.poll.votes_by_voter()
        more = 0
        for voter in view.poll.voters:
            vote = votes.get(voter.person_id)
            if vote is None or vote.choice is None:
                continue
            if len(rows) == TALLY_ROWS:
                more += 1
                continue
            rows.append([view.name(voter.person_id), labels[vote.choice], vote.text or ""])
        if more:
            rows.append([_("and {n} more").format(n=more), "", ""])
        if rows:
            blocks.append(Table(columns=[_("Voter"), _("Vote"), _("Note")], rows=rows))
    return blocks


def poll_card(view: View, closed: Closed | None = None) -> Message:
    """The poll's message in the steering channel, in its current state (``closed``: what
    closing it decided)."""
    poll, pilot = view.poll, view.pilot
    blocks: list[Block] = [
        Header(text=_("Go/no-go: {name}").format(name=pilot.name)),
        Paragraph(spans=spans(bold(poll.question))),
        Fields(
            fields=[
                Field_(label=_("Pilot"), value=spans(pilot.key)),
                Field_(label=_("Deadline"), value=spans(view.when(poll.closes_at))),
            ]
        ),
        *readiness_blocks(pilot),
        Paragraph(spans=turnout_spans(view)),
    ]
    if poll.status == PollStatus.OPEN:
        blocks += [vote_buttons(pilot.key), secrecy_note(poll)]
        text = _("Go/no-go poll on {name}: {question}").format(
            name=pilot.name, question=poll.question
        )
    elif poll.status == PollStatus.CANCELLED:
        blocks.append(Context(spans=spans(_("This poll was cancelled; no decision was made."))))
        text = _("The go/no-go poll on {name} was cancelled.").format(name=pilot.name)
    else:
        blocks += outcome_blocks(view, closed)
        text = _("Go/no-go poll on {name} closed").format(name=pilot.name)
    return Message(text=text, blocks=blocks)


def outcome_blocks(view: View, closed: Closed | None) -> list[Block]:
    blocks: list[Block] = []
    if closed is not None:
        result = closed.result
        blocks.append(Paragraph(spans=spans(_("Decision: "), bold(_(result.outcome.value)))))
        blocks.append(Paragraph(spans=spans(_("Why: "), "; ".join(result.reasons))))
    blocks += tally_blocks(view, closed.counts if closed else view.poll.counts())
    if view.poll.closed_at is not None:
        blocks.append(
            Context(spans=spans(_("Closed {when}.").format(when=view.when(view.poll.closed_at))))
        )
    return blocks


def result_message(view: View, closed: Closed) -> Message:
    """The decision, posted to the steering channel when the poll closes."""
    pilot, result, conditions = view.pilot, closed.result, closed.condition_texts
    blocks: list[Block] = [
        Header(
            text=_("{outcome}: {name}").format(outcome=_(result.outcome.value), name=pilot.name)
        ),
        Paragraph(spans=spans(_("Why: "), "; ".join(result.reasons))),
        *tally_blocks(view, closed.counts),
    ]
    if conditions:
        blocks.append(
            Paragraph(
                spans=spans(
                    bold(_("Conditions, now checklist items of the business owner: ")),
                    "; ".join(conditions),
                )
            )
        )
    text = _("Decision on {name}: {outcome}").format(
        name=pilot.name, outcome=_(result.outcome.value)
    )
    return Message(text=text, blocks=blocks)


# --- where poll messages go ---------------------------------------------------------------


def card_key(poll: Poll) -> str:
    return f"poll:{poll.id}:card"


def result_key(poll: Poll) -> str:
    return f"poll:{poll.id}:result"


def steering_channel(workspace: Workspace, pilot: Pilot) -> Conversation:
    return Conversation(
        platform=workspace.platform,
        workspace_id=workspace.external_id,
        channel_id=pilot.channel_id,
    )


def card_update(
    workspace: Workspace, view: View, *, at: datetime, closed: Closed | None = None
) -> OutboxMessage:
    """The card's current state, as the one pending replacement of its post (the row
    :func:`bot.delivery.service.enqueue_update` builds, built here so that a vote stays in
    this feature): pending replacements of the card collapse into the newest."""
    key = card_key(view.poll)
    return OutboxMessage(
        workspace_id=view.poll.workspace_id,
        key=f"{key}:update",
        platform=workspace.platform,
        message_json=poll_card(view, closed).model_dump_json(),
        created_at=at,
        next_attempt_at=at,
        update_of=key,
    )


def reminder(view: View) -> Message:
    """The DM to an eligible voter who has not voted yet, with the vote buttons."""
    text = _("You have not voted yet on {name}: {question} The poll closes {when}.").format(
        name=view.pilot.name, question=view.poll.question, when=view.when(view.poll.closes_at)
    )
    return Message(
        text=text,
        blocks=[
            Paragraph(spans=spans(bold(_("Go/no-go reminder: ")), text)),
            vote_buttons(view.pilot.key),
            secrecy_note(view.poll),
        ],
    )


# --- private replies ----------------------------------------------------------------------


def _private(text: str, *more: Block) -> Message:
    return Message(text=text, blocks=[Paragraph(spans=spans(text)), *more], private=True)


def opened(view: View, warning: list[Block]) -> Message:
    """The owner's reply: when the poll closes and who may vote, then ``warning`` (voters
    golive cannot message, if any)."""
    poll, pilot = view.poll, view.pilot
    names = ", ".join(view.name(v.person_id) for v in poll.voters)
    text = _(
        "Poll opened on {key} in the steering channel; it closes {when}. Eligible voters: {names}."
    ).format(key=pilot.key, when=view.when(poll.closes_at), names=names)
    if poll.secret:
        text += " " + _("It is a secret ballot.")
    return _private(text, *warning)


def voted(view: View, choice: Choice, *, changed: bool, closed: Closed | None = None) -> Message:
    """The voter's private confirmation: their vote and, for open ballots, everyone's so
    far (they have voted, so seeing them can no longer sway them)."""
    key = view.pilot.key
    if view.poll.secret:
        head = _("Your secret vote on {key} is recorded; nobody will see what you chose.")
    elif changed:
        head = _("You changed your vote on {key} to {choice}.")
    else:
        head = _("You voted {choice} on {key}.")
    head = head.format(key=key, choice=choice_label(choice))
    blocks: list[Block] = [Paragraph(spans=spans(head))]
    if closed is not None:
        result = closed.result
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
        blocks += tally_blocks(view, view.poll.counts())
    blocks.append(Paragraph(spans=turnout_spans(view)))
    if closed is None:
        blocks.append(Context(spans=spans(_("You can change your vote until the poll closes."))))
    return Message(text=head, blocks=blocks, private=True)


def closed_by_owner(pilot: Pilot, closed: Closed) -> Message:
    result = closed.result
    text = _("The poll on {key} is closed: {outcome} ({reasons}).").format(
        key=pilot.key, outcome=_(result.outcome.value), reasons="; ".join(result.reasons)
    )
    if closed.conditions:
        text += " " + _("Conditions added to the checklist: {numbers}.").format(
            numbers=", ".join(f"#{i.number}" for i in closed.conditions)
        )
    return _private(text)


def cancelled(pilot: Pilot) -> Message:
    return _private(
        _("The poll on {key} is cancelled; no decision was recorded.").format(key=pilot.key)
    )


def status_blocks(view: View) -> list[Block]:
    """The open poll in `status <key>`: question, deadline and turnout, never choices."""
    line = _("Open go/no-go poll: {question} (closes {when})").format(
        question=view.poll.question, when=view.when(view.poll.closes_at)
    )
    blocks: list[Block] = [
        Paragraph(spans=spans(bold(line))),
        Paragraph(spans=turnout_spans(view)),
    ]
    if view.poll.secret:
        blocks.append(Context(spans=spans(_("Secret ballot."))))
    return blocks


def decision_log(pilot: Pilot, decisions: list[Decision], zone: ZoneInfo) -> Message:
    """The pilot's decisions, newest first: outcome, why, counts, who voted."""
    if not decisions:
        return _private(_("No decisions on {key} yet.").format(key=pilot.key))
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
                columns=[choice_label(c) for c in Choice],
                rows=[[str(counts[c.value]) for c in Choice]],
            )
        )
        if record.get("votes"):
            rows = [
                [v["name"], choice_label(v["choice"]), v["text"] or ""] for v in record["votes"]
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
