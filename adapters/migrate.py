"""``golive migrate``: create the database or upgrade it to the current schema.

``golive serve`` upgrades on start too; this command lets an operator do it first (and see
where the schema stands) before rolling out several replicas.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.app import Database, head_revision
from adapters.settings import SettingsError, load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report the schema revision; exit 1 when an upgrade is needed",
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    return asyncio.run(
        migrate(settings.database_url, check_only=args.check, secret_key=settings.secret_key)
    )


async def migrate(url: str, *, check_only: bool = False, secret_key: str | None = None) -> int:
    """Upgrade the database at ``url`` to the newest revision, saying what changed
    (``secret_key``: GOLIVE_SECRET_KEY, for a migration that encrypts rows)."""
    database = Database(url, secret_key=secret_key)
    where = database.url.render_as_string(hide_password=True)
    head = head_revision()
    print(f"database: {where}")
    try:
        before = await database.revision()
        print(f"revision: {before or 'none (empty database)'}; newest: {head}")
        if check_only:
            return 0 if before == head else 1
        if before == head:
            print("already up to date")
            return 0
        await database.upgrade()
        print(f"upgraded to {await database.revision()}")
        return 0
    except Exception as error:  # a CLI reports any failure as one line, not a traceback
        print(f"golive: cannot migrate {where}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        await database.dispose()
