"""Microsoft Teams: botbuilder's CloudAdapter on golive's aiohttp server at /api/messages.

Every botbuilder import stays inside this package (botbuilder-python is archived).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from adapters.app import Runtime
    from adapters.platforms import Added
    from adapters.teams.references import ReferenceStore
    from adapters.teams.retry import RetryPolicy

ROUTE = "/api/messages"


def setup_teams(
    runtime: Runtime,
    app: web.Application,
    *,
    store: ReferenceStore,
    retry: RetryPolicy | None = None,
) -> Added:
    """Add POST /api/messages to ``app``; returns the Teams gateway.

    ``store`` keeps the conversation references; the composition root passes
    ``storage.teams.TeamsConversationStore(database.engine)``. Without an app id Teams runs
    unauthenticated (local mode), which only a loopback bind allows: bound anywhere else,
    Teams is off and the start-up line says why."""
    from adapters.platforms import Added
    from adapters.teams.adapter import GoliveAdapter
    from adapters.teams.bot import GoliveTeamsBot
    from adapters.teams.gateway import TeamsGateway
    from adapters.teams.local import is_loopback_host

    settings = runtime.settings
    if not settings.microsoft_app_id and not is_loopback_host(settings.golive_host):
        return Added(
            platform="teams",
            gateway=None,
            note=(
                f"Teams: off (MICROSOFT_APP_ID not set, and local mode without "
                f"authentication only runs on a loopback address, not {settings.golive_host}: "
                "set MICROSOFT_APP_ID, or GOLIVE_HOST=127.0.0.1)"
            ),
        )
    adapter = GoliveAdapter(settings, retry=retry)
    names: dict[tuple[str, str], str] = {}
    gateway = TeamsGateway(adapter=adapter, store=store, clock=runtime.clock, names=names)
    bot = GoliveTeamsBot(
        golive=runtime.golive, store=store, clock=runtime.clock, names=names, private_line=gateway
    )

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    app.router.add_post(ROUTE, messages)
    # Local mode's own warning (adapter.authentication) says who it serves.
    mode = "Bot Framework authentication" if settings.microsoft_app_id else "LOCAL MODE"
    return Added(platform="teams", gateway=gateway, note=f"Teams: {ROUTE} ({mode})")
