"""Platform-neutral messages and forms.

The core builds these; each adapter renders them (Block Kit, Adaptive Cards, plain text).
Text is kept as spans, never as markup strings, so renderers escape user text for their
platform and a pilot named ``<!channel>`` is shown, not sent.
"""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)

from bot.actions import Action, Draft


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- inline text -------------------------------------------------------------------------


class Text(_Model):
    """Plain user or bot text; ``bold``/``italic`` are the only styles the core knows."""

    type: Literal["text"] = "text"
    text: str
    bold: bool = False
    italic: bool = False


class Mention(_Model):
    """A mention of a known person, by the platform's own user id."""

    type: Literal["mention"] = "mention"
    user_id: str
    name: str


class Link(_Model):
    type: Literal["link"] = "link"
    url: str
    label: str


Span = Annotated[Text | Mention | Link, Field(discriminator="type")]
Spans = list[Span]


def spans(*parts: str | Text | Mention | Link) -> list[Span]:
    """Build a span list; bare strings become plain text."""
    return [Text(text=p) if isinstance(p, str) else p for p in parts]


def bold(text: str) -> Text:
    return Text(text=text, bold=True)


def italic(text: str) -> Text:
    return Text(text=text, italic=True)


def plain_text(parts: list[Span]) -> str:
    """The spans as unstyled text (console, notifications, fallbacks)."""
    out = []
    for part in parts:
        if isinstance(part, Mention):
            out.append(f"@{part.name}")
        elif isinstance(part, Link):
            out.append(f"{part.label} ({part.url})" if part.label != part.url else part.url)
        else:
            out.append(part.text)
    return "".join(out)


# --- actions and forms -------------------------------------------------------------------


class TextInput(_Model):
    type: Literal["text"] = "text"
    name: str
    label: str
    required: bool = True
    multiline: bool = False
    placeholder: str = ""
    initial: str = ""


class DateInput(_Model):
    type: Literal["date"] = "date"
    name: str
    label: str
    required: bool = True
    initial: str = ""  # ISO date


class Choice(_Model):
    value: str
    label: str


class ChoiceInput(_Model):
    type: Literal["choice"] = "choice"
    name: str
    label: str
    choices: list[Choice]
    required: bool = True
    initial: str = ""


Input = Annotated[TextInput | DateInput | ChoiceInput, Field(discriminator="type")]


class Form(_Model):
    """A modal or card form that completes a command: ``action`` holds the command's type
    and the fields known already, and each input is read as the command's option of the
    same name (``reason`` for a no-go vote's text, ``due`` as a date), then the whole is
    validated like a typed command (:func:`bot.parsing.complete`). A platform that opens
    the form only when its button is pressed asks the core for it again by ``name``
    (:mod:`bot.forms`)."""

    name: str
    title: str
    action: Draft
    inputs: list[Input]
    submit_label: str = "Submit"
    intro: list[Span] = Field(default_factory=list)


class Button(_Model):
    """A button. Pressing it runs ``action`` (a typed command), or opens ``form`` when the
    command needs more input first."""

    label: str
    action: Action | None = None
    form: Form | None = None
    style: Literal["primary", "danger"] | None = None

    @model_validator(mode="after")
    def _does_one_thing(self) -> Button:
        if (self.action is None) == (self.form is None):
            raise ValueError("a button runs an action or opens a form")
        return self


# --- blocks ------------------------------------------------------------------------------


class Header(_Model):
    type: Literal["header"] = "header"
    text: str


class Paragraph(_Model):
    type: Literal["paragraph"] = "paragraph"
    spans: list[Span]


class Field_(_Model):
    label: str
    value: list[Span]


class Fields(_Model):
    type: Literal["fields"] = "fields"
    fields: list[Field_]


class Progress(_Model):
    type: Literal["progress"] = "progress"
    label: str
    done: int
    total: int


class Table(_Model):
    type: Literal["table"] = "table"
    columns: list[str]
    rows: list[list[str]]


def _b64(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return base64.b64decode(value)
    raise ValueError("image data must be bytes or base64 text")


ImageBytes = Annotated[
    bytes,
    PlainValidator(_b64),
    PlainSerializer(lambda v: base64.b64encode(v).decode("ascii"), return_type=str),
]


class Image(_Model):
    type: Literal["image"] = "image"
    png: ImageBytes
    alt: str
    filename: str = "chart.png"


class Actions(_Model):
    type: Literal["actions"] = "actions"
    buttons: list[Button]


class Context(_Model):
    """Small print under a message: deadlines, secrecy notes, who did what."""

    type: Literal["context"] = "context"
    spans: list[Span]


class Divider(_Model):
    type: Literal["divider"] = "divider"


Block = Annotated[
    Header | Paragraph | Fields | Progress | Table | Image | Actions | Context | Divider,
    Field(discriminator="type"),
]


class Message(_Model):
    """What the core says. ``text`` is the one-line fallback for notifications."""

    text: str
    blocks: list[Block] = Field(default_factory=list)
    private: bool = False  # only for the caller: ephemeral in Slack, a reply in Teams
    refused: bool = False  # the command failed and changed nothing (forms show it inline)


def say(text: str, *, private: bool = True) -> Message:
    """A one-paragraph message, private to the caller by default."""
    return Message(text=text, blocks=[Paragraph(spans=spans(text))], private=private)
