"""Binding tokens to a command's parameters.

Each command is a :class:`Spec`: its parameters, in positional order. Any parameter can also
be given as an option ``name:value``, flags are bare words (``secret``) or ``secret:yes``,
and a ``#channel`` fills the channel parameter wherever it stands. Values are read only
after every token found its place, so the first error reported is about the shape of the
command, then about its values, in order. A person or channel the platform resolved (a
token with a reference) is read by its id; anything else is read from its text.

A submitted form is read the same way (:func:`complete`): the fields its draft fixed are
kept as they are, and each input is read as the option of its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.commands import ChannelRef, Command
from bot.errors import UsageError
from bot.help import usage_line
from bot.i18n import _
from bot.parsing_text import FREE_TEXT_BREAKS, refuse_controls
from bot.parsing_tokens import Reference, Token, quote
from bot.parsing_values import Context, flag, looks_like_channel, shown, suggestion

Reader = Callable[[str, Context], Any]
_TIME_TOKEN = re.compile(r"\d{1,2}:\d{2}")


@dataclass(frozen=True)
class Param:
    name: str  # option name; the command's field unless ``field`` says otherwise
    read: Reader
    what: str  # for "Missing {what}.", marked with N_ and translated when shown
    required: bool = False
    positional: bool = True
    is_flag: bool = False
    free_text: bool = False  # a name, title, reason: suggest quotes when words spill over
    is_channel: bool = False  # filled by any ``#channel`` token
    is_person: bool = False  # a person the platform resolved is read by id
    with_time: bool = False  # an option value may continue with a separate ``HH:MM`` token
    aliases: tuple[str, ...] = ()
    field: str | None = None

    @property
    def target(self) -> str:
        return self.field or self.name.replace("-", "_")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Spec:
    topic: str  # the help entry whose usage line goes with this command's errors
    kind: type[Command]
    params: tuple[Param, ...]
    check: Callable[[dict[str, Any]], None] | None = None  # a rule across the values
    near_words: tuple[str, ...] = ()  # unquoted text that nearly matches these is a typo
    words: str | None = None  # how the command is written out, when not its topic

    def build(self, values: dict[str, Any]) -> Command:
        if self.check is not None:
            self.check(values)
        return self.kind(**values)


def run(spec: Spec, tokens: list[Token], ctx: Context) -> Command:
    """The command ``tokens`` make under ``spec``, or a UsageError with its usage line."""
    try:
        return spec.build(_bind(spec, tokens, ctx))
    except UsageError as error:
        if error.usage is not None:
            raise
        raise UsageError(error.message, usage=usage_line(spec.topic)) from None


def complete(
    spec: Spec, fixed: Mapping[str, Any], typed: Mapping[str, str], ctx: Context
) -> Command:
    """The command ``spec`` builds from the fields a form's draft fixed and the values a
    person typed into its inputs, each read as the option of its name (an empty input
    counts as not given), or a UsageError with its usage line."""
    try:
        values = dict(fixed)
        by_name = {name: p for p in spec.params for name in p.names}
        for name, text in typed.items():
            if text == "":
                continue
            refuse_controls(text, allowed=FREE_TEXT_BREAKS)  # as typing it would be
            param = _option_param(spec, by_name, Token(text=text, option=name.lower()))
            if param.target in values:
                raise UsageError(_("`{name}` is given twice.").format(name=param.name))
            values[param.target] = _read(param, text, ctx)
        _require(spec, values)
        return spec.build(values)
    except UsageError as error:
        if error.usage is not None:
            raise
        raise UsageError(error.message, usage=usage_line(spec.topic)) from None


def _require(spec: Spec, given: Mapping[str, object]) -> None:
    for param in spec.params:
        if param.required and param.target not in given:
            raise UsageError(_("Missing {what}.").format(what=_(param.what)))


Given = dict[str, tuple[Param, str, Reference | None]]


def _bind(spec: Spec, tokens: list[Token], ctx: Context) -> dict[str, Any]:
    given: Given = {}
    positional: list[Token] = []
    by_name = {name: p for p in spec.params for name in p.names}
    flags = {name: p for p in spec.params if p.is_flag for name in p.names}
    channel = next((p for p in spec.params if p.is_channel), None)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.option is not None:
            param = _option_param(spec, by_name, token)
            text = token.text
            if param.with_time and i < len(tokens) and _is_time(tokens[i]):
                text = f"{text} {tokens[i].text}"
                i += 1
            _give(given, param, text, token)
        elif token.word is not None and token.word.replace("_", "-") in flags:
            _give(given, flags[token.word.replace("_", "-")], "yes", token)
        elif channel is not None and _is_channel(token) and channel.target not in given:
            _give(given, channel, token.text, token)
        else:
            positional.append(token)
    slots = [p for p in spec.params if p.positional and p.target not in given]
    for slot, token in zip(slots, positional, strict=False):
        if slot.free_text:
            _check_typo(spec, token)
        given[slot.target] = (slot, token.text, token.ref)
    if len(positional) > len(slots):
        _too_many(slots, positional)
    _require(spec, given)
    return {target: _read(param, text, ctx, ref) for target, (param, text, ref) in given.items()}


def _is_channel(token: Token) -> bool:
    if token.ref is not None:
        return token.ref.channel
    return not token.quoted and looks_like_channel(token.text)


def _option_param(spec: Spec, by_name: dict[str, Param], token: Token) -> Param:
    name = (token.option or "").replace("_", "-")
    param = by_name.get(name)
    if param is not None:
        return param
    options = [p.name for p in spec.params if not p.positional and not p.is_flag]
    message = _("Unknown option `{name}:`.").format(name=shown(token.option or ""))
    if options:
        message += " " + _("Options here: {options}.").format(
            options=", ".join(f"{option}:" for option in options)
        )
    raise UsageError(message + suggestion(name, by_name, suffix=":"))


def _give(given: Given, param: Param, text: str, token: Token) -> None:
    if param.target in given:
        raise UsageError(_("`{name}` is given twice.").format(name=param.name))
    given[param.target] = (param, text, token.ref)


def _is_time(token: Token) -> bool:
    return token.word is not None and _TIME_TOKEN.fullmatch(token.text) is not None


def _check_typo(spec: Spec, token: Token) -> None:
    """Unquoted ``clsoe`` after ``poll churn`` is a mistyped word, not a question."""
    word = token.word
    if word is None or " " in word or word in spec.near_words:
        return
    hint = suggestion(word, spec.near_words)
    if hint:
        raise UsageError(
            _("Unknown word `{word}`.").format(word=shown(token.text))
            + hint
            + " "
            + _("Put text in quotes.")
        )


def _too_many(slots: list[Param], positional: list[Token]) -> None:
    extra = positional[len(slots) :]
    message = _("Unexpected {words}.").format(
        words=" ".join(f"`{token.shown()}`" for token in extra[:3])
        + (" …" if len(extra) > 3 else "")
    )
    last_slot, last_token = (slots[-1], positional[len(slots) - 1]) if slots else (None, None)
    if last_slot is not None and last_slot.free_text and last_token is not None:
        spilled = [last_token, *extra]
        if not any(token.quoted or token.option for token in spilled):
            text = " ".join(token.text for token in spilled)
            message += " " + _("Put text with spaces in quotes: {text}").format(
                text=quote(shown(text))
            )
    raise UsageError(message)


def _read(param: Param, text: str, ctx: Context, ref: Reference | None = None) -> Any:
    if ref is not None and ref.channel and param.is_channel:
        return ChannelRef(id=ref.id, name=ref.name)
    if ref is not None and not ref.channel and param.is_person:
        return ref.id
    if param.is_flag:
        return flag(text, ctx)
    if text.strip() == "" and not param.free_text:
        raise UsageError(_("`{name}:` needs a value.").format(name=param.name))
    return param.read(text, ctx)
