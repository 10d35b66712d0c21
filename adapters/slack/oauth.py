"""Many workspaces through OAuth: installations and OAuth state in golive's own database.

slack_sdk's SQLAlchemy stores keep their own MetaData; :data:`METADATA` describes the same
tables so the Alembic migrations can create them with the rest of golive's schema. The
token columns are encrypted at rest: the composition root hands the store storage's
encrypted column type (this package never imports storage).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import (
    AsyncSQLAlchemyOAuthStateStore,
    SQLAlchemyOAuthStateStore,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.types import TypeEngine

from adapters.slack.gateway import ClientFor, make_client
from bot.delivery.models import DeliveryFailed

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
STATES_TABLE = "slack_oauth_states"
STATE_EXPIRATION_SECONDS = 600

# What someone holding a backup must not be able to use: the tokens, and an incoming
# webhook's URL (anyone with it can post).
SECRET_COLUMNS: dict[str, tuple[str, ...]] = {
    INSTALLATIONS_TABLE: (
        "bot_token",
        "bot_refresh_token",
        "user_token",
        "user_refresh_token",
        "incoming_webhook_url",
    ),
    BOTS_TABLE: ("bot_token", "bot_refresh_token"),
}

# The bot scopes golive asks for (the same list as the app manifest).
SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "files:write",
    "channels:read",
    "groups:read",
    "mpim:read",
]


def _metadata() -> sqlalchemy.MetaData:
    metadata = sqlalchemy.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)
    with_secret_columns(metadata, sqlalchemy.Text())
    return metadata


def with_secret_columns(metadata: sqlalchemy.MetaData, secret_type: TypeEngine[str]) -> None:
    """Give the token columns of slack_sdk's tables in ``metadata`` the type ``secret_type``
    (the rest of each table as slack_sdk declares it)."""
    for name, columns in SECRET_COLUMNS.items():
        sqlalchemy.Table(
            name,
            metadata,
            *(sqlalchemy.Column(column, secret_type) for column in columns),
            extend_existing=True,
        )


METADATA = _metadata()
"""slack_sdk's installation, bot and OAuth state tables, for the Alembic migrations (the
token columns as the TEXT the encrypted values are stored in)."""


def installation_store(
    client_id: str, engine: Any, *, secret_type: TypeEngine[str]
) -> AsyncSQLAlchemyInstallationStore:
    """slack_sdk's store over golive's database, its tokens written and read through
    ``secret_type`` (storage's encrypted text, from the composition root)."""
    store = AsyncSQLAlchemyInstallationStore(
        client_id=client_id,
        engine=engine,
        installations_table_name=INSTALLATIONS_TABLE,
        bots_table_name=BOTS_TABLE,
    )
    # The store builds its tables in its own MetaData; every query it makes goes through
    # these Table objects, so the token columns encrypt and decrypt transparently.
    with_secret_columns(store.metadata, secret_type)
    return store


def state_store(engine: Any) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, table_name=STATES_TABLE
    )


def oauth_settings(
    *,
    client_id: str,
    client_secret: str,
    installation_store: AsyncSQLAlchemyInstallationStore,
    state_store: AsyncSQLAlchemyOAuthStateStore,
) -> AsyncOAuthSettings:
    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=SCOPES,
        installation_store=installation_store,
        state_store=state_store,
    )


def client_for_installations(store: AsyncSQLAlchemyInstallationStore, base_url: str) -> ClientFor:
    """A client with the newest bot token installed in a team (one client per token)."""
    clients: dict[str, AsyncWebClient] = {}

    async def client_for(team_id: str) -> AsyncWebClient:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise DeliveryFailed(f"golive is not installed in {team_id}", permanent=True)
        token = bot.bot_token
        if token not in clients:
            clients[token] = make_client(token, base_url)
        return clients[token]

    return client_for
