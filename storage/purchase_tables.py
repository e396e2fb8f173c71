"""A purchase's tables: its row and its children (items, slots, members, the order log,
pickup, money, the supplier's confirmation), the events it raised and what its head was told
of them; and the same tables as SQLAlchemy Core sees them, which the repositories query."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.table_base import Base


class PurchaseRow(Base):
    __tablename__ = "purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("communities.chat_id"), index=True
    )
    head_id: Mapped[int] = mapped_column(BigInteger, index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    supplier: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)
    deadline: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    moq_units: Mapped[int | None]
    moq_minor: Mapped[int | None] = mapped_column(BigInteger)
    fee_percent: Mapped[Decimal]
    delivery_minor: Mapped[int | None] = mapped_column(BigInteger)
    delivery_split: Mapped[str] = mapped_column(String(16))
    regions: Mapped[list[str]] = mapped_column(JSON)
    payment_mode: Mapped[str] = mapped_column(String(16))
    short_policy: Mapped[str] = mapped_column(String(16))
    extend_by_seconds: Mapped[int | None]
    extended: Mapped[bool] = mapped_column(Boolean)
    awaiting_head_decision: Mapped[bool] = mapped_column(Boolean)
    cancel_reason: Mapped[str] = mapped_column(Text)
    pay_to: Mapped[str] = mapped_column(Text, server_default="")
    pay_by: Mapped[datetime | None]
    pending_head_id: Mapped[int | None] = mapped_column(BigInteger)
    transfer_offers_made: Mapped[int] = mapped_column(server_default="0")
    withdrawal_window_ends: Mapped[datetime | None]
    withdrawal_requests_made: Mapped[int] = mapped_column(server_default="0")
    # [[member_id, item_id, grams], ...]: real weights of goods sold by weight.
    weights: Mapped[list[list[int]]] = mapped_column(JSON, server_default="[]")
    photo: Mapped[str] = mapped_column(String(255), server_default="")
    open_to_link: Mapped[bool] = mapped_column(server_default=false())
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    campaign_title: Mapped[str] = mapped_column(String(255), server_default="")
    # [[item_id, units], ...]: the community's part of its campaign's packs at the cut-off.
    allotment: Mapped[list[list[int]]] = mapped_column(JSON, server_default="[]")
    version: Mapped[int] = mapped_column()
    # The version that last changed a child other than by adding members and order requests:
    # a process whose cached copy has this layout catches up by reading only what was added
    # (storage/repositories.py), where several processes take turns changing one purchase.
    layout_version: Mapped[int] = mapped_column(server_default="0")


class ItemRow(Base):
    __tablename__ = "items"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str] = mapped_column(String(32))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    # [[min_units, unit_price_minor], ...], cheaper as the thresholds rise
    tiers: Mapped[list[list[int]]] = mapped_column(JSON)
    pack_size: Mapped[int]
    member_min: Mapped[int | None]
    member_max: Mapped[int | None]
    stock: Mapped[int | None]
    moq_units: Mapped[int | None]
    variant: Mapped[str] = mapped_column(String(64), server_default="")
    # The first variant's item id (0: no variants), and whether the group sells in full rows.
    group_id: Mapped[int] = mapped_column(server_default="0")
    in_rows: Mapped[bool] = mapped_column(Boolean, server_default=false())
    swaps: Mapped[bool] = mapped_column(Boolean, server_default=false())
    estimate_grams: Mapped[int | None]
    # A Telegram file id.
    photo: Mapped[str] = mapped_column(String(255), server_default="")


class PickupSlotRow(Base):
    __tablename__ = "pickup_slots"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    place: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The slot's name in members' choices, kept while the slot stays (positions shift).
    number: Mapped[int] = mapped_column(server_default="0")
    capacity: Mapped[int | None]  # members at most; none: no limit


class MemberRow(Base):
    __tablename__ = "members"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    joined_at: Mapped[datetime]


class OrderRequestRow(Base):
    """The append-only order log: rows are only ever inserted."""

    __tablename__ = "order_requests"
    __table_args__ = (
        ForeignKeyConstraint(["purchase_id", "item_id"], ["items.purchase_id", "items.item_id"]),
        Index("ix_order_requests_member_id", "member_id"),
    )

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigInteger)
    item_id: Mapped[int]
    firm_delta: Mapped[int]
    tolerance_delta: Mapped[int]
    at: Mapped[datetime]


class WithdrawalRequestRow(Base):
    __tablename__ = "withdrawal_requests"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(server_default="0")  # the head's buttons carry it


class PickupChoiceRow(Base):
    """The pickup slot a member chose, where a purchase has several."""

    __tablename__ = "pickup_choices"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    slot_number: Mapped[int]


class PickupCodeRow(Base):
    """A member's personal code for collecting their goods, unique within the purchase."""

    __tablename__ = "pickup_codes"
    __table_args__ = (UniqueConstraint("purchase_id", "code"),)

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(8))
    # The unguessable part of the member's QR code (a deep link into the bot); drawn by the
    # storage when the code is stored, never shown as text.
    token: Mapped[str | None] = mapped_column(String(32), index=True, unique=True)
    # When and by whom the goods were handed over; none while they wait to be picked up.
    handed_over_at: Mapped[datetime | None]
    handed_over_by: Mapped[int | None] = mapped_column(BigInteger)


class PurchaseHelperRow(Base):
    """A neighbour who hands goods over at the pickup with the head."""

    __tablename__ = "purchase_helpers"
    __table_args__ = (Index("ix_purchase_helpers_user_id", "user_id"),)

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))


class PaymentClaimRow(Base):
    """A member said they paid: how much they owed then, and what the head answered."""

    __tablename__ = "payment_claims"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))


class LedgerEntryRow(Base):
    """Money that moved between a member and the head; rows are only ever inserted."""

    __tablename__ = "ledger_entries"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    recorded_by: Mapped[int] = mapped_column(BigInteger)
    means: Mapped[str] = mapped_column(String(16))
    claim_number: Mapped[int | None]
    # A payment made in Telegram: its charge ids. Telegram's is unique, so no charge is
    # recorded twice even by two processes at once.
    telegram_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_charge_id: Mapped[str | None] = mapped_column(String(255))


class SupplyConfirmationRow(Base):
    """What the supplier confirmed of one item after the stop."""

    __tablename__ = "supply_confirmations"
    __table_args__ = (
        ForeignKeyConstraint(["purchase_id", "item_id"], ["items.purchase_id", "items.item_id"]),
    )

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    units: Mapped[int]
    unit_price_minor: Mapped[int | None] = mapped_column(BigInteger)


class DomainEventRow(Base):
    """Every domain event, written in the same transaction as the change that raised it; the
    notifier turns them into outbox messages and marks them handled."""

    __tablename__ = "domain_events"
    __table_args__ = (
        Index("ix_domain_events_handled_at_id", "handled_at", "id"),
        Index("ix_domain_events_purchase_id_kind", "purchase_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class HeadDigestRow(Base):
    """When the head last got a digest of a purchase, so digests come at most once a minute."""

    __tablename__ = "head_digests"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    last_sent_at: Mapped[datetime]


class MoqNoticeRow(Base):
    """What the head was told last of a purchase's minimum (reached or not), so the next
    notice follows it, however long ago that was and whatever the outbox has forgotten."""

    __tablename__ = "moq_notices"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    reached: Mapped[bool] = mapped_column(Boolean)


# The same tables as SQLAlchemy Core sees them: what the repositories query.
_tables = Base.metadata.tables
purchases = _tables[PurchaseRow.__tablename__]
items = _tables[ItemRow.__tablename__]
slots = _tables[PickupSlotRow.__tablename__]
members = _tables[MemberRow.__tablename__]
requests = _tables[OrderRequestRow.__tablename__]
withdrawals = _tables[WithdrawalRequestRow.__tablename__]
helpers = _tables[PurchaseHelperRow.__tablename__]
codes = _tables[PickupCodeRow.__tablename__]
choices = _tables[PickupChoiceRow.__tablename__]
claims = _tables[PaymentClaimRow.__tablename__]
entries = _tables[LedgerEntryRow.__tablename__]
supplies = _tables[SupplyConfirmationRow.__tablename__]
