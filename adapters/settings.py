"""Configuration from the environment (and a ``.env`` file), read once by the composition
root. A bad value stops start-up with one line naming the variable."""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.delivery.scheduled import PRUNE_AFTER, PRUNE_MIN_AGE

RETENTION_MAX_DAYS = 36500  # a century: any longer is "forever" (0 for audit entries)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = Field("sqlite:///golive.db", alias="DATABASE_URL")
    golive_host: str = Field("127.0.0.1", alias="GOLIVE_HOST")
    golive_port: int = Field(3978, alias="GOLIVE_PORT", ge=1, le=65535)
    golive_timezone: str = Field("UTC", alias="GOLIVE_TIMEZONE")
    golive_admins: str = Field("", alias="GOLIVE_ADMINS")
    golive_log_format: str = Field("auto", alias="GOLIVE_LOG_FORMAT", pattern="^(auto|json|text)$")

    # Tuning: how often the leader sweeps and every replica delivers the outbox.
    golive_sweep_seconds: float = Field(60.0, alias="GOLIVE_SWEEP_SECONDS", gt=0, le=3600)
    golive_delivery_seconds: float = Field(5.0, alias="GOLIVE_DELIVERY_SECONDS", gt=0, le=600)

    # Retention (docs/data-protection.md), applied by the sweep: audit entries (0: kept
    # forever) and sent messages; the decision log is never pruned.
    golive_audit_retention_days: int = Field(
        0, alias="GOLIVE_AUDIT_RETENTION_DAYS", ge=0, le=RETENTION_MAX_DAYS
    )
    golive_outbox_retention_days: int = Field(
        PRUNE_AFTER.days,
        alias="GOLIVE_OUTBOX_RETENTION_DAYS",
        ge=PRUNE_MIN_AGE.days,  # younger rows still guard against duplicates
        le=RETENTION_MAX_DAYS,
    )

    # Seconds one send to Slack or Teams may take before it is retried later.
    golive_send_timeout_seconds: float = Field(
        3.0, alias="GOLIVE_SEND_TIMEOUT_SECONDS", gt=0, le=60
    )

    # Fernet keys, comma-separated, newest first: they encrypt OAuth tokens and open
    # ballots in the database (docs/security.md). Unset: a key file beside a SQLite
    # database; PostgreSQL refuses to start.
    golive_secret_key: SecretStr | None = Field(None, alias="GOLIVE_SECRET_KEY")

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")

    microsoft_app_id: str = Field("", alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr = Field(SecretStr(""), alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str = Field("", alias="MICROSOFT_APP_TENANT_ID")
    microsoft_app_type: str = Field("MultiTenant", alias="MICROSOFT_APP_TYPE")

    @field_validator("golive_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"not an IANA time zone: {value!r}") from error
        return value

    @field_validator("golive_secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        keys = [k.strip() for k in (value.get_secret_value() if value else "").split(",")]
        keys = [key for key in keys if key]
        for index, key in enumerate(keys, 1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ValueError(  # never the value: the message is printed
                    f"key {index} of {len(keys)} is not a Fernet key (32 url-safe "
                    "base64-encoded bytes; `golive rotate-key --generate` prints a new one)"
                ) from None
        return SecretStr(",".join(keys)) if keys else None

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def secret_key(self) -> str | None:
        """GOLIVE_SECRET_KEY's keys, comma-separated, newest first (None when unset)."""
        return self.golive_secret_key.get_secret_value() if self.golive_secret_key else None

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.golive_admins.split(",") if a.strip())


class SettingsError(Exception):
    """One line naming the variable and what is expected; never the value of a secret."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        raise SettingsError(f"{name}: {first['msg']}") from None


def operator_database_url(given: str | None) -> str | None:
    """The database an operator command works on: its ``--database-url``, else
    ``DATABASE_URL``; None, with the configuration error printed, when settings do not load."""
    if given:
        return given
    try:
        return load_settings().database_url
    except SettingsError as error:
        print(f"golive: configuration error: {error}", file=sys.stderr)
        return None
