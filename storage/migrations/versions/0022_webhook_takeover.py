"""a poller's take-over of the webhook's updates, recorded for the webhook workers to see

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_takeover",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_takeover")),
    )


def downgrade() -> None:
    op.drop_table("webhook_takeover")
