"""seen keys

Keys seen recently, shared by every replica (storage.seen): Slack request signatures (the
replay guard) and event ids (event dedupe), each with an expiry.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_keys")),
    )
    with op.batch_alter_table("seen_keys", schema=None) as batch_op:
        batch_op.create_index("ix_seen_keys_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_seen_keys_expires_at")
    op.drop_table("seen_keys")
