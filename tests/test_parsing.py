"""The command language of COMMANDS.md: every command, option and error, read at a fixed
local time in zones away from UTC."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import commands as c
from bot.actions import Draft
from bot.errors import GoliveError, UsageError
from bot.help import GROUPS, usage, usage_line
from bot.parsing import SPECS, Reference, command_line, complete, parse, quote
from bot.parsing_text import BIDI_CONTROLS
from bot.parsing_tokens import Token, tokenize
from bot.pilots.models import KpiKind, Role, Stage

DUBAI = ZoneInfo("Asia/Dubai")
NEW_YORK = ZoneInfo("America/New_York")
# Friday 11 December 2026, 10:30 in Dubai (06:30 UTC).
NOW = datetime(2026, 12, 11, 10, 30, tzinfo=DUBAI)
FRI, SAT, THU = date(2026, 12, 18), date(2026, 12, 12), date(2026, 12, 17)


def p(text: str, now: datetime = NOW) -> c.Command:
    return parse(text, now_local=now)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def refused(text: str, now: datetime = NOW) -> UsageError:
    with pytest.raises(UsageError) as caught:
        parse(text, now_local=now)
    return caught.value


OK = [
    ("help", c.Help()),
    ("", c.Help()),
    ("   ", c.Help()),
    ("HELP", c.Help()),
    ("help checklist", c.Help(topic="checklist")),
    ("help Checklist Add", c.Help(topic="checklist add")),
    ("/golive status churn", c.Status(key="churn")),
    ('new churn "Churn model"', c.NewPilot(key="churn", name="Churn model")),
    ("new churn Churn", c.NewPilot(key="churn", name="Churn")),
    (
        'new churn "Churn" #ai-steering owner:@amal golive:fri',
        c.NewPilot(
            key="churn",
            name="Churn",
            owner="amal",
            channel=c.ChannelRef(id="ai-steering", name="ai-steering"),
            golive=FRI,
        ),
    ),
    ("list", c.ListPilots()),
    ("LIST Stage:Pilot MINE", c.ListPilots(stage=Stage.PILOT, mine=True)),
    ("status churn", c.Status(key="churn")),
    ("stage churn review", c.SetStage(key="churn", stage=Stage.REVIEW)),
    ("stage churn STOPPED", c.SetStage(key="churn", stage=Stage.STOPPED)),
    (
        "committee churn add @lee executive observer",
        c.CommitteeAdd(key="churn", person="lee", role=Role.EXECUTIVE, observer=True),
    ),
    (
        "committee churn add @a data_science",
        c.CommitteeAdd(key="churn", person="a", role=Role.DATA_SCIENCE),
    ),
    ("checklist churn", c.ChecklistShow(key="churn")),
    (
        'checklist churn add "Pen test" owner:@amal due:2026-12-20 blocking evidence',
        c.ChecklistAdd(
            key="churn",
            title="Pen test",
            owner="amal",
            due=date(2026, 12, 20),
            blocking=True,
            evidence=True,
        ),
    ),
    (
        'checklist churn add "Pen test" due:+3d',
        c.ChecklistAdd(key="churn", title="Pen test", due=date(2026, 12, 14)),
    ),
    ("checklist churn done 3", c.ChecklistDone(key="churn", number=3)),
    (
        "checklist churn done 3 evidence:https://wiki.example.com/x?a=1",
        c.ChecklistDone(key="churn", number=3, evidence="https://wiki.example.com/x?a=1"),
    ),
    (
        'checklist churn done 3 evidence:"signed, see the minutes"',
        c.ChecklistDone(key="churn", number=3, evidence="signed, see the minutes"),
    ),
    (
        "checklist churn done 3 https://x.example",
        c.ChecklistDone(key="churn", number=3, evidence="https://x.example"),
    ),
    (
        'checklist churn waive 6 reason:"too risky"',
        c.ChecklistWaive(key="churn", number=6, reason="too risky"),
    ),
    (
        'checklist churn waive 6 "phase 2"',
        c.ChecklistWaive(key="churn", number=6, reason="phase 2"),
    ),
    ("checklist churn assign 2 @amal", c.ChecklistAssign(key="churn", number=2, person="amal")),
    (
        "checklist churn due 2 2026-12-20",
        c.ChecklistDue(key="churn", number=2, due=date(2026, 12, 20)),
    ),
    (
        'checklist churn due 2 due:"2026-12-20"',
        c.ChecklistDue(key="churn", number=2, due=date(2026, 12, 20)),
    ),
    ("checklist churn due 2 +2w", c.ChecklistDue(key="churn", number=2, due=date(2026, 12, 25))),
    (
        'kpi churn add "Handling time" kind:time unit:min baseline:14 target:9.5 lower-is-better',
        c.KpiAdd(
            key="churn",
            name="Handling time",
            kind=KpiKind.TIME,
            unit="min",
            baseline=14,
            target=9.5,
            lower_is_better=True,
        ),
    ),
    (
        'kpi churn add Savings kind:COST unit:"k EUR" baseline:0 target:-.5',
        c.KpiAdd(
            key="churn", name="Savings", kind=KpiKind.COST, unit="k EUR", baseline=0, target=-0.5
        ),
    ),
    (
        'kpi churn record "Handling time" 11.5',
        c.KpiRecord(key="churn", name="Handling time", value=11.5),
    ),
    (
        'kpi churn record "Handling time" -2 at:2026-12-01',
        c.KpiRecord(key="churn", name="Handling time", value=-2, at=date(2026, 12, 1)),
    ),
    ("poll churn", c.PollOpen(key="churn")),
    (
        'poll churn closes:"2026-12-15 17:00" secret "Go live?"',
        c.PollOpen(key="churn", closes=utc(2026, 12, 15, 13), secret=True, question="Go live?"),
    ),
    (
        "poll churn closes:2026-12-15 17:30",
        c.PollOpen(key="churn", closes=utc(2026, 12, 15, 13, 30)),
    ),
    ("poll churn closes:2026-12-15", c.PollOpen(key="churn", closes=utc(2026, 12, 15, 13))),
    ("poll churn closes:+48h", c.PollOpen(key="churn", closes=utc(2026, 12, 13, 6, 30))),
    ("poll churn closes:+3d", c.PollOpen(key="churn", closes=utc(2026, 12, 14, 6, 30))),
    ("poll churn closes:tomorrow 09:00", c.PollOpen(key="churn", closes=utc(2026, 12, 12, 5))),
    (
        'poll churn question:"Ship it?" secret:yes',
        c.PollOpen(key="churn", secret=True, question="Ship it?"),
    ),
    ('poll churn "close"', c.PollOpen(key="churn", question="close")),
    ("poll churn close", c.PollClose(key="churn")),
    ("poll churn CANCEL", c.PollCancel(key="churn")),
    ("vote churn go", c.CastVote(key="churn", choice="go")),
    ("vote churn abstain", c.CastVote(key="churn", choice="abstain")),
    (
        'vote churn conditional "after review"',
        c.CastVote(key="churn", choice="conditional", text="after review"),
    ),
    (
        'vote churn conditional text:"after review"',
        c.CastVote(key="churn", choice="conditional", text="after review"),
    ),
    (
        'vote churn conditional condition:"after"',
        c.CastVote(key="churn", choice="conditional", text="after"),
    ),
    ('vote churn no-go "too risky"', c.CastVote(key="churn", choice="no-go", text="too risky")),
    (
        'vote churn nogo reason:"too risky"',
        c.CastVote(key="churn", choice="no-go", text="too risky"),
    ),
    ("vote churn NO_GO risky", c.CastVote(key="churn", choice="no-go", text="risky")),
    ("decisions churn", c.Decisions(key="churn")),
    ("digest preview", c.DigestPreview()),
    ("digest now", c.DigestNow()),
    ("digest #ai now", c.DigestNow(channel=c.ChannelRef(id="ai", name="ai"))),
    ("digest schedule mon 09:00", c.DigestSchedule(weekday=0, at=time(9))),
    ("settings", c.Settings()),
    (
        "settings tz:Europe/Berlin hours:09-17 weekend:fri-sat lang:en",
        c.Settings(
            timezone="Europe/Berlin", hours=(time(9), time(17)), weekend="fri-sat", language="en"
        ),
    ),
    ("settings hours:09:00-17:30", c.Settings(hours=(time(9), time(17, 30)))),
    (
        "settings weekend:Friday-Saturday language:pt_br",
        c.Settings(weekend="fri-sat", language="pt-BR"),
    ),
    ("settings timezone:UTC", c.Settings(timezone="UTC")),
    ("home", c.Home()),
    ("/golive HOME", c.Home()),
    ("export churn", c.Export(key="churn")),
    ("export churn JSON", c.Export(key="churn", format="json")),
    ("export churn format:csv", c.Export(key="churn", format="csv")),
]


@pytest.mark.parametrize(("text", "expected"), OK, ids=[t or "<empty>" for t, _ in OK])
def test_each_command_parses_to_its_typed_command(text: str, expected: c.Command) -> None:
    assert p(text) == expected


# --- people and channels the platform resolved ----------------------------------------------
# Each adapter passes them as references to spans of the text (Slack's and Teams' own
# markup is translated at their edge: tests/slack/test_slack_inbound.py and
# tests/teams/test_teams_inbound.py); typed @names and #names stay text.


def ref(text: str, shown: str, id: str, name: str | None = None) -> Reference:
    start = text.index(shown)
    return Reference(start, start + len(shown), id, name, channel=shown.startswith("#"))


def referenced(text: str, *picked: tuple[str, str, str | None]) -> c.Command:
    references = [ref(text, shown, id, name) for shown, id, name in picked]
    return parse(text, now_local=NOW, references=references)


def test_references_are_read_by_id_wherever_a_person_or_channel_goes() -> None:
    text = "new fraud-ai “Fraud triage” owner:@amal channel:#ai golive:2027-01-15"
    assert referenced(text, ("@amal", "U1", "amal"), ("#ai", "C9", "ai")) == c.NewPilot(
        key="fraud-ai",
        name="Fraud triage",
        owner="U1",
        channel=c.ChannelRef(id="C9", name="ai"),
        golive=date(2027, 1, 15),
    )
    assert referenced("new churn Churn channel:#C9", ("#C9", "C9", None)) == c.NewPilot(
        key="churn", name="Churn", channel=c.ChannelRef(id="C9")
    )
    assert referenced(
        "committee churn add @Sara Kim security", ("@Sara Kim", "29:1abc-def", "Sara Kim")
    ) == c.CommitteeAdd(key="churn", person="29:1abc-def", role=Role.SECURITY)
    assert referenced("checklist churn assign 2 to:@badr", ("@badr", "U2", "badr")) == (
        c.ChecklistAssign(key="churn", number=2, person="U2")
    )
    assert referenced("digest preview #ai", ("#ai", "C1", "ai")) == c.DigestPreview(
        channel=c.ChannelRef(id="C1", name="ai")
    )
    assert referenced(
        "digest schedule #ai Sunday 8:30 tz:asia/dubai", ("#ai", "C1", "ai")
    ) == c.DigestSchedule(
        channel=c.ChannelRef(id="C1", name="ai"), weekday=6, at=time(8, 30), timezone="Asia/Dubai"
    )


def test_typed_names_stay_names_and_references_elsewhere_are_their_text() -> None:
    # No reference: the console's handles, and what another issue will resolve by name.
    assert p("committee churn add @eve security").person == "eve"  # type: ignore[attr-defined]
    # In quotes, or where no person goes, a reference is only how it shows.
    text = 'checklist churn add "ask @badr"'
    added = parse(text, now_local=NOW, references=[ref(text, "@badr", "U2", "badr")])
    assert added == c.ChecklistAdd(key="churn", title="ask @badr")
    text = "checklist churn add Pen owner:@badr"
    added = parse(text, now_local=NOW, references=[ref(text, "@badr", "U2", "badr")])
    assert added == c.ChecklistAdd(key="churn", title="Pen", owner="U2")
    with pytest.raises(UsageError, match="Name a channel with #"):
        referenced("new churn Churn channel:@badr", ("@badr", "U2", "badr"))
    # An adapter's broken references (overlapping, outside the text) change nothing else.
    broken = [Reference(0, 99, "U9"), Reference(5, 3, "U8"), Reference(14, 18, "U2")]
    assert parse("status churn", now_local=NOW, references=broken) == c.Status(key="churn")


def test_every_help_example_is_a_valid_command() -> None:
    for _group, entries in GROUPS:
        for entry in entries:
            for example in entry.examples:
                assert isinstance(p(example), c.Command), example


# --- dates in the caller's zone --------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("today", date(2026, 12, 11)),
        ("tomorrow", SAT),
        ("fri", FRI),  # today is Friday: the next one, never today
        ("friday", FRI),
        ("sat", SAT),
        ("THU", THU),
        ("thurs", THU),
        ("+1d", SAT),
        ("+2w", date(2026, 12, 25)),
        ("2027-02-28", date(2027, 2, 28)),
    ],
)
def test_dates_are_read_relative_to_the_callers_day(word: str, expected: date) -> None:
    assert p(f"checklist churn due 1 {word}") == c.ChecklistDue(key="churn", number=1, due=expected)


def test_today_is_the_callers_local_day_not_the_utc_day() -> None:
    # 01:00 on Friday in Dubai is still Thursday in UTC.
    early = datetime(2026, 12, 11, 1, 0, tzinfo=DUBAI)
    assert p("checklist churn due 1 today", early).due == date(2026, 12, 11)  # type: ignore[attr-defined]
    # 23:30 on Thursday in New York is already Friday in UTC: "fri" is tomorrow.
    late = datetime(2026, 12, 10, 23, 30, tzinfo=NEW_YORK)
    assert p("checklist churn due 1 fri", late).due == date(2026, 12, 11)  # type: ignore[attr-defined]
    assert p("checklist churn due 1 thu", late).due == date(2026, 12, 17)  # type: ignore[attr-defined]


def test_deadlines_are_local_wall_clock_times_across_a_dst_change() -> None:
    friday = datetime(2027, 3, 12, 12, 0, tzinfo=NEW_YORK)  # EST; DST starts Sunday 14 March
    closes = p("poll churn closes:2027-03-15", friday).closes  # type: ignore[attr-defined]
    assert closes == utc(2027, 3, 15, 21)  # 17:00 EDT
    assert p("poll churn closes:2027-03-12", friday).closes == utc(2027, 3, 12, 22)  # type: ignore[attr-defined]
    # hours are elapsed time (71 wall-clock hours here); days keep the wall-clock time
    assert p("poll churn closes:+72h", friday).closes == utc(2027, 3, 15, 17)  # type: ignore[attr-defined]
    assert p("poll churn closes:+3d", friday).closes == utc(2027, 3, 15, 16)  # type: ignore[attr-defined]


def test_a_naive_now_is_read_as_utc() -> None:
    naive = datetime(2026, 12, 11, 10, 30)
    assert p("poll churn closes:+1h", naive).closes == utc(2026, 12, 11, 11, 30)  # type: ignore[attr-defined]


# --- errors: a specific message and the usage line of the command tried ----------------------

ERRORS = [
    ("frobnicate now", "Unknown command `frobnicate`.", None),
    ("chekclist churn", "Did you mean `checklist`", None),
    ("stauts churn", "Did you mean `status`?", None),
    ("checklist churn dne 3", "Unknown checklist action `dne`", "*checklist"),
    ("checklist churn dne 3", "Did you mean `done`", "*checklist"),
    ("checklist churn add", "Missing the title.", "checklist add"),
    ('checklist add "Pen test"', "Missing the pilot key before `add`.", "checklist add"),
    ("committee churn", "Say what to do after the pilot key: add, remove.", "*committee"),
    ("committee churn ad @a security", "Did you mean `add`?", "*committee"),
    ("kpi", "Missing the pilot key.", "*kpi"),
    ("poll churn clsoe", "Unknown word `clsoe`. Did you mean `close`?", "poll"),
    ("poll close", "Missing the pilot key before `close`.", "poll close"),
    ("poll churn close now", "Unexpected `now`.", "poll close"),
    ("status", "Missing the pilot key.", "status"),
    ("status Churn", "Pilot keys are lowercase: `churn`, not `Churn`.", "status"),
    ("status churn_model", "A pilot key uses only lowercase letters, digits and dashes", "status"),
    ("status c", "A pilot key has 2 to 40 characters: `c`.", "status"),
    ("status " + "a" * 41, "A pilot key has 2 to 40 characters", "status"),
    ("status churn extra", "Unexpected `extra`.", "status"),
    ('new churn "Churn', 'Missing closing quote after `"Churn`.', "new"),
    ('checklist churn add "Pen test', "Missing closing quote", "checklist add"),
    ("new churn Churn model", 'Put text with spaces in quotes: "Churn model"', "new"),
    ("new churn", "Missing the pilot name.", "new"),
    ('new churn ""', "The pilot name is empty.", "new"),
    ('new churn "x" golive:someday', "Not a date: `someday`", "new"),
    ('new churn "x" golive:2026-02-30', "There is no such day: `2026-02-30`.", "new"),
    ('new churn "x" golive:1900-01-01', "out of range", "new"),
    ('new churn "x" owner:amal', "Mention a person with @, like @amal, not `amal`.", "new"),
    ('new churn "x" owner:', "`owner:` needs a value.", "new"),
    ('new churn "x" ownr:@a', "Unknown option `ownr:`.", "new"),
    ('new churn "x" ownr:@a', "Did you mean `owner:`?", "new"),
    ('new churn "x" owner:@a owner:@b', "`owner` is given twice.", "new"),
    ('new churn "x" channel:general', "Name a channel with #", "new"),
    ("list stage:prod", "Unknown stage `prod`", "list"),
    ("list stage:prod", "Did you mean `production`?", "list"),
    ("stage churn", "Missing the stage.", "stage"),
    ("stage churn golive", "Unknown stage `golive`: use one of poc, pilot, review", "stage"),
    ("committee churn add amal security", "Mention a person with @", "committee add"),
    ("committee churn add @a", "Missing the role.", "committee add"),
    ("committee churn add @a secrity", "Did you mean `security`?", "committee add"),
    ("checklist churn done", "Missing the item number.", "checklist done"),
    (
        "checklist churn done 0",
        "The item number must be a positive whole number, like 3, not `0`.",
        "checklist done",
    ),
    ("checklist churn done -2", "positive whole number", "checklist done"),
    ("checklist churn done 2.5", "positive whole number", "checklist done"),
    ("checklist churn done 9999999", "The item number 9999999 is out of range.", "checklist done"),
    ("checklist churn waive 3", "Missing the reason.", "checklist waive"),
    ("checklist churn assign 3", "Missing the person (@name).", "checklist assign"),
    ("checklist churn due 3", "Missing the due date.", "checklist due"),
    ("checklist churn due 3 someday", "Not a date: `someday`", "checklist due"),
    ("checklist churn due 3 +0d", "`+0d` is out of range (1 to 3660).", "checklist due"),
    ("checklist churn due 3 +99999d", "out of range", "checklist due"),
    ('kpi churn add "x" unit:min baseline:1 target:2', "Missing the kind", "kpi add"),
    ('kpi churn add "x" kind:time baseline:1 target:2', "Missing the unit", "kpi add"),
    (
        'kpi churn add "x" kind:money unit:u baseline:1 target:2',
        "Unknown KPI kind `money`",
        "kpi add",
    ),
    (
        'kpi churn add "x" kind:cost unit:u baseline:lots target:2',
        "Not a number: `lots`",
        "kpi add",
    ),
    ('kpi churn record "x" 1,5', "Not a number: `1,5`", "kpi record"),
    ('kpi churn record "x" nan', "Not a number: `nan`", "kpi record"),
    ('kpi churn record "x" 1e99', "Not a number", "kpi record"),
    ('kpi churn record "x" 99999999999999999', "is out of range", "kpi record"),
    ('kpi churn record "x"', "Missing the value.", "kpi record"),
    ("poll churn closes:soon", "Not a deadline: `soon`", "poll"),
    ("poll churn closes:2026-12-15 25:00", "Not a deadline", "poll"),
    ("poll churn closes:+0h", "`+0h` is out of range", "poll"),
    ("poll churn secret:maybe", "Expected yes or no, not `maybe`.", "poll"),
    ("vote churn", "Missing the vote", "vote"),
    (
        "vote churn maybe",
        "Unknown vote `maybe`: use one of go, conditional, no-go, abstain.",
        "vote",
    ),
    ("vote churn conditional", "A conditional vote needs the condition", "vote"),
    ('vote churn conditional text:""', "The condition or reason is empty.", "vote"),
    ("vote churn no-go", "A no-go vote needs the reason", "vote"),
    ("vote churn no-go too risky", 'Put text with spaces in quotes: "too risky"', "vote"),
    ("digest", "Say what to do: digest preview, digest now or digest schedule.", "*digest"),
    ("digest previwe", "Did you mean `preview`?", "*digest"),
    ("digest schedule mon", "Missing the time (HH:MM).", "digest schedule"),
    ("digest schedule someday 09:00", "Not a weekday: `someday`", "digest schedule"),
    (
        "digest schedule mon 24:00",
        "The time `24:00` is out of range (00:00 to 23:59).",
        "digest schedule",
    ),
    ("digest schedule mon 9am", "Not a time: `9am`", "digest schedule"),
    ("digest schedule mon 09:00 tz:Mars/Base", "Unknown time zone `Mars/Base`", "digest schedule"),
    ("settings tz:Europe/Berlinn", "Did you mean `Europe/Berlin`", "settings"),
    ("settings hours:17-09", "Working hours must start before they end: `17-09`.", "settings"),
    ("settings hours:nine", "Not working hours: `nine`", "settings"),
    ("settings weekend:fri-sta", "Not a weekday: `sta`", "settings"),
    ("settings weekend:fri-sta", "Did you mean `sat`?", "settings"),
    ("settings lang:english!", "Not a language code", "settings"),
    ("settings Europe/Berlin", "Unexpected `Europe/Berlin`.", "settings"),
    ("settings zone:UTC", "Options here: tz:, hours:, weekend:, lang:.", "settings"),
    ("home churn", "Unexpected `churn`.", "home"),
    ("hme", "Unknown command `hme`. Did you mean `home`?", None),
    ("export churn xml", "Unknown format `xml`: use one of csv, json.", "export"),
    ("help chekclist", "There is no help on `chekclist`. Did you mean `checklist`", "help"),
    ("x" * 4001, "That command is too long (4001 characters; at most 4000).", None),
]


@pytest.mark.parametrize(("text", "message", "topic"), ERRORS, ids=[e[0][:50] for e in ERRORS])
def test_malformed_commands_get_a_specific_message_and_their_usage(
    text: str, message: str, topic: str | None
) -> None:
    error = refused(text)
    assert message in error.message
    if topic is None:
        assert error.usage is None
    elif topic.startswith("*"):  # a family-level error: every form of the command
        assert error.usage == usage(topic[1:])
    else:
        assert error.usage == usage_line(topic)


CHECKLIST_TOPICS = [f"checklist {sub}" for sub in ("add", "done", "waive", "assign", "due")]


def test_a_family_level_error_shows_every_form_of_that_command() -> None:
    error = refused("checklist churn dne 3")
    assert error.usage is not None
    assert error.usage.splitlines() == [usage_line(t) for t in ["checklist", *CHECKLIST_TOPICS]]


def test_a_subcommand_error_shows_only_that_subcommands_line() -> None:
    assert refused("checklist churn done x").usage == (
        'checklist <key> done <n> [evidence:<link or "text">]'
    )


# --- tokens and quoting ------------------------------------------------------------------------


def test_quotes_hold_spaces_and_escapes() -> None:
    assert tokenize(r'a "b c" “d e” x:"y \" \\ z" "C:\path"') == [
        Token("a"),
        Token("b c", quoted=True),
        Token("d e", quoted=True),
        Token('y " \\ z', quoted=True, option="x"),
        Token("C:\\path", quoted=True),
    ]


def test_quoted_text_is_never_an_option_or_a_flag() -> None:
    assert p('poll churn "secret"') == c.PollOpen(key="churn", question="secret")
    assert p('checklist churn add "due:fri"').title == "due:fri"  # type: ignore[attr-defined]


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=BIDI_CONTROLS),
    min_size=1,
    max_size=200,
).filter(lambda s: s.strip() == s and s != "")


@given(st.text())
def test_quote_round_trips_any_string(value: str) -> None:
    assert tokenize(quote(value)) == [Token(value, quoted=True)]


@given(printable)
def test_any_title_round_trips_through_quote(title: str) -> None:
    assert p(f"checklist churn add {quote(title)}").title == title  # type: ignore[attr-defined]
    assert p(f"new churn {quote(title)}").name == title  # type: ignore[attr-defined]


def submitted(draft: Draft, values: dict[str, str]) -> c.Command:
    """What a form runs; the line the console shows for it runs the same command."""
    completed = complete(draft, values, now_local=NOW)
    assert p(command_line(draft, values)) == completed
    return completed


@given(printable)
def test_form_submissions_round_trip(value: str) -> None:
    vote = submitted(Draft.of(c.CastVote, key="churn", choice="conditional"), {"text": value})
    assert vote == c.CastVote(key="churn", choice="conditional", text=value)
    waive = submitted(Draft.of(c.ChecklistWaive, key="churn", number=2), {"reason": value})
    assert waive == c.ChecklistWaive(key="churn", number=2, reason=value)
    done = submitted(Draft.of(c.ChecklistDone, key="churn", number=2), {"evidence": value})
    assert done == c.ChecklistDone(key="churn", number=2, evidence=value)


def test_forms_of_the_other_features_produce_parseable_commands() -> None:
    due = Draft.of(c.ChecklistDue, key="churn", number=3)
    assert submitted(due, {"due": "2026-12-20"}) == c.ChecklistDue(
        key="churn", number=3, due=date(2026, 12, 20)
    )
    no_go = Draft.of(c.CastVote, key="churn", choice="no-go")
    assert submitted(no_go, {"reason": "no rollback"}) == c.CastVote(
        key="churn", choice="no-go", text="no rollback"
    )
    done = Draft.of(c.ChecklistDone, key="churn", number=3)
    assert submitted(done, {"evidence": ""}) == c.ChecklistDone(key="churn", number=3)


def test_a_form_refuses_what_typing_it_would_refuse() -> None:
    def refusal(draft: Draft, values: dict[str, str]) -> UsageError:
        with pytest.raises(UsageError) as caught:
            complete(draft, values, now_local=NOW)
        return caught.value

    due = Draft.of(c.ChecklistDue, key="churn", number=3)
    bad_date = refusal(due, {"due": "2026-13-45"})
    assert bad_date.message == "There is no such day: `2026-13-45`."
    assert bad_date.usage == usage_line("checklist due")
    assert refusal(due, {"due": ""}).message == "Missing the due date."
    assert refusal(due, {"when": "tomorrow"}).message.startswith("Unknown option `when:`.")
    condition = Draft.of(c.CastVote, key="churn", choice="conditional")
    assert refusal(condition, {"text": " "}).message == "The condition or reason is empty."
    assert refusal(condition, {}).message.startswith("A conditional vote needs the condition")
    # A draft golive did not make: the same refusal as a forged button.
    forged = Draft(kind="ChecklistDue", fields={"key": "churn", "number": "three"})
    assert refusal(forged, {"due": "2026-12-20"}).message == (
        "That button is not golive's, or no longer works."
    )


EXAMPLES = [command for _text, command in OK if not isinstance(command, c.Help)]


@pytest.mark.parametrize("command", EXAMPLES, ids=[type(c).__name__ for c in EXAMPLES])
def test_a_command_written_out_parses_back_to_itself(command: c.Command) -> None:
    if isinstance(command, c.PollOpen) and command.closes is not None:
        return  # a deadline is written in UTC, and read in the caller's zone
    assert p(command_line(command)) == command


def test_every_command_but_help_has_its_spec() -> None:
    assert set(SPECS) | {c.Help} == set(c.Command.__subclasses__())


# --- hostile text and clocks: refused with a clear message, never an overflow ----------------

END_OF_TIME = datetime(9999, 12, 31, 22, 0, tzinfo=DUBAI)


@pytest.mark.parametrize(
    ("text", "now"),
    [
        ("checklist churn add Pen due:+2w", END_OF_TIME),  # overflowed: OverflowError
        ("checklist churn due 3 tomorrow", END_OF_TIME),
        ("checklist churn due 3 fri", END_OF_TIME),
        ("checklist churn due 3 today", datetime(1, 1, 1, tzinfo=UTC)),
        ("poll churn closes:+48h", END_OF_TIME),
        ("poll churn closes:+3d", datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("Etc/GMT+12"))),
        ("poll churn closes:+1h", datetime(1, 1, 1, 0, 0, tzinfo=DUBAI)),
        ("checklist churn due 3 +1d", datetime(2100, 12, 31, 12, 0, tzinfo=UTC)),
        ("checklist churn due 3 +520w", datetime(2099, 6, 1, 9, 0, tzinfo=UTC)),
        ('new churn "x" golive:1999-12-31', NOW),
        ('new churn "x" golive:2101-01-01', NOW),
        ("poll churn closes:2101-01-01", NOW),
        ('poll churn closes:"2101-01-01 09:00"', NOW),
    ],
)
def test_dates_outside_2000_to_2100_are_refused_by_name(text: str, now: datetime) -> None:
    error = refused(text, now)
    assert "is out of range (2000 to 2100)." in error.message
    assert error.usage is not None


def test_the_first_and_last_supported_days_are_accepted() -> None:
    assert p('new churn "x" golive:2000-01-01').golive == date(2000, 1, 1)  # type: ignore[attr-defined]
    assert p('new churn "x" golive:2100-12-31').golive == date(2100, 12, 31)  # type: ignore[attr-defined]
    late = datetime(2100, 12, 30, 9, 0, tzinfo=UTC)
    assert p("checklist churn due 3 tomorrow", late).due == date(2100, 12, 31)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('new churn "Churn\x00model"', "U+0000"),
        ('checklist churn add "Pen \x1b[31mtest\x1b[0m"', "U+001B"),  # an ANSI colour
        ('vote churn no-go "too \x9b2J risky"', "U+009B"),  # the C1 escape
        ("status churn\x07", "U+0007"),
        ('kpi churn add "Time\x7f" kind:time unit:min baseline:1 target:2', "U+007F"),
        ('new churn "two\nlines"', "U+000A"),  # a name is one line
        ('new churn "tab\tbed"', "U+0009"),
        ("committee churn add @am\x08al security", "U+0008"),
    ],
)
def test_control_characters_are_refused(text: str, found: str) -> None:
    error = refused(text)
    assert error.message == f"Control characters are not allowed (found {found})."


def test_free_text_keeps_tabs_and_line_breaks() -> None:
    vote = p('vote churn no-go "no rollback:\n- step one\tpending\r\n- step two"')
    assert vote.text == "no rollback:\n- step one\tpending\r\n- step two"  # type: ignore[attr-defined]


def test_a_form_refuses_control_characters_as_typing_would() -> None:
    draft = Draft.of(c.CastVote, key="churn", choice="no-go")
    with pytest.raises(UsageError) as caught:
        complete(draft, {"reason": "fine\x00"}, now_local=NOW)
    assert caught.value.message == "Control characters are not allowed (found U+0000)."
    assert caught.value.usage == usage_line("vote")


RLO, PDF, LRE, RLI, PDI = "\u202e", "\u202c", "\u202a", "\u2067", "\u2069"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'new churn "{RLO}lanif"', "The pilot name contains an invisible text-direction "
         "control (U+202E) that changes how it reads; remove it."),
        (f'new churn "{RLO}lanif{PDF}"', "The pilot name contains"),  # balanced, still reversed
        (f'new churn "{LRE}x"', "(U+202A)"),
        (f'new churn "{RLI}x"', "(U+2067)"),  # an isolate left open
        (f'new churn "x{PDI}"', "(U+2069)"),  # an isolate closed that was never opened
        (f'kpi churn add "{RLO}emit" kind:time unit:h baseline:1 target:2', "The KPI name"),
        (f'kpi churn add "Time" kind:time unit:{RLO}nim baseline:1 target:2', "The unit contains"),
        (f"status chu{RLO}rn", "The pilot key contains"),
        (f"committee churn add @{RLO}lama security", "The person's name contains"),
        (f'new churn "x" #{RLO}spo', "The channel name contains"),
    ],
)  # fmt: skip
def test_direction_controls_are_refused_in_names_and_keys(text: str, message: str) -> None:
    assert message in refused(text).message


def test_arabic_and_balanced_isolates_in_names_are_untouched() -> None:
    assert p('new churn "نموذج التسرب"').name == "نموذج التسرب"  # type: ignore[attr-defined]
    isolated = f"Churn {RLI}نموذج{PDI} v2"
    assert p(f'new churn "{isolated}"').name == isolated  # type: ignore[attr-defined]
    marked = "نموذج\u200f (v2)"  # a right-to-left mark is not an override
    assert p(f'kpi churn record "{marked}" 3').name == marked  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (f"approved {RLO}ton{PDF} yet", "approved ton yet"),  # overrides and embeddings go
        (f"{LRE}a{PDF}b", "ab"),
        (f"{RLI}سبب", f"{RLI}سبب{PDI}"),  # an open isolate is closed where its line ends
        (f"a{RLI}b\nc{PDI}d", f"a{RLI}b{PDI}\ncd"),  # a stray end is dropped
        (f"{RLI}{RLI}x{PDI}", f"{RLI}{RLI}x{PDI}{PDI}"),
        ("سبب واضح: لا يوجد تراجع", "سبب واضح: لا يوجد تراجع"),  # Arabic stays as typed
        (f"ok {RLI}مرحبا{PDI} ok", f"ok {RLI}مرحبا{PDI} ok"),
    ],
)
def test_free_text_has_direction_controls_neutralised(typed: str, stored: str) -> None:
    vote = p(f"vote churn no-go {quote(typed)}")
    assert vote.text == stored  # type: ignore[attr-defined]
    assert p(command_line(vote)) == vote  # neutralising twice changes nothing
    waive = complete(
        Draft.of(c.ChecklistWaive, key="churn", number=2), {"reason": typed}, now_local=NOW
    )
    assert waive.reason == stored  # type: ignore[attr-defined]


def test_invisible_characters_are_shown_visibly_in_error_messages() -> None:
    assert refused(f"sta{RLO}tus churn").message.startswith("Unknown command `sta<U+202E>tus`.")
    assert "`<U+202E>x`" in refused(f"help {RLO}x").message
    assert "`<U+2067>x`" in refused(f"stage churn {RLI}x").message


# As many direction controls and line breaks as anything else (a text strategy's alphabet
# would draw them once in hundreds of characters).
bidi_text = st.lists(
    st.one_of(
        st.sampled_from(BIDI_CONTROLS + "\n"),
        st.characters(blacklist_categories=("Cc", "Cs")),
    ),
    min_size=1,
    max_size=40,
).map("".join)


@given(bidi_text)
def test_any_free_text_is_stored_with_no_override_and_balanced_isolates(typed: str) -> None:
    try:
        vote = p(f"vote churn no-go {quote(typed)}")
    except UsageError:
        return  # empty once trimmed
    stored: str = vote.text  # type: ignore[attr-defined]
    assert not any(ch in "\u202a\u202b\u202c\u202d\u202e" for ch in stored)
    depth = 0
    for ch in stored + "\n":  # each line closes what it opens
        depth += 1 if ch in "\u2066\u2067\u2068" else -1 if ch == PDI else 0
        assert depth >= 0
        assert ch != "\n" or depth == 0
    assert p(command_line(vote)) == vote


# --- no input makes the parser fail in any other way -------------------------------------------

VOCABULARY = sorted(
    {word for _g, entries in GROUPS for e in entries for ex in e.examples for word in ex.split()}
    | {'"', "“", "”", "„", "\\", ":", "#", "@", "<", ">", "|", "+", "-", "0", "-1", "24:00"}
    | {"9999-12-31", "0001-01-01", "+999999h", "1999-12-31", "2101-01-01", "+520w", "+8784h"}
    | {"\x1b[31m", "\u202e", "\u2067", "\u2069", "\x85", "\t", "\n", "عربي"}
    | {"closes:", "tz:", "hours:", "weekend:", "nan", "inf", "٣", "\u00a0", "\x00", ""}
)
command_like = st.lists(
    st.one_of(
        st.sampled_from(VOCABULARY), st.text(string.printable, max_size=6), st.text(max_size=4)
    ),
    max_size=9,
).map(" ".join)


ZONES = [UTC, DUBAI, NEW_YORK, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")]
# The supported years, and the very ends of Python's calendar (a server clock gone wrong, a
# console `:clock` before it was bounded): the parser must refuse there, never overflow.
clocks = st.one_of(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31, 23, 59),
        timezones=st.sampled_from(ZONES),
    ),
    st.builds(
        datetime.combine,
        st.sampled_from(
            [date.min, date(1, 1, 2), date(1999, 12, 31), date(2101, 1, 1), date(9999, 12, 30),
             date.max]
        ),
        st.sampled_from([time.min, time(12), time.max]),
        st.sampled_from([*ZONES, None]),
    ),
)  # fmt: skip


DATE_WORDS = ["today", "tomorrow", "fri", "+1d", "+2w", "+3660d", "+520w", "+48h", "+8784h"]
dated_like = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(
            ["checklist churn due 3 ", 'checklist churn add "x" due:', "poll churn closes:",
             'new churn "x" golive:', 'kpi churn record "x" 3 at:', "poll churn closes:+1d "]
        ),
        st.one_of(st.sampled_from([*DATE_WORDS, "2100-12-31", "2000-01-01 09:00"]), st.text()),
    ),
)  # fmt: skip


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), command_like, dated_like), clocks)
def test_any_text_gives_a_command_or_a_usage_error(text: str, clock: datetime) -> None:
    for now in (NOW, datetime(2026, 3, 8, 1, 59, tzinfo=NEW_YORK), clock):
        try:
            assert isinstance(parse(text, now_local=now), c.Command)
        except GoliveError as error:  # UsageError, or any refusal the core can show
            assert error.message


references = st.lists(
    st.builds(
        Reference,
        start=st.integers(-2, 60),
        end=st.integers(-2, 60),
        id=st.text(max_size=4),
        name=st.none() | st.text(max_size=4),
        channel=st.booleans(),
    ),
    max_size=4,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(command_like, references)
def test_any_references_give_a_command_or_a_usage_error(text: str, refs: list[Reference]) -> None:
    try:
        assert isinstance(parse(text, now_local=NOW, references=refs), c.Command)
    except UsageError as error:
        assert error.message
