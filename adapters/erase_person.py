"""``golive erase-person <platform user id> [--workspace <external id>]``: replace a
person's name and platform ids with a stable pseudonym everywhere golive stores them
(docs/data-protection.md).

All or nothing, in one transaction. Rows that refer to the person by row id stay, so
counts and history still add up, and the decision log stays verifiable (``golive
verify-log``). Exit 0 with what changed, per table; 1 when no person has that id (nothing
changed; so is a second run with the same id, since golive no longer knows it); 2 when the
database cannot be read or is not migrated. The pseudonym the first run prints finds the
erased person again and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from adapters.app import Database
from adapters.settings import operator_database_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "user_id",
        metavar="PLATFORM_USER_ID",
        help="the person's Slack or Teams user id (as golive stores it, e.g. U024BE7LH)",
    )
    parser.add_argument(
        "--workspace",
        metavar="EXTERNAL_ID",
        help="only in this workspace (Slack team id, Teams tenant id); "
        "default: every workspace that knows the id",
    )
    parser.add_argument(
        "--database-url", help="the database to change (default: DATABASE_URL from settings)"
    )


def run(args: argparse.Namespace) -> int:
    url = operator_database_url(args.database_url)
    if url is None:
        return 2
    return asyncio.run(erase(url, args.user_id, workspace=args.workspace))


async def erase(url: str, user_id: str, *, workspace: str | None) -> int:
    """Erase the person in the database at ``url``; print what changed."""
    database = Database(url)
    try:
        problems = await database.check()
        if problems:
            print(f"golive: cannot erase: {problems[0]}", file=sys.stderr)
            return 2
        erased = await database.erase_person(user_id, workspace=workspace, now=datetime.now(UTC))
    except LookupError as error:
        print(f"golive: {error}; nothing changed", file=sys.stderr)
        return 1
    except Exception as error:  # a CLI reports any failure as one line, not a traceback
        where = database.url.render_as_string(hide_password=True)
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        print(f"golive: cannot erase at {where}: {reason}; nothing changed", file=sys.stderr)
        return 2
    finally:
        await database.dispose()
    for erasure in erased:
        print("\n".join(erasure.report()))
    return 0
