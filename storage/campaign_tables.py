"""The platform's side of selling: operators and their campaigns, drivers and the delivery
route plans, members' ratings and the thresholds of the heads' scorecards."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.table_base import Base


class PlatformRoleRow(Base):
    """People a platform admin made operators: they run campaigns."""

    __tablename__ = "platform_roles"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[datetime]


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
