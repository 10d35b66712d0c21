"""The Block Kit renderer, on the exact dicts it produces."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import ActionsBlock
from slack_sdk.models.views import View

from adapters.slack import forms, render
from bot import actions
from bot import commands as c
from bot.actions import Draft
from bot.messages import (
    Actions,
    Button,
    Choice,
    ChoiceInput,
    Context,
    DateInput,
    Divider,
    Field_,
    Fields,
    Form,
    Header,
    Image,
    Link,
    Mention,
    Message,
    Paragraph,
    Progress,
    Table,
    Text,
    TextInput,
    bold,
    italic,
    spans,
)

NASTY = "<!channel> <@U123> & co"
ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &amp; co"


def section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_user_text_is_escaped_and_styles_are_kept() -> None:
    parts = spans(
        "Item ", bold(NASTY), " ", italic(" late "), Text(text="x", bold=True, italic=True)
    )
    assert render.mrkdwn(parts) == f"Item *{ESCAPED}*  _late_ _*x*_"


def test_mentions_come_only_from_ids() -> None:
    assert render.mrkdwn([Mention(user_id="U123ABC", name="Amal")]) == "<@U123ABC>"
    # A console handle or anything not shaped like a Slack id is shown as text.
    assert render.mrkdwn([Mention(user_id="<!here>", name="<!here>")]) == "@&lt;!here&gt;"


def test_links_are_escaped_and_only_web_links_are_linked() -> None:
    link = Link(url="https://x.example/a?b=1&c=2", label="<b> & co")
    assert render.mrkdwn([link]) == "<https://x.example/a?b=1&amp;c=2|&lt;b&gt; &amp; co>"
    bad = Link(url="javascript:alert(1)", label="click")
    assert render.mrkdwn([bad]) == "click (javascript:alert(1))"


def test_unescape_reverses_what_slack_sends() -> None:
    assert render.unescape(ESCAPED) == NASTY
    assert render.unescape(render.escape("&amp; is < and >")) == "&amp; is < and >"


def test_every_block_type() -> None:
    message = Message(
        text=f"Pilot {NASTY}",
        blocks=[
            Header(text=NASTY),
            Paragraph(spans=spans("Owner ", Mention(user_id="U1", name="Amal"))),
            Fields(fields=[Field_(label="Stage & co", value=spans(NASTY))]),
            Progress(label="Checklist", done=3, total=6),
            Table(columns=["#", "Title"], rows=[["1", NASTY], ["2", "a`b"]]),
            Image(png=b"\x89PNG", alt="KPI <trend>"),
            Context(spans=spans(NASTY)),
            Divider(),
        ],
    )
    assert render.render_message(message) == {
        "text": f"Pilot {ESCAPED}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": NASTY}},
            section("Owner <@U1>"),
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": f"*Stage &amp; co*\n{ESCAPED}"}],
            },
            section("*Checklist*  ▓▓▓▓▓░░░░░  3/6"),
            section(f"```\n#  Title\n1  {ESCAPED}\n2  a'b\n```"),
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Chart: KPI &lt;trend&gt;"}],
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": ESCAPED}]},
            {"type": "divider"},
        ],
    }


def test_more_than_ten_fields_split_into_sections() -> None:
    fields = Fields(fields=[Field_(label=str(i), value=spans("v")) for i in range(12)])
    rendered = render.render_blocks([fields])
    assert [len(b["fields"]) for b in rendered] == [10, 2]


def test_buttons_carry_their_command_with_unique_action_ids() -> None:
    vote_form = Form(
        name="vote-condition",
        title="Go with conditions",
        action=Draft.of(c.CastVote, key="churn", choice="conditional"),
        inputs=[TextInput(name="condition", label="Condition")],
    )
    go = c.CastVote(key="churn", choice="go")
    abstain = c.CastVote(key="churn", choice="abstain")
    blocks = [
        Actions(buttons=[Button(label="Go", action=go, style="primary")]),
        Actions(
            buttons=[
                Button(label="Conditions", form=vote_form),
                Button(label="Abstain", action=abstain, style="danger"),
            ]
        ),
    ]
    rendered = render.render_blocks(blocks)
    assert rendered[0] == {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Go"},
                "action_id": "golive:1",
                "value": '{"v":1,"c":"CastVote","a":{"key":"churn","choice":"go"}}',
                "style": "primary",
            }
        ],
    }
    form_button, nogo = rendered[1]["elements"]
    # A form button carries its draft and the form's name, never the form.
    assert form_button["action_id"] == "golive:form:2"
    assert form_button["value"] == (
        '{"v":1,"c":"CastVote","a":{"key":"churn","choice":"conditional"},"f":"vote-condition"}'
    )
    assert actions.decode_draft(form_button["value"]) == (vote_form.action, "vote-condition")
    assert nogo["action_id"] == "golive:3"
    assert actions.decode(nogo["value"]) == abstain
    for block in rendered:
        ActionsBlock(**block).validate_json()


def test_form_becomes_a_modal_with_each_input_kind() -> None:
    form = Form(
        name="reminder-snooze",
        title="Snooze item 3 of a very long pilot name",
        action=Draft.of(c.ChecklistDue, key="churn", number=3),
        intro=spans("Item ", bold(NASTY)),
        inputs=[
            DateInput(name="date", label="New due date", initial="2026-12-15"),
            ChoiceInput(
                name="role",
                label="Role",
                choices=[
                    Choice(value="security", label="Security"),
                    Choice(value="legal", label="Legal"),
                ],
                initial="legal",
            ),
            TextInput(
                name="note", label="Note", required=False, multiline=True, placeholder="Why?"
            ),
        ],
    )
    view = forms.render_form(form, metadata=forms.form_metadata(form, {"channel": "C1"}))
    assert view == {
        "type": "modal",
        "callback_id": "golive:form",
        "title": {"type": "plain_text", "text": "Snooze item 3 of a very…"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": (
            '{"action":"{\\"v\\":1,\\"c\\":\\"ChecklistDue\\",'
            '\\"a\\":{\\"key\\":\\"churn\\",\\"number\\":3}}","channel":"C1"}'
        ),
        "blocks": [
            section(f"Item *{ESCAPED}*"),
            {
                "type": "input",
                "block_id": "date",
                "label": {"type": "plain_text", "text": "New due date"},
                "optional": False,
                "element": {
                    "type": "datepicker",
                    "action_id": "value",
                    "initial_date": "2026-12-15",
                },
            },
            {
                "type": "input",
                "block_id": "role",
                "label": {"type": "plain_text", "text": "Role"},
                "optional": False,
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Security"}, "value": "security"},
                        {"text": {"type": "plain_text", "text": "Legal"}, "value": "legal"},
                    ],
                    "initial_option": {
                        "text": {"type": "plain_text", "text": "Legal"},
                        "value": "legal",
                    },
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": "Note"},
                "optional": True,
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "placeholder": {"type": "plain_text", "text": "Why?"},
                },
            },
        ],
    }
    assert len(view["title"]["text"]) <= 24
    assert actions.decode_draft(json.loads(view["private_metadata"])["action"]) == (
        form.action,
        None,
    )
    View(**view).validate_json()


def test_submitted_values_read_each_element_kind() -> None:
    state = {
        "date": {"value": {"type": "datepicker", "selected_date": "2026-12-15"}},
        "role": {"value": {"type": "static_select", "selected_option": {"value": "legal"}}},
        "note": {"value": {"type": "plain_text_input", "value": NASTY}},
        "empty": {"value": {"type": "plain_text_input", "value": None}},
    }
    assert forms.submitted_values(state) == {
        "date": "2026-12-15",
        "role": "legal",
        "note": NASTY,
        "empty": "",
    }


def test_message_without_blocks_has_only_text() -> None:
    assert render.render_message(Message(text="a < b")) == {"text": "a &lt; b"}
