"""a purchase (and a campaign's default) open to anyone with the card's link

Purchases already stored stay for their community's members (the column's default), as
every purchase is from this version on unless its head opens it to anyone with the link.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): a batch would copy the purchases table, which the
    # rows referring to it forbid.
    for table in ("purchases", "campaigns"):
        op.add_column(
            table,
            sa.Column("open_to_link", sa.Boolean(), server_default=sa.false(), nullable=False),
        )


def downgrade() -> None:
    for table in ("campaigns", "purchases"):  # DROP COLUMN in place (SQLite 3.35 and later)
        op.drop_column(table, "open_to_link")
