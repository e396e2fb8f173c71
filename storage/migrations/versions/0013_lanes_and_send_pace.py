"""the inbox's lanes (one person's updates, handled by one process at a time) and the shared
send pace of several bot processes, the card edits they ask of the leader, and
each purchase's layout version (what a cached copy must re-read)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("layout_version", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_inbox_lane_handled_at", ["lane", "handled_at"], unique=False)
        batch_op.create_index(
            "ix_inbox_handled_at_received_at", ["handled_at", "received_at"], unique=False
        )
    op.create_table(
        "send_pace",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_send_pace")),
    )

    op.create_table(
        "card_requests",
        sa.Column("purchase_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("purchase_id", name=op.f("pk_card_requests")),
    )


def downgrade() -> None:
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_column("layout_version")
    op.drop_table("card_requests")
    op.drop_table("send_pace")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_handled_at_received_at")
        batch_op.drop_index("ix_inbox_lane_handled_at")
        batch_op.drop_column("lane")
