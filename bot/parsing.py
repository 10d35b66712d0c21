"""Text -> typed command, or a specific usage error. (Being written: see tests/test_parsing.py.)"""

from __future__ import annotations

from datetime import datetime

from bot.commands import Command
from bot.errors import UsageError


def parse(text: str, *, now_local: datetime) -> Command:
    """Parse one line of the command language, reading dates in ``now_local``'s zone."""
    raise UsageError(f"Unknown command: {text.split()[0] if text.split() else ''}")


def quote(value: str) -> str:
    """``value`` as one quoted token of the command language."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def form_command(command: str, values: dict[str, str]) -> str:
    """The command line a submitted form runs: ``command`` plus ``name:"value"`` each."""
    parts = [command]
    parts.extend(f"{name}:{quote(value)}" for name, value in values.items() if value != "")
    return " ".join(parts)
