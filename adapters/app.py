"""The composition root: settings -> storage -> core -> platforms -> web server.

The only module that wires ``storage`` into the core. Platform adapters plug in through
``setup(runtime, app)`` functions that add their routes and gateways.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.types import TypeEngine

from adapters import i18n
from adapters.charts import render_kpi_chart
from adapters.metrics import OUTBOX_DEPTH, OUTBOX_OLDEST_SECONDS, exposition, observe_command
from adapters.platforms import Added
from adapters.settings import Settings, SettingsError
from adapters.slack import setup_slack
from adapters.teams import setup_teams
from bot.clock import Clock, SystemClock
from bot.delivery.models import OutboxStatus
from bot.delivery.ports import ChatGateway
from bot.service import Golive
from storage.db import Database, head_revision
from storage.delivery import outbox
from storage.secrets import EncryptedText, Rotation, SecretKeyError, UndecryptableSecret
from storage.seen import SeenKeyStore
from storage.teams import TeamsConversationStore

__all__ = [
    "Database",
    "Rotation",
    "Runtime",
    "SecretKeyError",
    "UndecryptableSecret",
    "build_runtime",
    "build_web_app",
    "head_revision",
    "open_database",
]

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", object)
READY_LOGGED = web.AppKey("ready_logged", list)  # the problems /readyz last logged
BACKGROUND_POOL = 3  # the leader's lock connection, the sweep and delivery
OUTBOX_QUERY_SECONDS = 2.0  # a scrape must not hang on a slow database


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    golive: Golive
    gateways: dict[str, ChatGateway] = field(default_factory=dict)  # by platform
    notes: list[str] = field(default_factory=list)  # what is enabled and why, for start-up
    # The scheduler's own connections (PostgreSQL): a burst of commands queued on one
    # poll's lock must not take every pooled connection from the sweep and delivery.
    background: Database | None = None

    @property
    def secret_type(self) -> TypeEngine[str]:
        """The column type that stores text encrypted with GOLIVE_SECRET_KEY (for the Slack
        OAuth store's tokens)."""
        return EncryptedText()

    @property
    def background_database(self) -> Database:
        return self.background or self.database

    async def close(self) -> None:
        if self.background is not None:
            await self.background.dispose()
        await self.database.dispose()


def open_database(settings: Settings, **options: int) -> Database:
    """The database of ``settings``, with GOLIVE_SECRET_KEY for its encrypted columns."""
    return Database(settings.database_url, secret_key=settings.secret_key, **options)


async def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Open (and create or upgrade) the database and build the core over it."""
    i18n.install()
    database = open_database(settings)
    try:
        # Now, not at the first token or vote: PostgreSQL without a key stops start-up,
        # and SQLite's key file is made (with a warning to back it up) on first start.
        database.secret_keys.keyring()
    except SecretKeyError as error:
        await database.dispose()
        raise SettingsError(str(error)) from None
    await database.upgrade()
    clock = clock or SystemClock()
    gateways: dict[str, ChatGateway] = {}
    golive = Golive(
        uow_factory=database.uow,
        clock=clock,
        gateways=gateways,
        default_timezone=settings.golive_timezone,
        admins=settings.admins,
        charts=render_kpi_chart,
        observe=observe_command,
    )
    background = (
        open_database(settings, pool_size=BACKGROUND_POOL) if database.is_postgres else None
    )
    return Runtime(
        settings=settings,
        database=database,
        clock=clock,
        golive=golive,
        gateways=gateways,
        notes=[database.secret_keys.describe()],
        background=background,
    )


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """200 when the database answers and is migrated, else 503 with a problem text that
    names no host, port or database (anyone can call this); the details go to the log,
    once each time they change."""
    runtime: Runtime = request.app[RUNTIME]  # type: ignore[assignment]
    problems = await runtime.database.problems()
    details = [problem.detail for problem in problems]
    logged = request.app[READY_LOGGED]
    if details != logged:
        for detail in details:
            log.warning("not ready: %s", detail)
        if not details:
            log.info("ready again")
        logged[:] = details
    public = [problem.public for problem in problems]
    status = 200 if not problems else 503
    return web.json_response({"ready": not problems, "problems": public}, status=status)


async def metrics(request: web.Request) -> web.Response:
    runtime: Runtime = request.app[RUNTIME]  # type: ignore[assignment]
    try:
        await asyncio.wait_for(refresh_outbox_gauges(runtime), OUTBOX_QUERY_SECONDS)
    except Exception as error:  # the other metrics still matter when the database does not
        log.warning("outbox metrics not refreshed: %s", type(error).__name__)
    body, content_type = exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def refresh_outbox_gauges(runtime: Runtime) -> None:
    """Outbox rows by status and the age of the oldest pending one, read when /metrics is
    scraped: two aggregate queries (the status index serves the second)."""
    async with runtime.database.engine.connect() as connection:
        by_status = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        counts: dict[str, int] = {
            str(status): int(count) for status, count in await connection.execute(by_status)
        }
        oldest = (
            await connection.execute(
                select(func.min(outbox.c.created_at)).where(outbox.c.status == OutboxStatus.PENDING)
            )
        ).scalar()
    for status in OutboxStatus:
        OUTBOX_DEPTH.labels(status=status.value).set(counts.get(status.value, 0))
    age = (runtime.clock.now() - oldest).total_seconds() if oldest is not None else 0.0
    OUTBOX_OLDEST_SECONDS.set(max(0.0, age))


def build_web_app(runtime: Runtime) -> web.Application:
    app = web.Application()
    app[RUNTIME] = runtime
    app[READY_LOGGED] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    store = TeamsConversationStore(runtime.database.engine)
    # Slack's replay guard and event dedupe: in the database, so every replica shares them.
    seen = SeenKeyStore(runtime.database.engine)
    for added in (setup_slack(runtime, app, seen=seen), setup_teams(runtime, app, store=store)):
        register(runtime, added)
    return app


def register(runtime: Runtime, added: Added) -> None:
    """Make what a platform's set-up added known: its gateway (the core and the outbox
    look gateways up per call) and its start-up line."""
    if added.gateway is not None:
        runtime.gateways[added.platform] = added.gateway
    runtime.notes.append(added.note)
