"""Alembic environment: runs on the connection storage.db hands over in
``config.attributes["connection"]``, or on a synchronous engine built from the
``sqlalchemy.url`` option (used by the revision script)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.types import TypeDecorator

from storage import mapping
from storage.base import metadata

mapping.configure()


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write storage's own column types as their database type, so migrations never
    import today's code (a migration must keep working after the code changes)."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave slack_sdk's OAuth tables (created by 0002 from their own MetaData) out of
    autogenerate's comparison, so a new revision never proposes to drop them."""
    return not (type_ == "table" and name is not None and name.startswith("slack_"))


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=include_name,
        render_item=render_item,
        render_as_batch=True,  # SQLite can ALTER a table only by copying it; batch does that
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url: see storage/migrations/README")
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    with engine.connect() as connection:
        run_on(connection)
        connection.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run()
