"""``golive verify-log``: check the decision log's hash chain.

Every decision stores a SHA-256 hash over its canonical record and the previous decision's
hash in its workspace; a row edited, removed or reordered behind golive's back breaks the
chain. Exit 0 with "N decisions verified", or 1 naming each decision where it breaks.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.app import Database
from adapters.settings import operator_database_url
from bot.polls import log


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", help="the database to check (default: DATABASE_URL from settings)"
    )


def run(args: argparse.Namespace) -> int:
    url = operator_database_url(args.database_url)
    if url is None:
        return 2
    return asyncio.run(verify(url))


async def verify(url: str) -> int:
    """Check every workspace's chain in the database at ``url``; print what was found."""
    database = Database(url)
    try:
        async with database.uow() as uow:
            decisions = await uow.polls.all_decisions()
            problems = log.verify(decisions)
    except Exception as error:  # a CLI reports any failure as one line, not a traceback
        where = database.url.render_as_string(hide_password=True)
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        print(f"golive: cannot read the decision log at {where}: {reason}", file=sys.stderr)
        return 2
    finally:
        await database.dispose()
    for problem in problems:
        print(f"BROKEN: {problem}")
    if problems:
        print(f"decision log tampered with: {len(problems)} of {len(decisions)} decisions fail")
        return 1
    count = len(decisions)
    print(f"{count} decision verified" if count == 1 else f"{count} decisions verified")
    return 0
