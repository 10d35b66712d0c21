"""``golive shell``: chat with golive in the terminal, as anyone, on the configured database
(SQLite by default), with a clock you can move.

Interactive on a terminal. With ``--script FILE`` (or when stdin is not a terminal) it
replays a script: each input line is echoed as ``> line`` followed by the replies, and
lines starting with ``#`` are copied as they are, so a script's output reads as a
conversation that docs and tests can quote.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from adapters.app import Runtime, build_runtime
from adapters.console.session import ConsoleSession
from adapters.scheduler import console_setup
from adapters.settings import SettingsError, load_settings
from bot.clock import MovableClock

SessionSetup = Callable[[ConsoleSession, Runtime], None]
SESSION_SETUP: list[SessionSetup] = [console_setup]
"""Called with each new session and the runtime before the first line: where other parts
wire themselves in (the scheduler adds its sweep to ``session.after_clock_move``)."""


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO instant: {text!r}") from error
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="user", default="@you", help="who you are at first (default @you)"
    )
    parser.add_argument(
        "--in", dest="channel", default="#general", help="the channel at first (default #general)"
    )
    parser.add_argument(
        "--clock",
        type=_instant,
        help="fix the clock's start, e.g. 2026-12-01T09:00Z (default: now)",
    )
    parser.add_argument("--script", type=Path, help="replay the lines of FILE, then exit")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    lines: Iterator[str] | None = None
    if args.script is not None:
        try:
            lines = iter(args.script.read_text(encoding="utf-8").splitlines())
        except OSError as error:
            print(f"golive shell: cannot read {args.script}: {error.strerror}", file=sys.stderr)
            return 2
    elif not sys.stdin.isatty():
        lines = iter(sys.stdin.read().splitlines())
    return asyncio.run(_main(args, settings, lines))


async def _main(args: argparse.Namespace, settings: object, lines: Iterator[str] | None) -> int:
    from adapters.settings import Settings

    assert isinstance(settings, Settings)
    clock = MovableClock(args.clock or datetime.now(UTC))
    runtime = await build_runtime(settings, clock=clock)
    try:
        session = ConsoleSession(
            golive=runtime.golive,
            clock=clock,
            user=args.user.removeprefix("@"),
            channel=args.channel.removeprefix("#"),
        )
        runtime.gateways["console"] = session.gateway
        for setup in SESSION_SETUP:
            setup(session, runtime)
        if lines is None:
            await interactive(session)
        else:
            await replay(session, lines)
    finally:
        await runtime.database.dispose()
    return 0


async def replay(session: ConsoleSession, lines: Iterator[str]) -> None:
    """Run script lines, echoing each; form prompts take their answers from the next
    lines (echoed as ``  label: answer``)."""

    async def ask(label: str) -> str | None:
        answer = next(lines, None)
        if answer is not None:
            session.write(f"  {label}: {answer}")
        return answer

    for line in lines:
        if line.lstrip().startswith("#"):
            session.write(line)
            continue
        if not line.strip():
            session.write("")
            continue
        session.write(f"> {line}")
        if not await session.handle(line, ask):
            return


async def interactive(session: ConsoleSession) -> None:
    """Read lines from the terminal until ``:quit`` or end of input."""

    async def ask(label: str) -> str | None:
        try:
            return await asyncio.to_thread(input, f"  {label}: ")
        except EOFError:
            return None

    session.write("golive shell: type `help` for commands, `:help` for console directives.")
    while True:
        try:
            line = await asyncio.to_thread(input, f"@{session.user} #{session.channel}> ")
        except (EOFError, KeyboardInterrupt):
            session.write("")
            return
        if not await session.handle(line, ask):
            return
