"""purchase helpers: neighbours who hand goods over with the head

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purchase_helpers",
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchases.id"],
            name=op.f("fk_purchase_helpers_purchase_id_purchases"),
        ),
        sa.PrimaryKeyConstraint("purchase_id", "user_id", name=op.f("pk_purchase_helpers")),
    )
    with op.batch_alter_table("purchase_helpers", schema=None) as batch_op:
        batch_op.create_index("ix_purchase_helpers_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("purchase_helpers", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_helpers_user_id")
    op.drop_table("purchase_helpers")
