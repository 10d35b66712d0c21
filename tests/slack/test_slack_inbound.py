"""Slack's markup translated at the edge: mentions and channels the client resolved become
neutral references, links their address, and escaped text what the person typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from adapters.slack.inbound import to_typed
from bot import commands as c
from bot.errors import UsageError
from bot.parsing import Reference, parse
from bot.pilots.models import Role

NOW = datetime(2026, 12, 11, 6, 30, tzinfo=UTC)

AS_SLACK_SENDS = [
    (
        "new fraud-ai “Fraud triage” owner:<@U1|amal> channel:<#C9|ai> golive:2027-01-15",
        c.NewPilot(
            key="fraud-ai",
            name="Fraud triage",
            owner="U1",
            channel=c.ChannelRef(id="C9", name="ai"),
            golive=date(2027, 1, 15),
        ),
    ),
    (
        "new churn Churn channel:<#C9>",
        c.NewPilot(key="churn", name="Churn", channel=c.ChannelRef(id="C9")),
    ),
    (
        "committee churn add <@U2> data-science",
        c.CommitteeAdd(key="churn", person="U2", role=Role.DATA_SCIENCE),
    ),
    ("committee churn remove <@U2|badr>", c.CommitteeRemove(key="churn", person="U2")),
    (
        "checklist churn done 3 evidence:<https://x.example/a|x.example/a>",
        c.ChecklistDone(key="churn", number=3, evidence="https://x.example/a"),
    ),
    (
        "checklist churn done 3 <https://x.example/a?b=1&amp;c=2>",
        c.ChecklistDone(key="churn", number=3, evidence="https://x.example/a?b=1&c=2"),
    ),
    ("digest preview <#C1|ai>", c.DigestPreview(channel=c.ChannelRef(id="C1", name="ai"))),
    (
        "digest schedule <#C1|ai> Sunday 8:30 tz:asia/dubai",
        c.DigestSchedule(
            channel=c.ChannelRef(id="C1", name="ai"),
            weekday=6,
            at=time(8, 30),
            timezone="Asia/Dubai",
        ),
    ),
    (
        'checklist churn add "&lt;!channel&gt; &lt;@U123&gt; &amp; co" owner:<@U2|badr>',
        c.ChecklistAdd(key="churn", title="<!channel> <@U123> & co", owner="U2"),
    ),
    (
        "committee churn add @eve security",
        c.CommitteeAdd(key="churn", person="eve", role=Role.SECURITY),
    ),
]


@pytest.mark.parametrize(("text", "expected"), AS_SLACK_SENDS, ids=[t for t, _ in AS_SLACK_SENDS])
def test_what_slack_sends_parses_to_the_typed_command(text: str, expected: c.Command) -> None:
    typed, references = to_typed(text)
    assert parse(typed, now_local=NOW, references=references) == expected


def test_mentions_become_references_shown_by_name() -> None:
    assert to_typed("committee churn add <@U2|badr> security") == (
        "committee churn add @badr security",
        [Reference(20, 25, "U2", "badr")],
    )
    assert to_typed("x &lt;@U9&gt; <@W1> <#C1|ai-steering> &amp;") == (
        "x <@U9> @W1 #ai-steering &",
        [Reference(8, 11, "W1"), Reference(12, 24, "C1", "ai-steering", channel=True)],
    )


def test_a_mention_typed_as_text_is_never_a_person() -> None:
    """Slack escapes what was typed: ``&lt;@U1&gt;`` is text, not Amal."""
    typed, references = to_typed("committee churn add &lt;@U1&gt; security")
    assert references == []
    with pytest.raises(UsageError, match="Mention a person with @"):
        parse(typed, now_local=NOW, references=references)
