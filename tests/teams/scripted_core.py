"""A scripted stand-in for the Golive facade: records who asked what, answers as told.

Typed actions are recorded as the line one would type for them (``vote churn go``), so a
click and the same command typed read alike in the tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.actions import Draft
from bot.commands import Command
from bot.context import Caller
from bot.messages import Message, say
from bot.parsing import Reference, command_line


@dataclass
class ScriptedCore:
    answers: dict[str, Message] = field(default_factory=dict)
    asked: list[tuple[Caller, str]] = field(default_factory=list)
    references: list[list[Reference]] = field(default_factory=list)  # per typed text

    async def run(
        self, caller: Caller, text: str, *, references: Sequence[Reference] = ()
    ) -> Message:
        self.references.append(list(references))
        return self._answer(caller, text)

    async def execute(self, caller: Caller, command: Command) -> Message:
        return self._answer(caller, command_line(command))

    async def submit(self, caller: Caller, draft: Draft, values: Mapping[str, str]) -> Message:
        return self._answer(caller, command_line(draft, values))

    def _answer(self, caller: Caller, text: str) -> Message:
        self.asked.append((caller, text))
        return self.answers.get(text, say(f"ran {text}"))

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.asked]
