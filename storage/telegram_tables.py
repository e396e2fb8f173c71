"""What the bot keeps of its traffic with Telegram: the updates in (the inbox, the ids handled),
the messages out (the outbox, the shared send pace, members out of reach), the messages it
edits later (cards and order editors, and the cards other processes ask it to edit) and which
process takes the updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.table_base import Base


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
    limits that several processes on one PostgreSQL share (runtime/rate_limiter.py,
    storage/cluster.py)."""

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


class WebhookTakeoverRow(Base):
    """A process that polls although Telegram had a webhook set, told to take the updates over
    (TAKE_OVER_WEBHOOK): while `held_until` is ahead, webhook workers stop and do not start.
    One row at most (id 1); the poller renews it as it runs and lets it go when it stops."""

    __tablename__ = "webhook_takeover"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    taken_by: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime]
    held_until: Mapped[datetime]
