"""Communities and the people who use the bot: the community chats, who started the bot and
their preferences, where one is in a conversation, and the price lists a head keeps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.table_base import Base


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


class BotUserRow(Base):
    """A person who started the bot (so it may write to them), and their preferences."""

    __tablename__ = "bot_users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    started_at: Mapped[datetime]  # the last time they started it
    blocked_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))  # Telegram's, at the last /start
    chosen_language: Mapped[str | None] = mapped_column(String(16))  # /language; wins when set
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ConversationRow(Base):
    """Where a person is in a multi-step conversation with the bot (the purchase wizard): kept
    here, not in memory, so a restart resumes the question they were on and any bot process
    can take the next answer."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


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
