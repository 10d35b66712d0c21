"""Text -> typed command, or a UsageError with a specific message and the usage line of the
command the caller tried. The language is COMMANDS.md; tokens are in parsing_tokens, values
in parsing_values and parsing_time, the binding of tokens to parameters in parsing_grammar.

Forms run ``<command> name:"value" ...`` (see :func:`form_command`), so every parameter of
every command may also be given as an option named after it, for example
``vote churn conditional text:"after the review"`` (``reason:`` and ``condition:`` too),
``checklist churn done 3 evidence:"https://x"``, ``checklist churn due 3 due:"2026-12-20"``
and ``poll churn question:"Go?" secret:yes``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot import commands as c
from bot import parsing_time as t
from bot import parsing_values as v
from bot.errors import UsageError
from bot.help import ENTRIES, N_, TOPICS, usage
from bot.i18n import _
from bot.parsing_grammar import Param, Reader, Spec, run
from bot.parsing_tokens import Token, quote, tokenize
from bot.pilots.models import KpiKind, Role, Stage

__all__ = ["form_command", "parse", "quote"]

MAX_LENGTH = 4000  # far above any real command; bounds the work one line can cause

# --- parameters shared by many commands ---------------------------------------------------

KEY = Param("key", v.key, N_("the pilot key"), required=True)
NUMBER = Param("number", v.item_number, N_("the item number"), required=True, aliases=("n",))
PERSON = Param("person", v.person, N_("the person (@name)"), required=True)
CHANNEL = Param("channel", v.channel, N_("the channel"), positional=False, is_channel=True)
OWNER = Param("owner", v.person, N_("the owner"), positional=False)


def _text(name: str, limit: int, what: str, missing: str, **kwargs: Any) -> Param:
    return Param(name, v.text_of(limit, what), missing, free_text=True, **kwargs)


def _flag(name: str, *aliases: str) -> Param:
    return Param(name, v.flag, name, positional=False, is_flag=True, aliases=aliases)


def _option(name: str, read: Reader, what: str, **kwargs: Any) -> Param:
    return Param(name, read, what, positional=False, **kwargs)


def _spec(topic: str, build: Callable[..., c.Command], *params: Param, **kw: Any) -> Spec:
    return Spec(topic=topic, params=(KEY, *params), build=lambda values: build(**values), **kw)


# --- the commands ---------------------------------------------------------------------------

NEW = _spec(
    "new",
    c.NewPilot,
    _text("name", 200, N_("pilot name"), N_("the pilot name"), required=True),
    OWNER,
    CHANNEL,
    _option("golive", t.calendar_date, N_("the go-live date")),
)
STATUS = _spec("status", c.Status)
STAGE = _spec(
    "stage", c.SetStage, Param("stage", v.choice(Stage, N_("stage")), N_("the stage"), True)
)
DECISIONS = _spec("decisions", c.Decisions)
EXPORT = _spec(
    "export",
    c.Export,
    Param("format", v.WordReader({"csv": "csv", "json": "json"}, N_("format")), N_("format")),
)
COMMITTEE = {
    "add": _spec(
        "committee add",
        c.CommitteeAdd,
        PERSON,
        Param("role", v.choice(Role, N_("role")), N_("the role"), required=True),
        _flag("observer"),
    ),
    "remove": _spec("committee remove", c.CommitteeRemove, PERSON),
}
CHECKLIST_SHOW = _spec("checklist", c.ChecklistShow)
CHECKLIST = {
    "add": _spec(
        "checklist add",
        c.ChecklistAdd,
        _text("title", 500, N_("title"), N_("the title"), required=True),
        OWNER,
        _option("due", t.calendar_date, N_("the due date")),
        _flag("blocking"),
        _flag("evidence"),
    ),
    "done": _spec(
        "checklist done",
        c.ChecklistDone,
        NUMBER,
        Param(
            "evidence",
            v.EvidenceReader(v.text_of(2000, N_("evidence"))),
            N_("the evidence"),
            free_text=True,
        ),
    ),
    "waive": _spec(
        "checklist waive",
        c.ChecklistWaive,
        NUMBER,
        _text("reason", 2000, N_("reason"), N_("the reason"), required=True),
    ),
    "assign": _spec(
        "checklist assign",
        c.ChecklistAssign,
        NUMBER,
        Param("person", v.person, N_("the person (@name)"), True, aliases=("owner", "to")),
    ),
    "due": _spec(
        "checklist due",
        c.ChecklistDue,
        NUMBER,
        Param("due", t.calendar_date, N_("the due date"), required=True, aliases=("date",)),
    ),
}
KPI = {
    "add": _spec(
        "kpi add",
        c.KpiAdd,
        _text("name", 200, N_("KPI name"), N_("the KPI name"), required=True),
        _option(
            "kind",
            v.choice(KpiKind, N_("KPI kind")),
            N_("the kind (kind:cost, time, revenue or risk)"),
            required=True,
        ),
        _option("unit", v.text_of(32, N_("unit")), N_("the unit (unit:<unit>)"), required=True),
        _option("baseline", v.number, N_("the baseline (baseline:<n>)"), required=True),
        _option("target", v.number, N_("the target (target:<n>)"), required=True),
        _flag("lower-is-better", "lower"),
    ),
    "record": _spec(
        "kpi record",
        c.KpiRecord,
        _text("name", 200, N_("KPI name"), N_("the KPI name"), required=True),
        Param("value", v.number, N_("the value"), required=True),
        _option("at", t.calendar_date, N_("the date")),
    ),
}
POLL_OPEN = _spec(
    "poll",
    c.PollOpen,
    _option("closes", t.deadline, N_("the deadline"), with_time=True, aliases=("deadline",)),
    _flag("secret"),
    _text("question", 1000, N_("question"), N_("the question")),
    near_words=("close", "cancel", "secret"),
)
POLL = {
    "close": _spec("poll close", c.PollClose),
    "cancel": _spec("poll cancel", c.PollCancel),
}
CHOICES = {
    "go": "go",
    "conditional": "conditional",
    "conditions": "conditional",
    "go-with-conditions": "conditional",
    "no-go": "no-go",
    "nogo": "no-go",
    "no_go": "no-go",
    "abstain": "abstain",
}


def _vote(**values: Any) -> c.Command:
    choice, text = values["choice"], values.get("text")
    if choice == "conditional" and not text:
        raise UsageError(_('A conditional vote needs the condition, in quotes: "<condition>".'))
    if choice == "no-go" and not text:
        raise UsageError(_('A no-go vote needs the reason, in quotes: "<reason>".'))
    return c.CastVote(**values)


VOTE = _spec(
    "vote",
    _vote,
    Param("choice", v.WordReader(CHOICES, N_("vote")), N_("the vote"), required=True),
    _text(
        "text",
        2000,
        N_("condition or reason"),
        N_("the condition or reason"),
        aliases=("reason", "condition"),
    ),
)
_SCHEDULE_PARAMS = (
    CHANNEL,
    Param("weekday", t.weekday, N_("the weekday"), required=True, aliases=("day",)),
    Param("at", t.clock_time, N_("the time (HH:MM)"), required=True, aliases=("time",)),
    _option("tz", t.timezone, N_("the time zone"), field="timezone", aliases=("timezone",)),
)


def _plain(topic: str, build: Callable[..., c.Command], *params: Param) -> Spec:
    return Spec(topic=topic, params=params, build=lambda values: build(**values))


DIGEST = {
    "preview": _plain("digest", c.DigestPreview, CHANNEL),
    "now": _plain("digest", c.DigestNow, CHANNEL),
    "schedule": _plain("digest schedule", c.DigestSchedule, *_SCHEDULE_PARAMS),
}
LIST = _plain(
    "list",
    c.ListPilots,
    _option("stage", v.choice(Stage, N_("stage")), N_("the stage")),
    _flag("mine"),
)
SETTINGS = _plain(
    "settings",
    c.Settings,
    _option("tz", t.timezone, N_("the time zone"), field="timezone", aliases=("timezone",)),
    _option("hours", t.hours, N_("working hours")),
    _option("weekend", t.weekend, N_("the weekend")),
    _option("lang", v.language, N_("the language"), field="language", aliases=("language",)),
)

# --- entry points ---------------------------------------------------------------------------


def parse(text: str, *, now_local: datetime) -> c.Command:
    """Parse one line of the command language, reading dates in ``now_local``'s zone."""
    if len(text) > MAX_LENGTH:
        raise UsageError(
            _("That command is too long ({length} characters; at most {limit}).").format(
                length=len(text), limit=MAX_LENGTH
            )
        )
    try:
        tokens = tokenize(text)
    except UsageError as error:
        raise UsageError(error.message, usage=_usage_guess(text)) from None
    if tokens and tokens[0].word in ("/golive", "@golive"):
        tokens = tokens[1:]
    if not tokens:
        return c.Help()
    if now_local.tzinfo is None:  # a naive time is read as UTC, never as the server's zone
        now_local = now_local.replace(tzinfo=UTC)
    ctx = v.Context(now_local=now_local)
    word = tokens[0].word
    family = _FAMILIES.get(word) if word is not None else None
    if family is None:
        raise UsageError(
            _("Unknown command `{word}`.").format(word=tokens[0].shown())
            + v.suggestion(word or "", _FAMILIES)
            + " "
            + _("Type help for the list."),
        )
    return family(tokens[1:], ctx)


def form_command(command: str, values: dict[str, str]) -> str:
    """The command line a submitted form runs: ``command`` plus ``name:"value"`` each."""
    parts = [command]
    parts.extend(f"{name}:{quote(value)}" for name, value in values.items() if value != "")
    return " ".join(parts)


# --- families ---------------------------------------------------------------------------------


def _usage_guess(text: str) -> str | None:
    """The usage of the command a line that failed to tokenize seems to start with."""
    words = [word.lower() for word in text.split()[:3]]
    if len(words) == 3 and f"{words[0]} {words[2]}" in ENTRIES:
        return usage(f"{words[0]} {words[2]}")
    if words and words[0] in _FAMILIES and words[0] != "help":
        return usage(words[0])
    return None


def _single(spec: Spec) -> Callable[[list[Token], v.Context], c.Command]:
    return lambda tokens, ctx: run(spec, tokens, ctx)


def _help(tokens: list[Token], ctx: v.Context) -> c.Command:
    topic = " ".join(token.text.lower() for token in tokens).strip()
    if not topic:
        return c.Help()
    if topic in TOPICS:
        return c.Help(topic=topic)
    raise UsageError(
        _("There is no help on `{topic}`.").format(topic=v.shown(topic))
        + v.suggestion(topic, TOPICS),
        usage=usage("help"),
    )


def _keyed(
    family: str, subs: dict[str, Spec], default: Spec | None = None
) -> Callable[[list[Token], v.Context], c.Command]:
    """``<family> <key> <sub> ...``, or ``<family> <key> ...`` run by ``default``."""

    def parse_family(tokens: list[Token], ctx: v.Context) -> c.Command:
        head = tokens[0] if tokens else None
        sub = tokens[1].word if len(tokens) > 1 else None
        if sub in subs:
            return run(subs[sub], [tokens[0], *tokens[2:]], ctx)
        if head is None or head.option is not None or head.word in subs:
            where = _(" before `{word}`").format(word=head.word) if head and head.word else ""
            topic = f"{family} {head.word}" if head and head.word in subs else family
            raise UsageError(_("Missing the pilot key{where}.").format(where=where),
                             usage=usage(topic))  # fmt: skip
        if default is not None and (len(tokens) == 1 or family == "poll"):
            return run(default, tokens, ctx)
        names = ", ".join(subs)
        if len(tokens) == 1 or sub is None:
            message = _("Say what to do after the pilot key: {names}.").format(names=names)
        else:
            message = _("Unknown {family} action `{word}` (use {names}).").format(
                family=family, word=tokens[1].shown(), names=names
            ) + v.suggestion(sub, subs)
        raise UsageError(message, usage=usage(family))

    return parse_family


def _digest(tokens: list[Token], ctx: v.Context) -> c.Command:
    rest: list[Token] = []
    sub: str | None = None
    for token in tokens:
        if sub is None and token.word is not None and not v.looks_like_channel(token.text):
            sub = token.word
        else:
            rest.append(token)
    if sub in DIGEST:
        return run(DIGEST[sub], rest, ctx)
    if sub is None:
        message = _("Say what to do: digest preview, digest now or digest schedule.")
    else:
        message = _("Unknown digest action `{word}` (use preview, now or schedule).").format(
            word=v.shown(sub)
        ) + v.suggestion(sub, DIGEST)
    raise UsageError(message, usage=usage("digest"))


_FAMILIES: dict[str, Callable[[list[Token], v.Context], c.Command]] = {
    "help": _help,
    "new": _single(NEW),
    "list": _single(LIST),
    "status": _single(STATUS),
    "stage": _single(STAGE),
    "committee": _keyed("committee", COMMITTEE),
    "checklist": _keyed("checklist", CHECKLIST, CHECKLIST_SHOW),
    "kpi": _keyed("kpi", KPI),
    "poll": _keyed("poll", POLL, POLL_OPEN),
    "vote": _single(VOTE),
    "decisions": _single(DECISIONS),
    "digest": _digest,
    "settings": _single(SETTINGS),
    "export": _single(EXPORT),
}
