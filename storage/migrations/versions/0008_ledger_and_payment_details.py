"""the ledger of money, payment claims, payment details, numbered requests and offers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:02:00.000000

`payments` (one state and one paid amount per member) becomes two records that are only ever
appended to: `payment_claims` (a member said they paid) and `ledger_entries` (money the head
received or gave back). What was there is carried over: a confirmed or partly paid amount is a
payment received, a pending "I paid" an open claim, a rejected one a claim not found.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

purchases = sa.table("purchases", sa.column("id", sa.Integer), sa.column("head_id", sa.BigInteger))
payments = sa.table(
    "payments",
    sa.column("purchase_id", sa.Integer),
    sa.column("member_id", sa.BigInteger),
    sa.column("state", sa.String),
    sa.column("paid_minor", sa.BigInteger),
)
claims = sa.table(
    "payment_claims",
    sa.column("purchase_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("member_id", sa.BigInteger),
    sa.column("amount_minor", sa.BigInteger),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("state", sa.String),
)
entries = sa.table(
    "ledger_entries",
    sa.column("purchase_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("member_id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("amount_minor", sa.BigInteger),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("recorded_by", sa.BigInteger),
    sa.column("means", sa.String),
    sa.column("claim_number", sa.Integer),
)
codes = sa.table(
    "pickup_codes",
    sa.column("purchase_id", sa.Integer),
    sa.column("member_id", sa.BigInteger),
    sa.column("handed_over", sa.Boolean),
    sa.column("handed_over_at", sa.DateTime(timezone=True)),
    sa.column("handed_over_by", sa.BigInteger),
)
withdrawals = sa.table(
    "withdrawal_requests",
    sa.column("purchase_id", sa.Integer),
    sa.column("member_id", sa.BigInteger),
    sa.column("number", sa.Integer),
)
purchase_counters = sa.table(
    "purchases", sa.column("id", sa.Integer), sa.column("withdrawal_requests_made", sa.Integer)
)


def _now() -> datetime:
    # Stored as UTC wall time, as storage.table_base.UTCDateTime does on SQLite.
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def upgrade() -> None:
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pay_to", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("pay_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("transfer_offers_made", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("withdrawal_requests_made", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("withdrawal_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handed_over_by", sa.BigInteger(), nullable=True))
    op.create_table(
        "payment_claims",
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_payment_claims_purchase_id_purchases")
        ),
        sa.PrimaryKeyConstraint("purchase_id", "number", name=op.f("pk_payment_claims")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("means", sa.String(length=16), nullable=False),
        sa.Column("claim_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_ledger_entries_purchase_id_purchases")
        ),
        sa.PrimaryKeyConstraint("purchase_id", "number", name=op.f("pk_ledger_entries")),
    )
    bind = op.get_bind()
    now = _now()
    heads = dict(bind.execute(sa.select(purchases.c.id, purchases.c.head_id)).tuples().all())
    # Pending requests get numbers 1, 2, 3… per purchase, and the purchase counts them.
    made: dict[int, int] = {}
    for purchase_id, member_id in bind.execute(
        sa.select(withdrawals.c.purchase_id, withdrawals.c.member_id).order_by(
            withdrawals.c.purchase_id, withdrawals.c.member_id
        )
    ).tuples():
        made[purchase_id] = made.get(purchase_id, 0) + 1
        bind.execute(
            withdrawals.update()
            .where(withdrawals.c.purchase_id == purchase_id, withdrawals.c.member_id == member_id)
            .values(number=made[purchase_id])
        )
    for purchase_id, count in made.items():
        bind.execute(
            purchase_counters.update()
            .where(purchase_counters.c.id == purchase_id)
            .values(withdrawal_requests_made=count)
        )
    for purchase_id, member_id in bind.execute(
        sa.select(codes.c.purchase_id, codes.c.member_id).where(codes.c.handed_over.is_(True))
    ).tuples():
        bind.execute(
            codes.update()
            .where(codes.c.purchase_id == purchase_id, codes.c.member_id == member_id)
            .values(handed_over_at=now, handed_over_by=heads.get(purchase_id, 0))
        )
    numbers: dict[int, int] = {}
    rows = bind.execute(
        sa.select(payments).order_by(payments.c.purchase_id, payments.c.member_id)
    ).all()
    for row in rows:
        number = numbers[row.purchase_id] = numbers.get(row.purchase_id, 0) + 1
        if row.state in ("confirmed", "partly_paid") and row.paid_minor:
            bind.execute(
                entries.insert().values(
                    purchase_id=row.purchase_id, number=number, member_id=row.member_id,
                    kind="payment", amount_minor=row.paid_minor, at=now,
                    recorded_by=heads.get(row.purchase_id, 0), means="transfer",
                    claim_number=None,
                )
            )  # fmt: skip
        elif row.state in ("claimed", "rejected"):
            bind.execute(
                claims.insert().values(
                    purchase_id=row.purchase_id, number=number, member_id=row.member_id,
                    amount_minor=None, at=now,
                    state="open" if row.state == "claimed" else "not_found",
                )
            )  # fmt: skip
    op.drop_table("payments")
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.drop_column("handed_over")


def downgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_payments_purchase_id_purchases")
        ),
        sa.PrimaryKeyConstraint("purchase_id", "member_id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("handed_over", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    bind = op.get_bind()
    bind.execute(codes.update().where(codes.c.handed_over_at.is_not(None)).values(handed_over=True))
    # The old table knew one paid amount per member: what the ledger nets to.
    paid: dict[tuple[int, int], int] = {}
    for row in bind.execute(sa.select(entries)).all():
        sign = 1 if row.kind == "payment" else -1
        key = (row.purchase_id, row.member_id)
        paid[key] = paid.get(key, 0) + sign * row.amount_minor
    states = {key: "confirmed" for key, amount in paid.items() if amount > 0}
    for row in bind.execute(sa.select(claims).order_by(claims.c.number)).all():
        key = (row.purchase_id, row.member_id)
        if row.state in ("open", "not_found") and key not in states:
            states[key] = "claimed" if row.state == "open" else "rejected"
    for (purchase_id, member_id), state in states.items():
        amount = paid.get((purchase_id, member_id))
        bind.execute(
            payments.insert().values(
                purchase_id=purchase_id, member_id=member_id, state=state,
                paid_minor=amount if amount and amount > 0 else None,
            )
        )  # fmt: skip
    op.drop_table("ledger_entries")
    op.drop_table("payment_claims")
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.drop_column("handed_over_by")
        batch_op.drop_column("handed_over_at")
    with op.batch_alter_table("withdrawal_requests", schema=None) as batch_op:
        batch_op.drop_column("number")
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_column("withdrawal_requests_made")
        batch_op.drop_column("transfer_offers_made")
        batch_op.drop_column("pay_by")
        batch_op.drop_column("pay_to")
