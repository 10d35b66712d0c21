"""Typed actions: what buttons and forms carry instead of command text.

A button runs a command (:mod:`bot.commands`). On a platform it travels as a short,
versioned JSON payload, ``{"v":1,"c":"CastVote","a":{"key":"churn","choice":"go"}}``, and
what comes back is validated by the command's own class: an unknown version or type, or
fields the class refuses, is a :class:`UsageError` (a clear refusal, never a crash). A
forged payload can ask for no more than its sender could type; the handlers decide.

A form completes a :class:`Draft`: the command's type and the fields known when the form
was offered (a checklist item's key and number); the values a person types into its inputs
fill the rest (:func:`bot.parsing.complete`). A button that opens a form travels as its
draft plus the form's name, ``{"v":1,"c":"ChecklistDone","a":{...},"f":"checklist-done"}``,
and the platform asks the core for the form itself when it is pressed (:mod:`bot.forms`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    JsonValue,
    PlainSerializer,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from bot import commands
from bot.commands import Command
from bot.errors import UsageError
from bot.i18n import _

VERSION = 1
MAX_PAYLOAD = 4000  # far above any real action; bounds the work one click can cause

KINDS: dict[str, type[Command]] = {
    name: kind
    for name, kind in vars(commands).items()
    if isinstance(kind, type) and issubclass(kind, Command) and kind is not Command
}
"""Every command in :mod:`bot.commands`, by class name: what an action may ask for."""


def refusal() -> UsageError:
    """What a payload golive did not make (or no longer understands) gets."""
    return UsageError(_("That button is not golive's, or no longer works."))


class Draft(BaseModel):
    """A command still missing what a form asks for: its type and the fields known."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # the command's class name, a key of KINDS
    fields: dict[str, JsonValue] = {}

    @model_validator(mode="after")
    def _known(self) -> Draft:
        kind = KINDS.get(self.kind)
        if kind is None or not set(self.fields) <= set(kind.model_fields):
            raise ValueError("not a draft of a golive command")
        return self

    @classmethod
    def of(cls, kind: type[Command], **fields: Any) -> Draft:
        """``Draft.of(CastVote, key="churn", choice="no-go")``."""
        return cls(kind=kind.__name__, fields=_JSON.dump_python(fields, mode="json"))

    @property
    def command(self) -> type[Command]:
        return KINDS[self.kind]


_JSON: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def encode(action: Command | Draft, *, form: str | None = None) -> str:
    """The payload a platform carries for ``action`` (and the form a button opens)."""
    if isinstance(action, Draft):
        name, fields = action.kind, dict(action.fields)
    else:
        name = type(action).__name__
        fields = action.model_dump(mode="json", exclude_defaults=True)
    payload: dict[str, Any] = {"v": VERSION, "c": name, "a": fields}
    if form is not None:
        payload["f"] = form
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> Command:
    """The command a button's payload asks for, validated by its class."""
    kind, fields, form = _read(text)
    if form is not None:
        raise refusal()
    try:
        return kind.model_validate(fields)
    except ValidationError:
        raise refusal() from None


def decode_draft(text: str) -> tuple[Draft, str | None]:
    """The draft a form button's payload (or a form's submission) carries, and the name of
    the form, when it says."""
    kind, fields, form = _read(text)
    try:
        return Draft(kind=kind.__name__, fields=fields), form
    except ValidationError:
        raise refusal() from None


def _read(text: str) -> tuple[type[Command], dict[str, Any], str | None]:
    if len(text) > MAX_PAYLOAD:
        raise refusal()
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # a payload nested past the parser's depth
        raise refusal() from None
    if not isinstance(payload, dict) or not set(payload) <= {"v", "c", "a", "f"}:
        raise refusal()
    version, name = payload.get("v"), payload.get("c")
    fields, form = payload.get("a", {}), payload.get("f")
    if type(version) is not int or version != VERSION or not isinstance(name, str):
        raise refusal()
    kind = KINDS.get(name)
    if kind is None or not isinstance(fields, dict) or not isinstance(form, str | None):
        raise refusal()
    return kind, fields, form


def _as_command(value: object) -> Command:
    if isinstance(value, Command):
        return value
    if isinstance(value, str):
        try:
            return decode(value)
        except UsageError as error:
            raise ValueError(error.message) from None
    raise ValueError("an action is a golive command")


Action = Annotated[Command, PlainValidator(_as_command), PlainSerializer(encode, return_type=str)]
"""A command as a message field: kept as the command, stored as its payload."""
