"""``golive serve``: Slack, Teams, the scheduler and the web endpoints in one process.

Shutdown on SIGTERM or SIGINT is graceful: stop accepting connections, let the requests in
flight and the work they started after their ack finish, deliver what the outbox can in a
few seconds, then release scheduler leadership and close the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from aiohttp import web

from adapters.app import Runtime, build_runtime, build_web_app
from adapters.logging_setup import configure_logging
from adapters.metrics import CountedGateways
from adapters.scheduler import Scheduler, start_for_runtime
from adapters.settings import Settings, SettingsError, load_settings

log = logging.getLogger("golive")

DRAIN_SECONDS = 20.0  # for handlers still running after the server stopped accepting
FLUSH_SECONDS = 5.0  # for the outbox on the way out
ACCEPTED_SETTLE_SECONDS = 0.1  # see _stop_listening


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface to bind (default GOLIVE_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default GOLIVE_PORT or 3978)")


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.golive_log_format)
    host = args.host or settings.golive_host
    port = args.port or settings.golive_port
    try:
        return asyncio.run(serve(settings, host, port))
    except SettingsError as error:  # found while starting: GOLIVE_SECRET_KEY with PostgreSQL
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2


async def serve(settings: Settings, host: str, port: int) -> int:
    # The address actually bound (--host wins over GOLIVE_HOST): Teams' local mode is
    # allowed only on loopback.
    settings = settings.model_copy(update={"golive_host": host, "golive_port": port})
    runtime = await build_runtime(settings)
    app = build_web_app(runtime)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=DRAIN_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        log.error("cannot listen on %s:%d: %s", host, port, error.strerror or error)
        await runner.cleanup()
        await runtime.close()
        return 1
    scheduler = start_for_runtime(
        runtime,
        sweep_seconds=settings.golive_sweep_seconds,
        delivery_seconds=settings.golive_delivery_seconds,
        gateways=CountedGateways(runtime.gateways),  # golive_sends_total by platform
    )
    announce(runtime, host, port)

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("shutting down: no new requests; finishing those in flight")
    await shut_down(runtime, runner, scheduler)
    return 0


def announce(runtime: Runtime, host: str, port: int) -> None:
    """Say in the first lines what is enabled, what is not, and why."""
    log.info("golive listening on http://%s:%d", host, port)
    log.info("database: %s", runtime.database.url.render_as_string(hide_password=True))
    for note in runtime.notes:
        log.info(note)
    mode = "PostgreSQL advisory-lock leadership" if runtime.database.is_postgres else "SQLite"
    log.info(
        "scheduler: sweep every %g s, outbox delivery every %g s (%s)",
        runtime.settings.golive_sweep_seconds,
        runtime.settings.golive_delivery_seconds,
        mode,
    )


async def shut_down(runtime: Runtime, runner: web.AppRunner, scheduler: Scheduler) -> None:
    await _stop_listening(runner)
    # Waits for open requests, then runs the apps' cleanup hooks.
    await runner.cleanup()
    await _drain_background_work()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(scheduler.deliver_once(), FLUSH_SECONDS)
    await scheduler.stop()  # releases leadership
    await runtime.close()
    log.info("stopped")


async def _stop_listening(runner: web.AppRunner) -> None:
    for site in list(runner.sites):
        await site.stop()
    # On Python 3.11 aiohttp starts a connection's handler a loop turn after accepting it;
    # one accepted in the last instant would miss the close that runner.cleanup() sends
    # and hold shutdown for the whole DRAIN_SECONDS. Let those handlers start first.
    await asyncio.sleep(ACCEPTED_SETTLE_SECONDS)


async def _drain_background_work() -> None:
    """Wait for work started after an ack (Slack answers first and works after) to end."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    if not pending:
        return
    log.info("no request in flight; waiting for %d background tasks", len(pending))
    _, still = await asyncio.wait(pending, timeout=DRAIN_SECONDS)
    if still:
        log.warning("%d background tasks still running at shutdown", len(still))
