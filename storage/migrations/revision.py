"""Write a migration by comparing storage's tables with a scratch database.

    python -m storage.migrations.revision "add digest schedules"   # next revision
    python -m storage.migrations.revision --initial                # rewrite 0001_initial

The scratch database is a temporary SQLite file upgraded to the current head (or left
empty with ``--initial``), so no server is needed. Review the file it writes: autogenerate
cannot see renames and needs help with data changes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from alembic import command

from storage.db import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.migrations.revision")
    parser.add_argument("message", nargs="?", default="initial")
    parser.add_argument(
        "--initial", action="store_true", help="delete all revisions and write 0001_initial"
    )
    args = parser.parse_args(argv)
    if args.initial:
        for old in VERSIONS.glob("*.py"):
            old.unlink()
    numbers = [int(path.name[:4]) for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py")]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        config = alembic_config()
        config.set_main_option("sqlalchemy.url", f"sqlite:///{Path(scratch) / 'scratch.db'}")
        command.upgrade(config, "head")
        message = "initial" if args.initial else args.message
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
