"""The core's one wiring: every command has a handler, every scheduled duty is swept, no
registry is filled at import time or looked up from strings."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import bot
from bot.clock import MovableClock
from bot.commands import Command
from bot.handlers import Platforms, command_handlers
from bot.sweep import run_sweep
from storage.conflicts import MESSAGES, _uniques

BOT = Path(bot.__file__).parent


def all_commands() -> set[type[Command]]:
    found: set[type[Command]] = set()
    todo = list(Command.__subclasses__())
    while todo:
        kind = todo.pop()
        found.add(kind)
        todo.extend(kind.__subclasses__())
    return found


def test_every_command_has_a_handler_and_every_handler_a_command() -> None:
    handlers = command_handlers(Platforms())
    assert set(handlers) == all_commands()


def scheduled_modules() -> list[Any]:
    return [
        importlib.import_module(f"bot.{info.name}.scheduled")
        for info in pkgutil.iter_modules([str(BOT)])
        if info.ispkg and (BOT / info.name / "scheduled.py").exists()
    ]


async def test_the_sweep_runs_every_duty_of_every_feature(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    expected: list[str] = []
    for module in scheduled_modules():
        for name, function in vars(module).items():
            public = not name.startswith("_") and inspect.iscoroutinefunction(function)
            if not public or function.__module__ != module.__name__:
                continue
            if "uow_factory" not in inspect.signature(function).parameters:
                continue  # a helper of the duty, not a duty
            qualified = f"{module.__name__}.{name}"
            expected.append(qualified)

            async def record(*_args: Any, _name: str = qualified, **_kwargs: Any) -> int:
                called.append(_name)
                return 0

            monkeypatch.setattr(module, name, record)
    assert expected, "no scheduled duties found"
    clock = MovableClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    await run_sweep(uow_factory=None, clock=clock)  # type: ignore[arg-type]
    assert sorted(called) == sorted(expected)


MUTATORS = {"append", "register", "update", "extend", "setdefault"}


def test_no_registry_is_filled_at_import_or_looked_up_by_name() -> None:
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names]
                module = getattr(node, "module", None) or ""
                if "importlib" in names or module == "importlib":
                    offenders.append(f"{path.name}: imports importlib")
        for statement in tree.body:  # module level: runs at import
            call = statement.value if isinstance(statement, ast.Expr) else None
            method = call.func if isinstance(call, ast.Call) else None
            if isinstance(method, ast.Attribute) and method.attr in MUTATORS:
                offenders.append(f"{path.name}:{statement.lineno}: {method.attr} at import")
    assert offenders == []


INTERNAL_CONSTRAINTS = {
    # Clashes no person can cause: the code that writes these rows handles them itself.
    "uq_outbox_key",
    "uq_poll_voters_poll_id",
    "uq_reminder_marks_key",
    "uq_teams_conversations_tenant_id",
}


def test_every_unique_constraint_a_person_can_hit_has_a_message() -> None:
    names = {name for name, _table, _columns in _uniques()}
    assert set(MESSAGES) <= names
    assert names - set(MESSAGES) == INTERNAL_CONSTRAINTS
