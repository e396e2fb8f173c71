"""campaigns across communities: operators, campaigns, the communities' regions and the
purchases heads adopted from a campaign with their part of its packs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region", sa.String(length=64), server_default="", nullable=False)
        )
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("campaign_title", sa.String(length=255), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("allotment", sa.JSON(), server_default="[]", nullable=False))
        batch_op.create_index(batch_op.f("ix_purchases_campaign_id"), ["campaign_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("supplier", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("cut_off", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery", sa.Date(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("commission_kind", sa.String(length=16), nullable=False),
        sa.Column("commission_percent", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ordered", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("supplied", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_operator_id"), "campaigns", ["operator_id"])
    op.create_index(op.f("ix_campaigns_cut_off"), "campaigns", ["cut_off"])
    op.create_index(op.f("ix_campaigns_status"), "campaigns", ["status"])
    op.create_table(
        "platform_roles",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_platform_roles")),
    )


def downgrade() -> None:
    op.drop_table("platform_roles")
    op.drop_index(op.f("ix_campaigns_status"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_cut_off"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_operator_id"), table_name="campaigns")
    op.drop_table("campaigns")
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchases_campaign_id"))
        batch_op.drop_column("allotment")
        batch_op.drop_column("campaign_title")
        batch_op.drop_column("campaign_id")
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("region")
