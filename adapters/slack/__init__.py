"""Slack: Bolt listeners, Block Kit rendering, the chat gateway, OAuth and the App Home."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.app import Runtime
    from adapters.platforms import Added
    from adapters.slack.replay import SeenKeys


def setup_slack(runtime: Runtime, app: web.Application, *, seen: SeenKeys) -> Added:
    """Add Slack to golive's web server (see :func:`adapters.slack.app.setup_slack`)."""
    from adapters.slack.app import setup_slack as setup

    return setup(runtime, app, seen=seen)
