"""The poll card in the steering channel, and the evidence it shows voters.

The public card shows turnout only (who has voted, never what) while the poll is open, so
early votes do not sway later ones; at close it shows the outcome, its reasons and the
tally (and, for open ballots, who chose what).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

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
from bot.pilots.models import Person, Pilot
from bot.polls.models import Choice, Poll, PollStatus
from bot.polls.rules import Result


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


def vote_buttons(key: str) -> Actions:
    condition = Form(
        title=_("Go with conditions"),
        command=f"vote {key} conditional",
        inputs=[TextInput(name="text", label=_("Condition"), multiline=True)],
        submit_label=_("Vote"),
    )
    reason = Form(
        title=_("No-go"),
        command=f"vote {key} no-go",
        inputs=[TextInput(name="reason", label=_("Reason"), multiline=True)],
        submit_label=_("Vote"),
    )
    return Actions(
        buttons=[
            Button(label=_("Go"), command=f"vote {key} go", style="primary"),
            Button(
                label=_("Go with conditions"), command=f"vote {key} conditional", form=condition
            ),
            Button(label=_("No-go"), command=f"vote {key} no-go", form=reason, style="danger"),
            Button(label=_("Abstain"), command=f"vote {key} abstain"),
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


def tally_blocks(view: View) -> list[Block]:
    """Counts per choice, and who chose what for open ballots."""
    counts = view.poll.counts()
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


def poll_card(view: View, result: Result | None = None) -> Message:
    """The poll's message in the steering channel, in its current state."""
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
        blocks += outcome_blocks(view, result)
        text = _("Go/no-go poll on {name} closed").format(name=pilot.name)
    return Message(text=text, blocks=blocks)


def outcome_blocks(view: View, result: Result | None) -> list[Block]:
    blocks: list[Block] = []
    if result is not None:
        blocks.append(Paragraph(spans=spans(_("Decision: "), bold(_(result.outcome.value)))))
        blocks.append(Paragraph(spans=spans(_("Why: "), "; ".join(result.reasons))))
    blocks += tally_blocks(view)
    if view.poll.closed_at is not None:
        blocks.append(
            Context(spans=spans(_("Closed {when}.").format(when=view.when(view.poll.closed_at))))
        )
    return blocks


def result_message(view: View, result: Result, conditions: list[str]) -> Message:
    """The decision, posted to the steering channel when the poll closes."""
    pilot = view.pilot
    blocks: list[Block] = [
        Header(
            text=_("{outcome}: {name}").format(outcome=_(result.outcome.value), name=pilot.name)
        ),
        Paragraph(spans=spans(_("Why: "), "; ".join(result.reasons))),
        *tally_blocks(view),
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
