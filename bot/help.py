"""Usage lines, examples and the help message for every command of COMMANDS.md.

The parser attaches these usage lines to its errors, so a malformed command is answered with
the line of exactly the command the caller tried.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import UsageError
from bot.i18n import _
from bot.messages import Block, Context, Header, Message, Paragraph, Text, bold, spans
from bot.parsing_values import suggestion


def N_(message: str) -> str:
    """Mark text for translation where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Entry:
    topic: str  # "checklist add": the words a caller types after ``help``
    usage: str
    summary: str
    examples: tuple[str, ...]

    @property
    def family(self) -> str:
        return self.topic.split(" ", 1)[0]


def _e(topic: str, usage: str, summary: str, *examples: str) -> Entry:
    return Entry(topic=topic, usage=usage, summary=summary, examples=examples)


GROUPS: tuple[tuple[str, tuple[Entry, ...]], ...] = (
    (N_("Pilots"), (
        _e("new", N_('new <key> "<name>" [owner:@person] [channel:#ch] [golive:<date>]'),
           N_("Create a pilot, with the readiness checklist; you own it unless owner: says."),
           'new churn "Churn model" golive:2026-12-15',
           'new fraud-ai "Fraud triage" owner:@amal channel:#ai-steering'),
        _e("list", N_("list [stage:<stage>] [mine]"), N_("Pilots in this workspace."),
           "list", "list stage:pilot mine"),
        _e("status", N_("status <key>"),
           N_("Stage, owner, committee, checklist progress, KPIs and the open poll."),
           "status churn"),
        _e("stage", N_("stage <key> <stage>"),
           N_("Move the stage: poc, pilot, review, approved, production, scaling, stopped."),
           "stage churn review"),
        _e("committee add", N_("committee <key> add @person <role> [observer]"),
           N_("Add a committee member. Roles: business, engineering, data-science, security, "
              "legal, compliance, operations, executive. Observers do not vote."),
           "committee churn add @amal security", "committee churn add @lee executive observer"),
        _e("committee remove", N_("committee <key> remove @person"),
           N_("Remove a committee member."), "committee churn remove @amal"),
    )),
    (N_("Checklist"), (
        _e("checklist", N_("checklist <key>"), N_("The numbered checklist."),
           "checklist churn"),
        _e("checklist add",
           N_('checklist <key> add "<title>" [owner:@person] [due:<date>] [blocking] [evidence]'),
           N_("Add an item; evidence means closing it needs evidence."),
           'checklist churn add "Data retention policy signed" owner:@amal due:fri blocking',
           'checklist churn add "Pen test report" due:+2w evidence'),
        _e("checklist done", N_('checklist <key> done <n> [evidence:<link or "text">]'),
           N_("Mark item n done."),
           "checklist churn done 3 evidence:https://wiki.example.com/runbook",
           "checklist churn done 5"),
        _e("checklist waive", N_('checklist <key> waive <n> reason:"<text>"'),
           N_("Waive item n, with a reason."),
           'checklist churn waive 6 reason:"benchmarks move to phase 2"'),
        _e("checklist assign", N_("checklist <key> assign <n> @person"),
           N_("Give item n to someone else."), "checklist churn assign 2 @amal"),
        _e("checklist due", N_("checklist <key> due <n> <date>"),
           N_("Change the due date of item n (the slip is recorded)."),
           "checklist churn due 2 2026-12-20", "checklist churn due 4 +1w"),
    )),
    (N_("KPIs"), (
        _e("kpi add",
           N_('kpi <key> add "<name>" kind:<cost|time|revenue|risk> unit:<unit> '
              "baseline:<n> target:<n> [lower-is-better]"),
           N_("Define a business KPI."),
           'kpi churn add "Handling time" kind:time unit:min baseline:14 target:9 '
           "lower-is-better"),
        _e("kpi record", N_('kpi <key> record "<name>" <value> [at:<date>]'),
           N_("Record a measurement."),
           'kpi churn record "Handling time" 11.5',
           'kpi churn record "Handling time" 10 at:2026-12-01'),
    )),
    (N_("Decisions"), (
        _e("poll", N_('poll <key> [closes:<deadline>] [secret] ["<question>"]'),
           N_("Open the go/no-go poll in the steering channel (closes in 72 hours unless "
              "closes: says)."),
           "poll churn", 'poll churn closes:"2026-12-15 17:00" secret "Go live in January?"'),
        _e("poll close", N_("poll <key> close"), N_("Close the poll now."), "poll churn close"),
        _e("poll cancel", N_("poll <key> cancel"), N_("Cancel the poll without a decision."),
           "poll churn cancel"),
        _e("vote", N_('vote <key> go|conditional|no-go|abstain ["<condition or reason>"]'),
           N_("Vote; a conditional vote needs the condition, a no-go the reason."),
           "vote churn go", 'vote churn conditional "after the security review"',
           'vote churn no-go "drift is not monitored"'),
        _e("decisions", N_("decisions <key>"), N_("The decision log."), "decisions churn"),
        _e("export", N_("export <key> [csv|json]"),
           N_("Decisions, votes (counts only for secret polls) and checklist history."),
           "export churn", "export churn json"),
    )),
    (N_("Digests"), (
        _e("digest", N_("digest [#channel] preview|now"),
           N_("Show the weekly digest, or post it now."),
           "digest preview", "digest #ai-steering now"),
        _e("digest schedule", N_("digest schedule [#channel] <weekday> <HH:MM> [tz:<IANA zone>]"),
           N_("Set when the channel's digest is posted."),
           "digest schedule mon 09:00", "digest schedule #ai-steering sun 08:30 tz:Asia/Dubai"),
    )),
    (N_("You"), (
        _e("home", N_("home"),
           N_("What needs you: your overdue items, polls waiting for your vote, the pilots "
              "you own."),
           "home"),
        _e("settings", N_("settings [tz:<zone>] [hours:<HH-HH>] [weekend:<day-day>] [lang:<code>]"),
           N_("Your time zone, working hours, weekend and language."),
           "settings", "settings tz:Asia/Dubai hours:08-16 weekend:fri-sat"),
        _e("help", N_("help [command]"), N_("Usage, with examples."), "help", "help checklist"),
    )),
)  # fmt: skip

ENTRIES: dict[str, Entry] = {entry.topic: entry for _g, group in GROUPS for entry in group}
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(entry.family for entry in ENTRIES.values()))
TOPICS: tuple[str, ...] = tuple(dict.fromkeys([*FAMILIES, *ENTRIES]))


def entries(topic: str) -> list[Entry]:
    """The entries a topic covers: one subcommand, or every subcommand of a command."""
    if topic in ENTRIES and " " in topic:
        return [ENTRIES[topic]]
    return [entry for entry in ENTRIES.values() if entry.family == topic]


def usage(name: str) -> str:
    """The usage line of a command (``checklist done``), or of every form of a family
    (``checklist``), one per line."""
    found = entries(name)
    if not found:
        raise KeyError(name)
    return "\n".join(_(entry.usage) for entry in found)


def usage_line(topic: str) -> str:
    """The usage line of exactly one entry (``digest``: the preview/now line only)."""
    return _(ENTRIES[topic].usage)


def help_message(topic: str | None) -> Message:
    """The overview of every command, or the usage and examples of one; private."""
    if topic is None:
        return _overview()
    found = entries(topic.strip().lower())
    if not found:
        raise UsageError(
            _("There is no help on `{topic}`.").format(topic=topic[:40])
            + suggestion(topic, TOPICS),
            usage=usage("help"),
        )
    blocks: list[Block] = [Header(text=_("Help: {topic}").format(topic=topic.strip().lower()))]
    lines: list[str] = []
    for entry in found:
        examples = "\n".join(entry.examples)
        blocks.append(Paragraph(spans=[bold(_(entry.usage))]))
        blocks.append(Paragraph(spans=spans(_(entry.summary))))
        blocks.append(
            Paragraph(spans=[Text(text=_("Examples:"), italic=True), Text(text="\n" + examples)])
        )
        lines.extend([_(entry.usage), _(entry.summary), examples])
    return Message(text="\n".join(lines), blocks=blocks, private=True)


def _overview() -> Message:
    blocks: list[Block] = [Header(text=_("golive commands"))]
    lines = [_("golive commands")]
    for group, group_entries in GROUPS:
        listing = "\n".join(f"{_(e.usage)} — {_(e.summary)}" for e in group_entries)
        blocks.append(Paragraph(spans=[bold(_(group)), Text(text="\n" + listing)]))
        lines.extend([_(group), listing])
    hint = _("Type help <command> for examples, like: help checklist")
    blocks.append(Context(spans=spans(hint)))
    lines.append(hint)
    return Message(text="\n".join(lines), blocks=blocks, private=True)
