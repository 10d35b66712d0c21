"""``golive outbox``: list outbox rows for an administrator — what is pending, what was sent,
what died and why — retry dead ones once their cause is fixed, and prune old sent ones.
Message contents are never shown (they may hold a secret poll's tally)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from adapters.app import Database
from adapters.settings import SettingsError, load_settings
from bot.clock import SystemClock
from bot.delivery.models import OutboxMessage, OutboxStatus
from bot.delivery.scheduled import PRUNE_AFTER, PRUNE_BATCH, PRUNE_MIN_AGE, prune_outbox
from bot.delivery.service import RetryRefused, retry_dead

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
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", help="without one: list the rows"
    )
    retry = actions.add_parser(
        "retry",
        help="send dead messages again, once their cause is fixed",
        description="Put dead messages back in the queue, due now with a fresh count of "
        "attempts. Any id that is not dead refuses the whole request.",
    )
    retry.add_argument("ids", type=int, nargs="*", metavar="ID", help="the dead rows to retry")
    retry.add_argument("--dead", action="store_true", help="retry every dead row")
    prune = actions.add_parser(
        "prune",
        help="delete old sent and superseded messages now (the sweep also does it)",
        description="Delete sent and superseded rows older than --days. Pending and dead "
        "rows, and the rows a later check still needs, are kept.",
    )
    prune.add_argument(
        "--days",
        type=int,
        default=PRUNE_AFTER.days,
        help=f"age in days (default {PRUNE_AFTER.days}, at least {PRUNE_MIN_AGE.days})",
    )


def run(args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem is not None:
        print(f"golive: {problem}", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    url = settings.database_url
    if args.action == "retry":
        ids = None if args.dead else list(args.ids)
        return asyncio.run(_with_database(url, "retry the outbox", lambda db: retry(db, ids)))
    if args.action == "prune":
        age = timedelta(days=args.days)
        return asyncio.run(_with_database(url, "prune the outbox", lambda db: prune(db, age)))
    return asyncio.run(show(url, status=args.status, limit=args.limit))


def _check(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, if anything."""
    if args.limit < 1:
        return "--limit must be at least 1"
    if args.action == "retry" and bool(args.ids) == args.dead:
        return "outbox retry needs either row ids or --dead"
    if args.action == "prune" and timedelta(days=args.days) < PRUNE_MIN_AGE:
        return f"--days must be at least {PRUNE_MIN_AGE.days}: younger rows still guard sends"
    return None


async def _with_database(url: str, what: str, action: Callable[[Database], Awaitable[int]]) -> int:
    """Run ``action`` on the database; 1 with one line when the database fails."""
    database = Database(url)
    try:
        return await action(database)
    except Exception as error:  # a CLI reports any failure as one line, not a traceback
        where = database.url.render_as_string(hide_password=True)
        print(f"golive: cannot {what} at {where}: {type(error).__name__}", file=sys.stderr)
        return 1
    finally:
        await database.dispose()


async def retry(database: Database, ids: Sequence[int] | None) -> int:
    """Requeue the dead rows ``ids`` (all of them or none), or every dead row; 1 if refused."""
    try:
        rows = await retry_dead(uow_factory=database.uow, clock=SystemClock(), ids=ids)
    except RetryRefused as refused:
        reasons = [
            f"{i} does not exist" if status is None else f"{i} is {status}, not dead"
            for i, status in refused.refused.items()
        ]
        print(f"golive: nothing requeued: {'; '.join(reasons)}", file=sys.stderr)
        return 1
    if not rows:
        print("(no dead outbox rows)")
        return 0
    print(f"requeued {len(rows)} message(s), due now:")
    for message in rows:
        print(f"  {message.id}  {message.key}  {_to(message)}")
    return 0


async def prune(database: Database, age: timedelta) -> int:
    """Prune in the sweep's batches, each its own transaction, until none is left."""
    total = 0
    while True:
        pruned = await prune_outbox(
            uow_factory=database.uow, clock=SystemClock(), older_than=age, batch=PRUNE_BATCH
        )
        total += pruned
        if pruned < PRUNE_BATCH:
            break
    print(f"pruned {total} sent or superseded message(s) older than {age.days} days")
    return 0


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


def _to(message: OutboxMessage) -> str:
    if message.update_of:
        to = f"update of {message.update_of}"
    else:
        to = f"@{message.user_id}" if message.user_id else f"#{message.channel_id}"
    return f"{message.platform} {to}"


def _row(message: OutboxMessage) -> tuple[str, ...]:
    when = message.sent_at if message.status == OutboxStatus.SENT else message.next_attempt_at
    error = (message.last_error or "").replace("\n", " ")[:60]
    return (
        str(message.id),
        str(message.status),
        str(message.attempts),
        message.key,
        _to(message),
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
