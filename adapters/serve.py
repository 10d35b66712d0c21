"""``golive serve``: one process, one aiohttp server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web

from adapters.app import build_runtime, build_web_app
from adapters.settings import SettingsError, load_settings

log = logging.getLogger("golive")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface to bind (default GOLIVE_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default GOLIVE_PORT or 3978)")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return 2
    return asyncio.run(
        _serve(settings, args.host or settings.golive_host, args.port or settings.golive_port)
    )


async def _serve(settings: object, host: str, port: int) -> int:
    from adapters.settings import Settings

    assert isinstance(settings, Settings)
    runtime = await build_runtime(settings)
    app = build_web_app(runtime)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("golive listening on http://%s:%d", host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await runtime.database.dispose()
    return 0
