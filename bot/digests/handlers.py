"""Handlers of this feature's commands, registered in :mod:`bot.handlers`."""

from __future__ import annotations

from bot.commands import Command
from bot.handlers import Handler

HANDLERS: dict[type[Command], Handler] = {}
