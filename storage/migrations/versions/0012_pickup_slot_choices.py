"""pickup slots with numbers and capacity, and the slot each member chose

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pickup_slots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
    # Slots so far were named by their position: they keep that name, counted from 1.
    op.execute("UPDATE pickup_slots SET number = position + 1")
    op.create_table(
        "pickup_choices",
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchases.id"],
            name=op.f("fk_pickup_choices_purchase_id_purchases"),
        ),
        sa.PrimaryKeyConstraint("purchase_id", "member_id", name=op.f("pk_pickup_choices")),
    )


def downgrade() -> None:
    op.drop_table("pickup_choices")
    with op.batch_alter_table("pickup_slots", schema=None) as batch_op:
        batch_op.drop_column("capacity")
        batch_op.drop_column("number")
