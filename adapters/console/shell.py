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
from bot.i18n import _
from bot.parsing_time import MAX_YEAR, MIN_YEAR

SessionSetup = Callable[[ConsoleSession, Runtime], None]
SESSION_SETUP: list[SessionSetup] = [console_setup]
"""Called with each new session and the runtime before the first line: where other parts
wire themselves in (the scheduler adds its sweep to ``session.after_clock_move``)."""


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        if not MIN_YEAR <= value.astimezone(UTC).year <= MAX_YEAR:
            raise argparse.ArgumentTypeError(
                f"{text!r} is outside the years golive supports ({MIN_YEAR} to {MAX_YEAR})"
            )
    except (ValueError, OverflowError) as error:
        raise argparse.ArgumentTypeError(f"not an ISO instant: {text!r}") from error
    return value


class ScriptError(Exception):
    """A script that cannot be read; the message is for the person who ran it."""


def _lines(data: bytes, source: str) -> Iterator[str]:
    """The lines of a script, which must be UTF-8 (a byte-order mark is skipped); a
    :class:`ScriptError` naming the line of the first byte that is not."""
    try:
        return iter(data.decode("utf-8-sig").splitlines())
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise ScriptError(
            f"{source} is not UTF-8 text (byte 0x{byte:02x} on line {line}); "
            "save it as UTF-8 and run it again"
        ) from None


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
    try:
        if args.script is not None:
            lines = _lines(args.script.read_bytes(), str(args.script))
        elif not sys.stdin.isatty():
            lines = _lines(sys.stdin.buffer.read(), "standard input")
    except OSError as error:
        source = args.script or "standard input"
        print(f"golive shell: cannot read {source}: {error.strerror}", file=sys.stderr)
        return 2
    except ScriptError as error:
        print(f"golive shell: {error}", file=sys.stderr)
        return 2
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
        except UnicodeDecodeError:  # a terminal that is not set to UTF-8
            session.write(_("(that line is not UTF-8 text; nothing was run)"))
            continue
        if not await session.handle(line, ask):
            return
