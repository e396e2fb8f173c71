"""pickup points, delivery routes, drivers, ratings and scorecard thresholds

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drivers",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_drivers")),
    )
    op.create_table(
        "route_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("fleet", sa.JSON(), nullable=False),
        sa.Column("tariff", sa.JSON(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("delivered", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("problems", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("board_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("board_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_plans")),
    )
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_route_plans_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_route_plans_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_route_plans_operator_id"), ["operator_id"], unique=False
        )

    op.create_table(
        "score_thresholds",
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("measure", name=op.f("pk_score_thresholds")),
    )
    op.create_table(
        "ratings",
        sa.Column("purchase_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("head_id", sa.BigInteger(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_ratings_purchase_id_purchases")
        ),
        sa.PrimaryKeyConstraint("purchase_id", "member_id", name=op.f("pk_ratings")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_head_id"), ["head_id"], unique=False)

    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pickup_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("pickup_lon", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("pickup_address", sa.String(length=200), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("pickup_address")
        batch_op.drop_column("pickup_lon")
        batch_op.drop_column("pickup_lat")

    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_head_id"))

    op.drop_table("ratings")
    op.drop_table("score_thresholds")
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_plans_operator_id"))
        batch_op.drop_index(batch_op.f("ix_route_plans_day"))
        batch_op.drop_index(batch_op.f("ix_route_plans_campaign_id"))

    op.drop_table("route_plans")
    op.drop_table("drivers")
