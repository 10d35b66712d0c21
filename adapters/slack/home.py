"""The App Home tab: the core's ``home`` view (what needs the person), published as
Slack's Home view, or a welcome for someone golive has never met."""

from __future__ import annotations

from typing import Any

from adapters.slack import render
from bot.i18n import _
from bot.messages import Block, Header, Message, Paragraph, bold, spans


def home_view(view: Message | None) -> dict[str, Any]:
    """The Home tab for ``views.publish``: the core's view, else the welcome."""
    return render.home_view(view.blocks if view is not None else welcome())


def welcome() -> list[Block]:
    """The Home tab of someone golive has never met: where to start."""
    return [
        Header(text=_("golive")),
        Paragraph(
            spans=spans(_("Nothing here yet. Type "), bold("/golive help"), _(" to get started."))
        ),
    ]
