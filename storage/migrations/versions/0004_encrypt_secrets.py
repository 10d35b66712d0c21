"""encrypt secrets at rest

OAuth tokens (slack_installations, slack_bots) and ballots (poll_votes.choice and .text)
become text encrypted with GOLIVE_SECRET_KEY (storage.secrets). The columns become TEXT: a
token's ciphertext outgrows VARCHAR(200), and an encrypted choice no longer passes the
enum's CHECK. The rows already there are encrypted here, in the same transaction, with the
functions storage.db hands over in ``config.attributes`` (a migration cannot read settings;
they ask for the key only when there is a row to change).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = {
    "slack_installations": (
        "bot_token",
        "bot_refresh_token",
        "user_token",
        "user_refresh_token",
        "incoming_webhook_url",
    ),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}
PAD_BYTES = 256  # storage.secrets.pad: a reason, or its absence, padded before encrypting
CHOICE = sa.Enum(
    "go",
    "conditional",
    "no-go",
    "abstain",
    name="choice",
    native_enum=False,
    create_constraint=True,
    length=32,
)


def pad(value: str | None) -> str:
    body = "\x02" if value is None else value + "\x01"
    return body + "\x00" * (-len(body.encode()) % PAD_BYTES)


def unpad(plain: str) -> str | None:
    body = plain.rstrip("\x00")
    return body[:-1] if body.endswith("\x01") else None


def upgrade() -> None:
    # Changing the type from the enum drops its CHECK constraint too (existing_type).
    with op.batch_alter_table("poll_votes") as batch:
        batch.alter_column("choice", existing_type=CHOICE, type_=sa.Text(), existing_nullable=True)
    for name, columns in TOKENS.items():
        with op.batch_alter_table(name) as batch:
            for column in columns:
                batch.alter_column(
                    column, existing_type=sa.String(200), type_=sa.Text(), existing_nullable=True
                )

    encrypt = _secret_function("encrypt_secret")
    for name, columns in TOKENS.items():
        _change(name, columns, _each_value(columns, lambda value: encrypt()(value)))

    def ballot(row: sa.RowMapping) -> Mapping[str, str]:
        text = {"text": encrypt()(pad(row["text"]))}
        return text if row["choice"] is None else {"choice": encrypt()(row["choice"]), **text}

    _change("poll_votes", ("choice", "text"), ballot)


def downgrade() -> None:
    decrypt = _secret_function("decrypt_secret")

    def ballot(row: sa.RowMapping) -> dict[str, str | None]:
        choice, text = row["choice"], row["text"]
        return {
            "choice": None if choice is None else decrypt()(choice),
            "text": None if text is None else unpad(decrypt()(text)),
        }

    _change("poll_votes", ("choice", "text"), ballot)
    for name, columns in TOKENS.items():
        _change(name, columns, _each_value(columns, lambda value: decrypt()(value)))

    for name, columns in TOKENS.items():
        with op.batch_alter_table(name) as batch:
            for column in columns:
                batch.alter_column(
                    column, existing_type=sa.Text(), type_=sa.String(200), existing_nullable=True
                )
    with op.batch_alter_table("poll_votes") as batch:
        batch.alter_column("choice", existing_type=sa.Text(), type_=CHOICE, existing_nullable=True)


def _secret_function(name: str) -> Callable[[], Callable[[str], str]]:
    """The key's function, looked up only when a row needs it: an empty database (and
    alembic run by hand on one) migrates without a key."""

    def function() -> Callable[[str], str]:
        found: Callable[[str], str] | None = context.config.attributes.get(name)
        if found is None:
            raise RuntimeError(
                "rows to encrypt or decrypt with GOLIVE_SECRET_KEY: run `golive migrate` "
                "(or `golive serve`) with it set, not alembic by hand"
            )
        return found

    return function


def _each_value(
    columns: tuple[str, ...], function: Callable[[str], str]
) -> Callable[[sa.RowMapping], Mapping[str, str | None]]:
    """A row change applying ``function`` to each value present in ``columns``."""
    return lambda row: {c: function(row[c]) for c in columns if row[c] is not None}


def _change(
    name: str,
    columns: tuple[str, ...],
    change: Callable[[sa.RowMapping], Mapping[str, str | None]],
) -> None:
    """Rewrite each row of ``name`` with a value in one of ``columns`` as ``change`` says."""
    raw = sa.table(name, sa.column("id"), *(sa.column(c, sa.Text()) for c in columns))
    connection = op.get_bind()
    present = sa.or_(*(raw.c[c].is_not(None) for c in columns))
    rows = connection.execute(sa.select(raw).where(present).order_by(raw.c.id)).mappings().all()
    for row in rows:
        values = change(row)
        if values:
            connection.execute(sa.update(raw).where(raw.c.id == row["id"]).values(values))
