"""Help: a usage line and examples for every command, an overview, all of it translatable."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import commands as c
from bot import i18n
from bot.errors import UsageError
from bot.help import ENTRIES, FAMILIES, GROUPS, help_message, usage, usage_line
from bot.messages import Header, Message, Paragraph, plain_text
from bot.parsing import parse

NOW = datetime(2026, 12, 11, 10, 30, tzinfo=ZoneInfo("Asia/Dubai"))

# The first word of every row of COMMANDS.md.
COMMAND_WORDS = {
    "help", "new", "list", "status", "stage", "committee", "checklist", "kpi", "poll",
    "vote", "decisions", "digest", "settings", "export", "home",
}  # fmt: skip

PRODUCES: dict[str, type[c.Command]] = {
    "help": c.Help,
    "new": c.NewPilot,
    "list": c.ListPilots,
    "status": c.Status,
    "stage": c.SetStage,
    "committee add": c.CommitteeAdd,
    "committee remove": c.CommitteeRemove,
    "checklist": c.ChecklistShow,
    "checklist add": c.ChecklistAdd,
    "checklist done": c.ChecklistDone,
    "checklist waive": c.ChecklistWaive,
    "checklist assign": c.ChecklistAssign,
    "checklist due": c.ChecklistDue,
    "kpi add": c.KpiAdd,
    "kpi record": c.KpiRecord,
    "poll": c.PollOpen,
    "poll close": c.PollClose,
    "poll cancel": c.PollCancel,
    "vote": c.CastVote,
    "decisions": c.Decisions,
    "export": c.Export,
    "digest": (c.DigestPreview, c.DigestNow),  # type: ignore[dict-item]
    "digest schedule": c.DigestSchedule,
    "settings": c.Settings,
    "home": c.Home,
}


class Shouting(gettext.NullTranslations):
    """A catalog that translates everything to upper case, to see what goes through _."""

    def gettext(self, message: str) -> str:
        # placeholders such as {topic} stay as they are, as a translator would keep them
        parts = re.split(r"(\{[^}]*\})", message)
        return "".join(part if part.startswith("{") else part.upper() for part in parts)


@pytest.fixture
def shouting() -> Iterator[None]:
    token = i18n._translation.set(Shouting())
    yield
    i18n._translation.reset(token)


def text_of(message: Message) -> str:
    parts = []
    for block in message.blocks:
        if isinstance(block, Header):
            parts.append(block.text)
        elif isinstance(block, Paragraph):
            parts.append(plain_text(block.spans))
    return "\n".join(parts)


def test_every_command_of_the_language_has_help() -> None:
    assert set(FAMILIES) == COMMAND_WORDS
    assert set(ENTRIES) == set(PRODUCES)


@pytest.mark.parametrize("topic", sorted(PRODUCES))
def test_each_example_runs_the_command_its_entry_describes(topic: str) -> None:
    entry = ENTRIES[topic]
    assert entry.examples, topic
    for example in entry.examples:
        assert isinstance(parse(example, now_local=NOW), PRODUCES[topic]), example
        assert example.split()[0] == entry.family


def test_usage_of_one_form_and_of_a_whole_command() -> None:
    assert usage("checklist done") == 'checklist <key> done <n> [evidence:<link or "text">]'
    assert usage("status") == "status <key>"
    assert usage("digest").splitlines() == [
        "digest [#channel] preview|now",
        "digest schedule [#channel] <weekday> <HH:MM> [tz:<IANA zone>]",
    ]
    assert usage_line("digest") == "digest [#channel] preview|now"
    assert len(usage("checklist").splitlines()) == 6
    with pytest.raises(KeyError):
        usage("frobnicate")


def test_the_overview_lists_every_command_grouped_privately() -> None:
    message = help_message(None)
    assert message.private
    shown = text_of(message)
    for group, entries in GROUPS:
        assert group in shown
        for entry in entries:
            assert entry.usage in shown
            assert entry.summary in shown
    assert shown.index("Pilots") < shown.index("new <key>") < shown.index("Checklist")
    assert "help checklist" in message.text


def test_a_command_topic_shows_every_form_with_examples() -> None:
    message = help_message("checklist")
    shown = text_of(message)
    assert message.private
    assert message.blocks[0] == Header(text="Help: checklist")
    for topic in ("checklist", "checklist add", "checklist done", "checklist due"):
        assert ENTRIES[topic].usage in shown
        for example in ENTRIES[topic].examples:
            assert example in shown
    assert "kpi <key>" not in shown


def test_a_subcommand_topic_shows_only_that_form() -> None:
    shown = text_of(help_message("checklist add"))
    assert ENTRIES["checklist add"].usage in shown
    assert ENTRIES["checklist done"].usage not in shown
    assert 'checklist churn add "Pen test report" due:+2w evidence' in shown


def test_an_unknown_topic_suggests_the_nearest() -> None:
    with pytest.raises(UsageError) as caught:
        help_message("chekclist")
    assert caught.value.message == (
        "There is no help on `chekclist`. Did you mean `checklist` or `checklist due`?"
    )
    assert caught.value.usage == "help [command]"


@pytest.mark.usefixtures("shouting")
def test_help_text_goes_through_the_translation() -> None:
    overview = help_message(None)
    assert overview.text == overview.text.upper()
    assert "GOLIVE COMMANDS" in overview.text
    topic = help_message("vote")
    assert "EXAMPLES:" in text_of(topic)
    assert "vote churn go" in text_of(topic)  # examples are commands, never translated


@pytest.mark.usefixtures("shouting")
def test_parser_errors_go_through_the_translation() -> None:
    with pytest.raises(UsageError) as caught:
        parse("status Churn", now_local=NOW)
    assert caught.value.message == "PILOT KEYS ARE LOWERCASE: `churn`, NOT `Churn`."
    assert caught.value.usage == "STATUS <KEY>"
