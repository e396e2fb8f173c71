"""The database schema as SQLAlchemy 2 typed tables, kept apart from the domain's objects.

Money is integer minor units beside the purchase's currency code; instants are UTC and come
back timezone-aware on SQLite too; percentages are exact decimal text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant stored as UTC; SQLite, which drops the offset, gets it back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give an aware UTC instant")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal as text, since SQLite would round a NUMERIC through a float."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 -- SQLAlchemy reads it as is
        datetime: UTCDateTime,
        date: Date,
        Decimal: DecimalText,
        int: Integer,
    }


metadata = Base.metadata


class CommunityRow(Base):
    __tablename__ = "communities"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(16))
    open_rule: Mapped[str] = mapped_column(String(16))
    # Where the community is, as campaigns name the regions they serve.
    region: Mapped[str] = mapped_column(String(64), server_default="")
    # The pickup point on the map, where the delivery routes stop (none until a head says).
    pickup_lat: Mapped[float | None]
    pickup_lon: Mapped[float | None]
    pickup_address: Mapped[str] = mapped_column(String(200), server_default="")
    # The community's own payment provider token (Telegram Payments), set by a chat admin:
    # Fernet text under SECRETS_KEY (storage/secrets.py), never the token itself.
    payment_token_encrypted: Mapped[str | None] = mapped_column(Text)


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


class ProcessedUpdateRow(Base):
    """Telegram update ids already handled, so a redelivered update changes nothing."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class InboxRow(Base):
    """Every update from Telegram, written before Telegram is told it arrived (before the next
    getUpdates offset, before the webhook's answer), so a crash loses none: those not handled
    are handled at the next start."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_handled_at_update_id", "handled_at", "update_id"),
        Index("ix_inbox_lane_handled_at", "lane", "handled_at"),
        Index("ix_inbox_handled_at_received_at", "handled_at", "received_at"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Whose update it is, folded into a number (runtime/lanes.py): with several processes, one
    # person's updates are handled by one of them at a time, in order.
    lane: Mapped[int] = mapped_column(server_default="0")
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class OutboxRow(Base):
    """A message to deliver later, written in the same transaction as the change behind it."""

    __tablename__ = "outbox"
    # The sender's claim walks the due rows in the order it sends them (storage/outbox.py).
    __table_args__ = (Index("ix_outbox_due", "status", "urgency", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # The purchase the message is about, when there is one: whose head hears of a 403.
    purchase_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    # storage.outbox.Urgency: a stop or an arrival goes before a digest or a reminder.
    urgency: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class SendPaceRow(Base):
    """When the next message may go, for the whole bot (chat_id 0) and per chat: the send
    limits that several processes on one PostgreSQL share (runtime/shared_limits.py)."""

    __tablename__ = "send_pace"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    next_at: Mapped[datetime]


class CardRequestRow(Base):
    """A card to edit, asked by a process that does not lead of the one that does (which
    edits every card, so edits stay coalesced): kept, so a change of leader loses none."""

    __tablename__ = "card_requests"

    purchase_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    requested_at: Mapped[datetime]


class UnreachableMemberRow(Base):
    """A member a message about a purchase could not reach (blocked the bot, never started
    it): the head is told, once, in one message per purchase with everyone found meanwhile."""

    __tablename__ = "unreachable_members"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    noted_at: Mapped[datetime]
    told_at: Mapped[datetime | None] = mapped_column(index=True)


class ConversationRow(Base):
    """Where a person is in a multi-step conversation with the bot (the purchase wizard): kept
    here, not in memory, so a restart resumes the question they were on and any bot process
    can take the next answer."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class PurchaseCardRow(Base):
    """Where a purchase's card was posted, so later changes can edit it. A purchase opens with
    this row and no message yet: its card is being posted (taps on it already count)."""

    __tablename__ = "purchase_cards"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class OrderEditorRow(Base):
    """The order editor a member last saw for a purchase, in her private chat: the stop (and
    the end) redraws it, so no old editor keeps its +/− or its countdown."""

    __tablename__ = "order_editors"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True
    )
    message_id: Mapped[int] = mapped_column(BigInteger)


class BotUserRow(Base):
    """A person who started the bot (so it may write to them), and their preferences."""

    __tablename__ = "bot_users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    started_at: Mapped[datetime]  # the last time they started it
    blocked_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))  # Telegram's, at the last /start
    chosen_language: Mapped[str | None] = mapped_column(String(16))  # /language; wins when set
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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


class PriceListRow(Base):
    """A supplier's price list a head imported, kept to be offered the next time: the item
    lines as the template writes them (read again through the same validators)."""

    __tablename__ = "price_lists"
    __table_args__ = (UniqueConstraint("head_id", "supplier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    head_id: Mapped[int] = mapped_column(BigInteger)
    supplier: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[str]] = mapped_column(JSON)
    saved_at: Mapped[datetime]


class CampaignRow(Base):
    """An operator's campaign: its catalog and its numbers per item as JSON (read back
    through the domain's validators), its cut-off and status as columns to be found by."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(BigInteger, index=True)
    title: Mapped[str] = mapped_column(String(255))
    supplier: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    # [{item columns..., "supply_minor", "min_minor", "max_minor"}, ...]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    cut_off: Mapped[datetime] = mapped_column(index=True)
    delivery: Mapped[date]
    regions: Mapped[list[str]] = mapped_column(JSON)
    commission_kind: Mapped[str] = mapped_column(String(16))
    commission_percent: Mapped[Decimal]
    # Its communities' purchases are open to anyone with the link unless a head says not.
    open_to_link: Mapped[bool] = mapped_column(server_default=false())
    status: Mapped[str] = mapped_column(String(16), index=True)
    ordered: Mapped[list[list[int]]] = mapped_column(JSON, server_default="[]")
    supplied: Mapped[list[list[int]]] = mapped_column(JSON, server_default="[]")
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(server_default="1")


class PlatformRoleRow(Base):
    """People a platform admin made operators: they run campaigns."""

    __tablename__ = "platform_roles"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[datetime]


class DriverRow(Base):
    """People an operator made drivers: they get a line of a route plan to drive."""

    __tablename__ = "drivers"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    granted_by: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[datetime]


class RoutePlanRow(Base):
    """A delivery day's lines, stored whole (a few dozen stops) under a version check; each
    stop as the driver marked it, and where the operator's live view of the plan is."""

    __tablename__ = "route_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    operator_id: Mapped[int] = mapped_column(BigInteger, index=True)
    fleet: Mapped[dict[str, Any]] = mapped_column(JSON)
    tariff: Mapped[dict[str, Any]] = mapped_column(JSON)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    delivered: Mapped[list[list[Any]]] = mapped_column(JSON, server_default="[]")
    problems: Mapped[list[list[Any]]] = mapped_column(JSON, server_default="[]")
    board_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    board_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(server_default="1")


class RatingRow(Base):
    """A member's rating of a completed purchase: once, 1 to 5, with an optional comment."""

    __tablename__ = "ratings"

    purchase_id: Mapped[int] = mapped_column(
        ForeignKey("purchases.id"), primary_key=True, autoincrement=False
    )
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head_id: Mapped[int] = mapped_column(BigInteger, index=True)
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, server_default="")
    rated_at: Mapped[datetime]


class ScoreThresholdRow(Base):
    """The operators' KPI thresholds for the heads' scorecards: one row per measure."""

    __tablename__ = "score_thresholds"

    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[Decimal]
    set_by: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[datetime]


class WebhookTakeoverRow(Base):
    """A process that polls although Telegram had a webhook set, told to take the updates over
    (TAKE_OVER_WEBHOOK): while `held_until` is ahead, webhook workers stop and do not start.
    One row at most (id 1); the poller renews it as it runs and lets it go when it stops."""

    __tablename__ = "webhook_takeover"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    taken_by: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime]
    held_until: Mapped[datetime]
