"""outbox urgency: a stop, an arrival, a pickup notice or a payment's answer is sent before
a digest or a reminder queued earlier; the sender's claim walks an index in that order

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        # Rows already queued keep their place among each other: all of them are "normal".
        batch_op.add_column(
            sa.Column("urgency", sa.SmallInteger(), server_default="1", nullable=False)
        )
        batch_op.drop_index("ix_outbox_status_next_attempt_at")
        batch_op.create_index(
            "ix_outbox_due", ["status", "urgency", "next_attempt_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index(
            "ix_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        batch_op.drop_column("urgency")
