"""``golive rotate-key``: encrypt every secret stored in the database with the newest key.

To replace a key: put a new one first in GOLIVE_SECRET_KEY (``--generate`` prints one),
restart every replica so they all read both keys, run this, then drop the old key.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.app import Rotation, SecretKeyError, UndecryptableSecret, open_database
from adapters.settings import Settings, SettingsError, load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generate",
        action="store_true",
        help="only print a new key to put first in GOLIVE_SECRET_KEY; change nothing",
    )


def run(args: argparse.Namespace) -> int:
    if args.generate:
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return 0
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    return asyncio.run(rotate(settings))


async def rotate(settings: Settings) -> int:
    """Re-encrypt under the newest key of ``settings``; print the counts per table."""
    database = open_database(settings)
    where = database.url.render_as_string(hide_password=True)
    try:
        problems = await database.check()
        if problems:
            print(f"golive: cannot rotate: {problems[0]}", file=sys.stderr)
            return 2
        print(database.secret_keys.describe())
        rotation = await database.rotate_secrets()
    except SecretKeyError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    except UndecryptableSecret as error:
        print(f"golive: cannot rotate: {error}; nothing changed", file=sys.stderr)
        return 1
    except Exception as error:  # a CLI reports any failure as one line, not a traceback
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        print(f"golive: cannot rotate at {where}: {reason}; nothing changed", file=sys.stderr)
        return 1
    finally:
        await database.dispose()
    print("\n".join(report(rotation)))
    return 0


def report(rotation: Rotation) -> list[str]:
    """One line per table, then the total."""
    tables = sorted({*rotation.rotated, *rotation.encrypted, *rotation.current, *rotation.raced})
    lines = []
    for table in tables:
        line = (
            f"{table}: {rotation.rotated[table]} re-encrypted, "
            f"{rotation.encrypted[table]} encrypted from plain text, "
            f"{rotation.current[table]} already under the newest key"
        )
        if rotation.raced[table]:
            line += f", {rotation.raced[table]} rewritten by golive meanwhile (left as written)"
        lines.append(line)
    lines.append(
        f"{rotation.changed} values now under the newest key, in one transaction"
        if rotation.changed
        else "nothing to change: every value is under the newest key"
    )
    return lines
