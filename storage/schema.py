"""The whole schema: every table module imported, so the one metadata holds every table.

Alembic's environment and the schema test compare the migrations against it; a table module
left out here would look to them like a table to drop.
"""

from __future__ import annotations

from storage import (  # noqa: F401 -- importing a table module adds its tables to the metadata
    campaign_tables,
    community_tables,
    erasure_tables,
    purchase_tables,
    receipts,
    telegram_tables,
)
from storage.table_base import metadata

__all__ = ["metadata"]
