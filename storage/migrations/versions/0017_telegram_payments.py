"""payments made in Telegram: the charge ids of a ledger entry, a community's own provider token

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_token", sa.String(length=255), nullable=True))
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_charge_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("provider_charge_id", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_ledger_entries_telegram_charge_id"), ["telegram_charge_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ledger_entries_telegram_charge_id"), type_="unique")
        batch_op.drop_column("provider_charge_id")
        batch_op.drop_column("telegram_charge_id")

    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("payment_token")
