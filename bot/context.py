"""Who is asking, from where: what every command runs with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Caller(BaseModel):
    """The person running a command, as the platform knows them.

    Ids are the platform's own (Slack ``U…``/``T…``/``C…``, Teams AAD ids and conversation
    ids, console handles). The core maps them to its rows.
    """

    model_config = ConfigDict(frozen=True)

    platform: str  # "slack" | "teams" | "console"
    workspace_id: str  # Slack team id, Teams tenant id, "console"
    user_id: str
    user_name: str | None = None
    channel_id: str | None = None  # where the command was typed
    channel_name: str | None = None
    is_admin: bool = False  # Slack workspace admin/owner, or listed in GOLIVE_ADMINS
    timezone: str | None = None  # IANA zone the platform reported, if any
    locale: str | None = None
