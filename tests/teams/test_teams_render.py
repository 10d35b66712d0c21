"""The Adaptive Card renderer, against the exact dicts it produces."""

from __future__ import annotations

import base64

from adapters.teams.render import attachment, escape, render_card, render_form
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
    TextInput,
    bold,
    italic,
    spans,
)

FULL: dict[str, object] = {"width": "Full"}


def card(*body: dict[str, object], msteams: dict[str, object] = FULL) -> dict[str, object]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": list(body), "msteams": msteams}


def block(text: str, **extra: object) -> dict[str, object]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def test_user_text_cannot_format_or_mention() -> None:
    assert escape("**x** _y_ [a](http://e) `c` \\") == (
        "\\*\\*x\\*\\* \\_y\\_ \\[a\\](http://e) \\`c\\` \\\\"
    )
    assert escape("<at>Sara</at>") == "<\u200bat>Sara<\u200b/at>"
    assert escape("- not a list\n1. nor this") == "\\- not a list\n1\\. nor this"
    assert escape("plain text, 3.5% up") == "plain text, 3.5% up"


def test_header_paragraph_styles_links_and_mentions() -> None:
    message = Message(
        text="fallback",
        blocks=[
            Header(text="Churn *model*"),
            Paragraph(
                spans=spans(
                    "Owner ",
                    Mention(user_id="29:amal", name="Amal"),
                    ": ",
                    bold("GO "),
                    italic("soon"),
                    " see ",
                    Link(url="https://wiki.example/churn (v2)", label="the [wiki]"),
                )
            ),
        ],
    )
    assert render_card(message) == card(
        block("Churn \\*model\\*", size="Large", weight="Bolder"),
        block(
            "Owner <at>Amal</at>: **GO** _soon_ see "
            "[the \\[wiki\\]](https://wiki.example/churn%20%28v2%29)"
        ),
        msteams={
            "width": "Full",
            "entities": [
                {
                    "type": "mention",
                    "text": "<at>Amal</at>",
                    "mentioned": {"id": "29:amal", "name": "Amal"},
                }
            ],
        },
    )


def test_fields_progress_table_context_and_divider() -> None:
    message = Message(
        text="status",
        blocks=[
            Fields(fields=[Field_(label="Stage", value=spans("pilot"))]),
            Divider(),
            Progress(label="Checklist", done=2, total=6),
            Table(columns=["Item", "Owner"], rows=[["Rollback", "Sara_K"]]),
            Context(spans=spans("Closes Fri")),
        ],
    )
    assert render_card(message) == card(
        {"type": "FactSet", "facts": [{"title": "Stage", "value": "pilot"}]},
        block("Checklist: 2/6 (33%)", separator=True),
        {
            "type": "Table",
            "columns": [{"width": 1}, {"width": 1}],
            "firstRowAsHeader": True,
            "rows": [
                {
                    "type": "TableRow",
                    "cells": [
                        {"type": "TableCell", "items": [block("Item", weight="Bolder")]},
                        {"type": "TableCell", "items": [block("Owner", weight="Bolder")]},
                    ],
                },
                {
                    "type": "TableRow",
                    "cells": [
                        {"type": "TableCell", "items": [block("Rollback")]},
                        {"type": "TableCell", "items": [block("Sara\\_K")]},
                    ],
                },
            ],
        },
        block("Closes Fri", isSubtle=True, size="Small"),
    )


def test_image_is_a_data_uri() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    message = Message(text="chart", blocks=[Image(png=png, alt="KPI chart")])
    assert render_card(message) == card(
        {
            "type": "Image",
            "url": "data:image/png;base64," + base64.b64encode(png).decode(),
            "altText": "KPI chart",
        }
    )


def test_only_web_and_mail_links_are_links() -> None:
    message = Message(
        text="x",
        blocks=[
            Paragraph(
                spans=[
                    Link(url="javascript:alert(1)", label="evidence"),
                    Link(url="mailto:sec@corp.example", label="security"),
                ]
            )
        ],
    )
    assert render_card(message)["body"] == [
        block("evidence (javascript:alert(1))[security](mailto:sec@corp.example)")
    ]


def test_message_without_blocks_shows_its_text() -> None:
    assert render_card(Message(text="Done <at>x</at>")) == card(
        block("Done <\u200bat>x<\u200b/at>")
    )


def execute(title: str, data: dict[str, str], style: str | None = None) -> dict[str, object]:
    styled = {"style": style} if style else {}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": "golive",
        "data": data,
        **styled,
        "fallback": {"type": "Action.Submit", "title": title, "data": data, **styled},
    }


def test_buttons_execute_with_submit_fallback_and_forms_show_cards() -> None:
    conditional = Form(
        name="vote-condition",
        title="Go with conditions",
        action=Draft.of(c.CastVote, key="churn", choice="conditional"),
        inputs=[TextInput(name="text", label="Condition", multiline=True)],
        submit_label="Vote",
    )
    snooze = Form(
        name="reminder-snooze",
        title="Snooze",
        action=Draft.of(c.ChecklistDue, key="churn", number=3),
        inputs=[
            DateInput(name="date", label="New due date", initial="2026-12-08"),
            ChoiceInput(
                name="why",
                label="Why",
                required=False,
                choices=[
                    Choice(value="busy", label="Busy"),
                    Choice(value="blocked", label="Blocked"),
                ],
            ),
        ],
    )
    go = c.CastVote(key="churn", choice="go")
    no_go = c.CastVote(key="churn", choice="no-go", text="too risky")
    message = Message(
        text="poll",
        blocks=[
            Actions(
                buttons=[
                    Button(label="Go", action=go, style="primary"),
                    Button(label="Go with conditions", form=conditional),
                    Button(label="No-go", action=no_go, style="danger"),
                ]
            ),
            Actions(buttons=[Button(label="Snooze", form=snooze)]),
        ],
    )
    assert render_card(message) == card(
        {
            "type": "ActionSet",
            "actions": [
                execute("Go", {"action": actions.encode(go)}, "positive"),
                {
                    "type": "Action.ShowCard",
                    "title": "Go with conditions",
                    "card": card(
                        {
                            "type": "Input.Text",
                            "id": "f1.text",
                            "label": "Condition",
                            "isRequired": True,
                            "errorMessage": "Condition",
                            "isMultiline": True,
                        }
                    )
                    | {
                        "actions": [
                            execute(
                                "Vote", {"action": actions.encode(conditional.action), "form": "f1"}
                            )
                        ]
                    },
                },
                execute("No-go", {"action": actions.encode(no_go)}, "destructive"),
            ],
        },
        {
            "type": "ActionSet",
            "actions": [
                {
                    "type": "Action.ShowCard",
                    "title": "Snooze",
                    "card": render_form(snooze, form_id="f3"),
                }
            ],
        },
    )
    assert render_form(snooze, form_id="f3") == card(
        {
            "type": "Input.Date",
            "id": "f3.date",
            "label": "New due date",
            "isRequired": True,
            "errorMessage": "New due date",
            "value": "2026-12-08",
        },
        {
            "type": "Input.ChoiceSet",
            "id": "f3.why",
            "label": "Why",
            "isRequired": False,
            "style": "expanded",
            "choices": [
                {"title": "Busy", "value": "busy"},
                {"title": "Blocked", "value": "blocked"},
            ],
        },
    ) | {"actions": [execute("Submit", {"action": actions.encode(snooze.action), "form": "f3"})]}


def test_attachment_wraps_the_card() -> None:
    content = render_card(Message(text="x"))
    assert attachment(content) == {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": content,
    }
