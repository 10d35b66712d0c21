"""Errors the core raises for the caller to see. Each carries a message fit for a user."""

from __future__ import annotations


class GoliveError(Exception):
    """Base: a refused or malformed request. ``str(error)`` is shown to the caller."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class UsageError(GoliveError):
    """The command text could not be parsed."""


class NotFound(GoliveError):
    """A pilot, item, KPI or poll named by the caller does not exist."""


class Forbidden(GoliveError):
    """The caller may not run this command; the message names who may."""


class Conflict(GoliveError):
    """The request clashes with the current state (already exists, poll already open...)."""


class Invalid(GoliveError):
    """A value is well-formed but not acceptable (a past date, missing evidence...)."""


class StoreUnavailable(Exception):
    """golive's database cannot be reached right now (down, restarting, or too busy to
    take the command in time), so the command did not run and nothing was changed. Raised
    by the storage adapter in place of its driver's error; not a :class:`GoliveError`: the
    facade answers it with its own message and tries a read once more."""
