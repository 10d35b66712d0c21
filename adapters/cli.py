"""The ``golive`` command: serve, shell, migrate and the admin tools.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; this file only wires them, importing lazily so ``golive --help``
stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("adapters.serve", "run the bot: Slack, Teams, the scheduler and the web server"),
    "shell": ("adapters.console.shell", "chat with golive in the terminal, as anyone"),
    "migrate": ("adapters.migrate", "create or upgrade the database to the current schema"),
    "outbox": (
        "adapters.outbox_admin",
        "list the outbox: pending, sent and dead messages; retry dead ones; prune old ones",
    ),
    "verify-log": ("adapters.verify_log", "check the decision log's hash chain"),
    "erase-person": (
        "adapters.erase_person",
        "replace a person's name and platform ids with a pseudonym everywhere",
    ),
    "rotate-key": (
        "adapters.rotate_key",
        "encrypt every secret in the database with the newest key of GOLIVE_SECRET_KEY",
    ),
    "teams-package": ("adapters.teams.package", "build the Teams app package (zip)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="golive", description="golive: pilots to production")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub_parsers = {
        name: sub.add_parser(name, help=help_text, description=help_text, add_help=False)
        for name, (_module, help_text) in SUBCOMMANDS.items()
    }
    # Only the chosen subcommand's module is imported: one command never pays for (or
    # breaks on) another's dependencies.
    chosen = next((word for word in argv if not word.startswith("-")), None)
    if chosen in SUBCOMMANDS:
        module: ModuleType = importlib.import_module(SUBCOMMANDS[chosen][0])
        sub_parsers[chosen].add_argument("-h", "--help", action="help", help="show this help")
        module.add_arguments(sub_parsers[chosen])
    args = parser.parse_args(argv)
    return int(module.run(args))


if __name__ == "__main__":
    sys.exit(main())
