"""``golive outbox``: list outbox rows for an administrator — what is pending, what was sent,
what died and why. Message contents are never shown (they may hold a secret poll's tally)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import datetime

from adapters.app import Database
from adapters.settings import SettingsError, load_settings
from bot.delivery.models import OutboxMessage, OutboxStatus

COLUMNS = ("id", "status", "tries", "key", "to", "when", "last error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status",
        choices=[s.value for s in OutboxStatus],
        help="only rows with this status (default: all)",
    )
    parser.add_argument(
        "--limit", type=int, default=50, help="at most this many rows, newest first (default 50)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    if args.limit < 1:
        print("golive: --limit must be at least 1", file=sys.stderr)
        return 2
    return asyncio.run(show(settings.database_url, status=args.status, limit=args.limit))


async def show(url: str, *, status: str | None, limit: int) -> int:
    """Print the rows as a table; 1 when the database cannot be read."""
    database = Database(url)
    try:
        async with database.uow() as uow:
            rows = [_row(message) for message in await uow.outbox.list(status, limit)]
    except Exception as error:  # a CLI reports any failure as one line, not a traceback
        where = database.url.render_as_string(hide_password=True)
        print(f"golive: cannot read the outbox at {where}: {type(error).__name__}", file=sys.stderr)
        return 1
    finally:
        await database.dispose()
    print(table(rows) if rows else "(no outbox rows)")
    return 0


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _row(message: OutboxMessage) -> tuple[str, ...]:
    if message.update_of:
        to = f"update of {message.update_of}"
    else:
        to = f"@{message.user_id}" if message.user_id else f"#{message.channel_id}"
    when = message.sent_at if message.status == OutboxStatus.SENT else message.next_attempt_at
    error = (message.last_error or "").replace("\n", " ")[:60]
    return (
        str(message.id),
        str(message.status),
        str(message.attempts),
        message.key,
        f"{message.platform} {to}",
        _when(when),
        error,
    )


def table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True))
        for r in [COLUMNS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)
