"""The composition root: settings -> storage -> core -> platforms -> web server.

The only module that wires ``storage`` into the core. Platform adapters plug in through
``setup(runtime, app)`` functions that add their routes and gateways.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web
from storage.db import Database

from adapters.settings import Settings
from bot.clock import Clock, SystemClock
from bot.delivery.ports import ChatGateway
from bot.service import Golive

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", object)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    golive: Golive
    gateways: dict[str, ChatGateway] = field(default_factory=dict)  # by platform
    notes: list[str] = field(default_factory=list)  # what is enabled and why, for start-up


async def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Open (and create or upgrade) the database and build the core over it."""
    database = Database(settings.database_url)
    await database.upgrade()
    clock = clock or SystemClock()
    golive = Golive(
        uow_factory=database.uow,
        clock=clock,
        default_timezone=settings.golive_timezone,
        admins=settings.admins,
    )
    return Runtime(settings=settings, database=database, clock=clock, golive=golive)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    runtime: Runtime = request.app[RUNTIME]  # type: ignore[assignment]
    problems = await runtime.database.check()
    status = 200 if not problems else 503
    return web.json_response({"ready": not problems, "problems": problems}, status=status)


def build_web_app(runtime: Runtime) -> web.Application:
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app
