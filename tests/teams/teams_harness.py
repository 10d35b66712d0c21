"""golive's real HTTP server with Teams set up (build_runtime + build_web_app +
setup_teams) on a free loopback port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from adapters.app import Runtime, build_runtime, build_web_app
from adapters.settings import load_settings
from adapters.teams.gateway import TeamsGateway
from adapters.teams.retry import RetryPolicy
from bot.clock import MovableClock


@dataclass
class Golive:
    """One running golive: its runtime, its HTTP address and its Teams gateway."""

    runtime: Runtime
    gateway: TeamsGateway
    url: str
    runner: web.AppRunner
    session: aiohttp.ClientSession
    waits: list[float] = field(default_factory=list)  # backoff the retries asked for

    async def post(
        self, activity: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST an activity to /api/messages; the status and the JSON body, if any."""
        async with self.session.post(
            self.url + "/api/messages", json=activity, headers=headers or {}
        ) as response:
            body = await response.json() if response.content_type == "application/json" else None
            return response.status, body

    async def post_raw(
        self, body: bytes, *, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """POST any bytes to /api/messages (as JSON unless ``headers`` say otherwise)."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        async with self.session.post(
            self.url + "/api/messages", data=body, headers=sent
        ) as response:
            return response.status, await response.read()

    async def stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()
        await self.runtime.database.dispose()


async def start_golive(
    database_url: str,
    clock: MovableClock,
    *,
    app_id: str = "",
    core: Any = None,
    host: str = "127.0.0.1",
    middlewares: Sequence[Any] = (),
) -> Golive:
    """build_runtime + build_web_app (which calls setup_teams) on 127.0.0.1:0, as
    `golive serve` does;
    ``core`` replaces the Golive facade (a scripted core that records what it was asked);
    ``host`` is the bind address golive is told (GOLIVE_HOST) while the socket stays on
    loopback; ``middlewares`` run before golive's handlers (a forged peer address)."""
    running = await start_server(
        database_url, clock, app_id=app_id, core=core, host=host, middlewares=middlewares
    )
    assert isinstance(running.gateway, TeamsGateway), "Teams is off"
    return running


async def start_server(
    database_url: str,
    clock: MovableClock,
    *,
    app_id: str = "",
    core: Any = None,
    host: str = "127.0.0.1",
    middlewares: Sequence[Any] = (),
) -> Golive:
    """As :func:`start_golive`, also when Teams is off (then ``gateway`` is None)."""
    settings = load_settings(
        DATABASE_URL=database_url, MICROSOFT_APP_ID=app_id, GOLIVE_TIMEZONE="UTC", GOLIVE_HOST=host
    )
    runtime = await build_runtime(settings, clock=clock)
    if core is not None:
        runtime.golive = core
    app = build_web_app(runtime)
    app.middlewares.extend(middlewares)
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    gateway = runtime.gateways.get("teams")
    if isinstance(gateway, TeamsGateway):
        gateway.adapter.retry = RetryPolicy(sleep=no_wait)  # record the backoff, never wait
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return Golive(
        runtime=runtime,
        gateway=gateway,  # None when Teams is off (start_server only)
        url=f"http://127.0.0.1:{port}",
        runner=runner,
        session=aiohttp.ClientSession(),
        waits=waits,
    )
