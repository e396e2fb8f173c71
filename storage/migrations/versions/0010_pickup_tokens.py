"""pickup tokens: the unguessable part of a member's pickup QR code

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:20:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

codes = sa.table(
    "pickup_codes",
    sa.column("purchase_id", sa.Integer),
    sa.column("member_id", sa.BigInteger),
    sa.column("token", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))
    # Codes handed out before get a token too, so their members' QR codes can be sent.
    bind = op.get_bind()
    rows = bind.execute(sa.select(codes.c.purchase_id, codes.c.member_id)).all()
    for purchase_id, member_id in rows:
        bind.execute(
            codes.update()
            .where(codes.c.purchase_id == purchase_id, codes.c.member_id == member_id)
            .values(token=secrets.token_urlsafe(16))
        )
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.create_index("ix_pickup_codes_token", ["token"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_pickup_codes_token")
        batch_op.drop_column("token")
