"""a card being posted: a purchase opens with its card row and no message yet

A draft left by the version before (a process stopped between saving it and posting its card,
which the next start used to finish) is opened with its card to be posted, as now, unless its
deadline has passed: then it stays a draft, as that start would have discarded it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


purchases = sa.table(
    "purchases",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("community_id", sa.BigInteger()),
    sa.column("deadline", sa.DateTime(timezone=True)),
)
purchase_cards = sa.table(
    "purchase_cards",
    sa.column("purchase_id", sa.Integer()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("message_id", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("purchase_cards", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.BigInteger(), nullable=True)
    bind = op.get_bind()
    now = datetime.now(UTC)
    drafts = bind.execute(
        sa.select(purchases.c.id, purchases.c.community_id, purchases.c.deadline).where(
            purchases.c.status == "draft"
        )
    )
    for purchase_id, chat_id, deadline in list(drafts):
        if deadline.replace(tzinfo=deadline.tzinfo or UTC) <= now:  # SQLite drops the offset
            continue
        bind.execute(purchases.update().where(purchases.c.id == purchase_id).values(status="open"))
        bind.execute(purchase_cards.delete().where(purchase_cards.c.purchase_id == purchase_id))
        bind.execute(purchase_cards.insert().values(purchase_id=purchase_id, chat_id=chat_id))


def downgrade() -> None:
    # A card still awaited: its purchase goes back to the draft that version posts at start-up.
    op.execute(
        "UPDATE purchases SET status = 'draft' WHERE status = 'open' AND id IN "
        "(SELECT purchase_id FROM purchase_cards WHERE message_id IS NULL)"
    )
    op.execute("DELETE FROM purchase_cards WHERE message_id IS NULL")
    with op.batch_alter_table("purchase_cards", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.BigInteger(), nullable=False)
