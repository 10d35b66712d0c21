"""A scripted stand-in for the Golive facade: records who asked what, answers as told."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.context import Caller
from bot.messages import Message, say


@dataclass
class ScriptedCore:
    answers: dict[str, Message] = field(default_factory=dict)
    asked: list[tuple[Caller, str]] = field(default_factory=list)

    async def run(self, caller: Caller, text: str) -> Message:
        self.asked.append((caller, text))
        return self.answers.get(text, say(f"ran {text}"))

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.asked]
