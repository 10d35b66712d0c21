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
    ``storage.teams.TeamsConversationStore(database.engine)``."""
    from adapters.platforms import Added
    from adapters.teams.adapter import GoliveAdapter
    from adapters.teams.bot import GoliveTeamsBot
    from adapters.teams.gateway import TeamsGateway

    adapter = GoliveAdapter(runtime.settings, retry=retry)
    names: dict[tuple[str, str], str] = {}
    gateway = TeamsGateway(adapter=adapter, store=store, clock=runtime.clock, names=names)
    bot = GoliveTeamsBot(
        golive=runtime.golive, store=store, clock=runtime.clock, names=names, private_line=gateway
    )

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    app.router.add_post(ROUTE, messages)
    mode = "Bot Framework authentication" if runtime.settings.microsoft_app_id else "LOCAL MODE"
    return Added(platform="teams", gateway=gateway, note=f"Teams: {ROUTE} ({mode})")
