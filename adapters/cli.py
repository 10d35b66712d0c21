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
    "outbox": ("adapters.outbox_admin", "list the outbox: pending, sent and dead messages"),
    "verify-log": ("adapters.verify_log", "check the decision log's hash chain"),
    "teams-package": ("adapters.teams.package", "build the Teams app package (zip)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="golive", description="golive: pilots to production")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, ModuleType] = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        module.add_arguments(sub_parser)
        modules[name] = module
    args = parser.parse_args(argv)
    return int(modules[args.command].run(args))


if __name__ == "__main__":
    sys.exit(main())
