"""moq notices: what the head was told last of each purchase's minimum, kept apart from the
outbox (which forgets sent messages after a month, and a forgotten person's at once)

An open purchase takes what the outbox still says: its newest minimum notice to the head.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


purchases = sa.table("purchases", sa.column("id", sa.Integer()), sa.column("status", sa.String()))
outbox = sa.table("outbox", sa.column("id", sa.Integer()), sa.column("key", sa.String()))
moq_notices = sa.table(
    "moq_notices", sa.column("purchase_id", sa.Integer()), sa.column("reached", sa.Boolean())
)


def upgrade() -> None:
    op.create_table(
        "moq_notices",
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_moq_notices_purchase_id_purchases")
        ),
        sa.PrimaryKeyConstraint("purchase_id", name=op.f("pk_moq_notices")),
    )
    bind = op.get_bind()
    open_ids = set(bind.scalars(sa.select(purchases.c.id).where(purchases.c.status == "open")))
    # Keys are moq:<purchase>:<event>:reached or :lost; the newest of a purchase is what she
    # was told last.
    keys = bind.scalars(
        sa.select(outbox.c.key).where(outbox.c.key.startswith("moq:")).order_by(outbox.c.id)
    )
    last: dict[int, bool] = {}
    for key in keys:
        parts = key.split(":")
        if len(parts) == 4 and parts[1].isdigit() and int(parts[1]) in open_ids:
            last[int(parts[1])] = parts[3] == "reached"
    if last:
        bind.execute(
            moq_notices.insert(),
            [{"purchase_id": pid, "reached": reached} for pid, reached in sorted(last.items())],
        )


def downgrade() -> None:
    op.drop_table("moq_notices")
