"""Alembic environment: runs on the connection that storage.migrate hands over."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from storage.schema import metadata
from storage.table_base import DecimalText, UTCDateTime


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as the plain types they store, so migrations import no models."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(item, DecimalText):
        return "sa.String(length=32)"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `groupbuy migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
