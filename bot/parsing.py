"""Text a person typed -> typed command, or a UsageError with a specific message and the
usage line of the command the caller tried. The language is COMMANDS.md; tokens are in
parsing_tokens, values in parsing_values and parsing_time, the binding of tokens to
parameters in parsing_grammar. Text is parsed only where a person typed it: buttons carry
typed commands (:mod:`bot.actions`), and a form's inputs are read one by one as the options
of the command its draft names (:func:`complete`).

People and channels. The core knows people by their platform's user id and channels by
their conversation id. What a person picked in their client (a Slack ``<@U123|amal>``, a
Teams ``<at>Sara</at>`` mention, a Slack ``<#C9|ai>``) is resolved by the platform, so each
adapter passes it alongside the text as a :class:`Reference`: the span of the text that
shows it (the adapter writes it as ``@amal`` or ``#ai``), the id and the name. A token that
is exactly one reference is read by id wherever a person or channel is expected, and as
its text anywhere else. No platform's markup reaches the parser. Typed text is never taken
for a reference: ``@eve`` typed names the person ``eve`` (the console's handles are user
ids), ``#ops`` the channel ``ops``.

Every parameter of every command may also be given as an option named after it, for
example ``vote churn conditional text:"after the review"`` (``reason:`` and
``condition:`` too), ``checklist churn done 3 evidence:"https://x"``,
``checklist churn due 3 due:"2026-12-20"`` and ``poll churn question:"Go?" secret:yes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any

from pydantic import ValidationError

from bot import commands as c
from bot import parsing_grammar as grammar
from bot import parsing_time as t
from bot import parsing_values as v
from bot.actions import Draft, refusal
from bot.errors import UsageError
from bot.help import ENTRIES, N_, TOPICS, usage
from bot.i18n import _
from bot.parsing_grammar import Param, Reader, Spec, run
from bot.parsing_text import FREE_TEXT_BREAKS, refuse_controls
from bot.parsing_tokens import Reference, Token, quote, tokenize
from bot.pilots.models import KpiKind, Role, Stage

__all__ = ["Reference", "command_line", "complete", "parse", "quote"]

MAX_LENGTH = 4000  # far above any real command; bounds the work one line can cause

# --- parameters shared by many commands ---------------------------------------------------

KEY = Param("key", v.key, N_("the pilot key"), required=True)
NUMBER = Param("number", v.item_number, N_("the item number"), required=True, aliases=("n",))
PERSON = Param("person", v.person, N_("the person (@name)"), required=True, is_person=True)
CHANNEL = Param("channel", v.channel, N_("the channel"), positional=False, is_channel=True)
OWNER = Param("owner", v.person, N_("the owner"), positional=False, is_person=True)


def _text(name: str, limit: int, what: str, missing: str, **kwargs: Any) -> Param:
    return Param(name, v.text_of(limit, what), missing, free_text=True, **kwargs)


def _name(name: str, limit: int, what: str, missing: str, **kwargs: Any) -> Param:
    return Param(name, v.name_of(limit, what), missing, free_text=True, **kwargs)


def _flag(name: str, *aliases: str) -> Param:
    return Param(name, v.flag, name, positional=False, is_flag=True, aliases=aliases)


def _option(name: str, read: Reader, what: str, **kwargs: Any) -> Param:
    return Param(name, read, what, positional=False, **kwargs)


def _spec(topic: str, kind: type[c.Command], *params: Param, **kw: Any) -> Spec:
    return Spec(topic=topic, kind=kind, params=(KEY, *params), **kw)


# --- the commands ---------------------------------------------------------------------------

NEW = _spec(
    "new",
    c.NewPilot,
    _name("name", 200, N_("pilot name"), N_("the pilot name"), required=True),
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
        Param("evidence", v.text_of(2000, N_("evidence")), N_("the evidence"), free_text=True),
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
        Param(
            "person",
            v.person,
            N_("the person (@name)"),
            True,
            is_person=True,
            aliases=("owner", "to"),
        ),
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
        _name("name", 200, N_("KPI name"), N_("the KPI name"), required=True),
        _option(
            "kind",
            v.choice(KpiKind, N_("KPI kind")),
            N_("the kind (kind:cost, time, revenue or risk)"),
            required=True,
        ),
        _option("unit", v.name_of(32, N_("unit")), N_("the unit (unit:<unit>)"), required=True),
        _option("baseline", v.number, N_("the baseline (baseline:<n>)"), required=True),
        _option("target", v.number, N_("the target (target:<n>)"), required=True),
        _flag("lower-is-better", "lower"),
    ),
    "record": _spec(
        "kpi record",
        c.KpiRecord,
        _name("name", 200, N_("KPI name"), N_("the KPI name"), required=True),
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


def _vote(values: dict[str, Any]) -> None:
    choice, text = values.get("choice"), values.get("text")
    if choice == "conditional" and not text:
        raise UsageError(_('A conditional vote needs the condition, in quotes: "<condition>".'))
    if choice == "no-go" and not text:
        raise UsageError(_('A no-go vote needs the reason, in quotes: "<reason>".'))


VOTE = _spec(
    "vote",
    c.CastVote,
    Param("choice", v.WordReader(CHOICES, N_("vote")), N_("the vote"), required=True),
    _text(
        "text",
        2000,
        N_("condition or reason"),
        N_("the condition or reason"),
        aliases=("reason", "condition"),
    ),
    check=_vote,
)
_SCHEDULE_PARAMS = (
    CHANNEL,
    Param("weekday", t.weekday, N_("the weekday"), required=True, aliases=("day",)),
    Param("at", t.clock_time, N_("the time (HH:MM)"), required=True, aliases=("time",)),
    _option("tz", t.timezone, N_("the time zone"), field="timezone", aliases=("timezone",)),
)


def _plain(topic: str, kind: type[c.Command], *params: Param, **kw: Any) -> Spec:
    return Spec(topic=topic, kind=kind, params=params, **kw)


DIGEST = {
    "preview": _plain("digest", c.DigestPreview, CHANNEL, words="digest preview"),
    "now": _plain("digest", c.DigestNow, CHANNEL, words="digest now"),
    "schedule": _plain("digest schedule", c.DigestSchedule, *_SCHEDULE_PARAMS),
}
LIST = _plain(
    "list",
    c.ListPilots,
    _option("stage", v.choice(Stage, N_("stage")), N_("the stage")),
    _flag("mine"),
)
HOME = _plain("home", c.Home)
SETTINGS = _plain(
    "settings",
    c.Settings,
    _option("tz", t.timezone, N_("the time zone"), field="timezone", aliases=("timezone",)),
    _option("hours", t.hours, N_("working hours")),
    _option("weekend", t.weekend, N_("the weekend")),
    _option("lang", v.language, N_("the language"), field="language", aliases=("language",)),
)

SPECS: dict[type[c.Command], Spec] = {
    spec.kind: spec
    for spec in (
        NEW,
        LIST,
        STATUS,
        STAGE,
        *COMMITTEE.values(),
        CHECKLIST_SHOW,
        *CHECKLIST.values(),
        *KPI.values(),
        POLL_OPEN,
        *POLL.values(),
        VOTE,
        DECISIONS,
        *DIGEST.values(),
        SETTINGS,
        HOME,
        EXPORT,
    )
}
"""Every command but help, by type: how a form completes it and how it is written out."""

# --- entry points ---------------------------------------------------------------------------


def parse(text: str, *, now_local: datetime, references: Sequence[Reference] = ()) -> c.Command:
    """Parse one line of the command language as a person typed it, reading dates in
    ``now_local``'s zone and the people and channels of ``references`` by id."""
    if len(text) > MAX_LENGTH:
        raise UsageError(
            _("That command is too long ({length} characters; at most {limit}).").format(
                length=len(text), limit=MAX_LENGTH
            )
        )
    try:
        refuse_controls(text, allowed=FREE_TEXT_BREAKS)
        tokens = tokenize(text, references)
    except UsageError as error:
        raise UsageError(error.message, usage=_usage_guess(text)) from None
    if tokens and tokens[0].word in ("/golive", "@golive"):
        tokens = tokens[1:]
    if not tokens:
        return c.Help()
    ctx = _context(now_local)
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


def complete(draft: Draft, values: Mapping[str, str], *, now_local: datetime) -> c.Command:
    """The command a submitted form runs: its draft's fields, and each value typed into
    the form read as the option of the input's name (``due`` as a date in ``now_local``'s
    zone); an empty value counts as not given."""
    spec = SPECS.get(draft.command)
    if spec is None:
        raise refusal()
    try:
        return grammar.complete(spec, draft.fields, values, _context(now_local))
    except ValidationError:  # the draft's own fields: not a form golive made
        raise refusal() from None


def command_line(action: c.Command | Draft, values: Mapping[str, str] | None = None) -> str:
    """The line a person would type to run ``action`` (for a form's draft, with the
    ``values`` typed into the form as options): what the console shows a click runs."""
    if isinstance(action, Draft):
        kind, fields = action.command, dict(action.fields)
    else:
        kind = type(action)
        fields = {name: getattr(action, name) for name in action.model_dump(exclude_defaults=True)}
    spec = SPECS.get(kind)
    if spec is None:  # help
        parts = ["help", *(str(value) for value in fields.values())]
    else:
        parts = _written(spec, fields)
    parts.extend(f"{name}:{quote(value)}" for name, value in (values or {}).items() if value)
    return " ".join(parts)


def _written(spec: Spec, fields: dict[str, Any]) -> list[str]:
    words = (spec.words or spec.topic).split()
    keyed = bool(spec.params) and spec.params[0] is KEY
    parts = [words[0], str(fields.get("key", "")), *words[1:]] if keyed else words
    in_order = True
    for param in spec.params[1:] if keyed else spec.params:
        value = fields.get(param.target)
        if value is None or value is False:
            in_order = in_order and not param.positional
            continue
        if param.is_flag:
            parts.append(param.name)
            continue
        text = _written_value(param, value)
        parts.append(text if param.positional and in_order else f"{param.name}:{text}")
    return parts


def _written_value(param: Param, value: Any) -> str:
    if param.is_person:
        return f"@{value}"
    if isinstance(value, c.ChannelRef):
        return f"#{value.name or value.id}"
    if param.read is t.weekday and isinstance(value, int):
        return t.WEEKDAYS[value]
    if isinstance(value, tuple):  # working hours
        return "-".join(_written_value(param, part) for part in value)
    if isinstance(value, datetime):
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, time):
        text = value.strftime("%H:%M")
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)  # dates as ISO, enums as their value
    if param.free_text or not text or any(ch.isspace() or ch in '\\"“”„' for ch in text):
        return quote(text)
    return text


def _context(now_local: datetime) -> v.Context:
    if now_local.tzinfo is None:  # a naive time is read as UTC, never as the server's zone
        now_local = now_local.replace(tzinfo=UTC)
    return v.Context(now_local=now_local)


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
    "home": _single(HOME),
    "export": _single(EXPORT),
}
