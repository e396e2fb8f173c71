"""order editors: where each member's latest order editor is, so the stop redraws it

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_editors",
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchases.id"],
            name=op.f("fk_order_editors_purchase_id_purchases"),
        ),
        sa.PrimaryKeyConstraint("purchase_id", "user_id", name=op.f("pk_order_editors")),
    )
    with op.batch_alter_table("order_editors", schema=None) as batch_op:
        batch_op.create_index("ix_order_editors_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_editors", schema=None) as batch_op:
        batch_op.drop_index("ix_order_editors_user_id")
    op.drop_table("order_editors")
