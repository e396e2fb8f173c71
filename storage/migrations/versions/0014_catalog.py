"""the catalog: items' variants, rows, weights and photos, the purchase's photo and real
weights, and the price lists heads imported from their suppliers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("variant", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("group_id", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("in_rows", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("swaps", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("estimate_grams", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("photo", sa.String(length=255), server_default="", nullable=False)
        )
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weights", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("photo", sa.String(length=255), server_default="", nullable=False)
        )
    op.create_table(
        "price_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        sa.UniqueConstraint("head_id", "supplier", name=op.f("uq_price_lists_head_id_supplier")),
    )


def downgrade() -> None:
    op.drop_table("price_lists")
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_column("photo")
        batch_op.drop_column("weights")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("photo")
        batch_op.drop_column("estimate_grams")
        batch_op.drop_column("swaps")
        batch_op.drop_column("in_rows")
        batch_op.drop_column("group_id")
        batch_op.drop_column("variant")
