"""Repositories: the only place that builds queries; they hand out domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.community import Community
from domain.purchase import Purchase, PurchaseStatus
from storage.mapping import (
    community_from_row,
    community_to_row,
    purchase_columns,
    purchase_from_row,
    write_children,
)
from storage.tables import CommunityRow, OrderRequestRow, PurchaseRow

_WITH_CHILDREN = (
    selectinload(PurchaseRow.items),
    selectinload(PurchaseRow.pickup_slots),
    selectinload(PurchaseRow.members),
    selectinload(PurchaseRow.requests),
    selectinload(PurchaseRow.withdrawal_requests),
    selectinload(PurchaseRow.pickup_codes),
)


@dataclass
class _Tracked:
    purchase: Purchase
    row: PurchaseRow


class SqlPurchaseRepository:
    """Purchases with their items, members and order log; tracks what it handed out."""

    def __init__(self, session: AsyncSession, lock_rows: bool) -> None:
        self._session = session
        self._lock_rows = lock_rows
        self._tracked: dict[int, _Tracked] = {}

    async def add(self, purchase: Purchase) -> None:
        row = PurchaseRow(
            **purchase_columns(purchase),
            version=1,
            items=[],
            pickup_slots=[],
            members=[],
            requests=[],
            withdrawal_requests=[],
            pickup_codes=[],
        )
        write_children(row, purchase)
        self._session.add(row)
        await self._session.flush()
        purchase.id = row.id
        purchase.version = 1
        self._tracked[row.id] = _Tracked(purchase, row)

    async def get(self, purchase_id: int) -> Purchase | None:
        if purchase_id in self._tracked:
            return self._tracked[purchase_id].purchase
        query = select(PurchaseRow).where(PurchaseRow.id == purchase_id).options(*_WITH_CHILDREN)
        if self._lock_rows:
            # PostgreSQL: concurrent changers of one purchase queue here instead of clashing.
            query = query.with_for_update(of=PurchaseRow)
        row = (await self._session.scalars(query)).one_or_none()
        if row is None:
            return None
        purchase = purchase_from_row(row)
        self._tracked[purchase_id] = _Tracked(purchase, row)
        return purchase

    async def _load_many(self, ids: list[int]) -> list[Purchase]:
        if not ids:
            return []
        query = (
            select(PurchaseRow)
            .where(PurchaseRow.id.in_(ids))
            .order_by(PurchaseRow.id)
            .options(*_WITH_CHILDREN)
        )
        return [purchase_from_row(row) for row in await self._session.scalars(query)]

    async def list_for_head(self, head_id: int) -> list[Purchase]:
        ids = await self._session.scalars(
            select(PurchaseRow.id).where(PurchaseRow.head_id == head_id)
        )
        return await self._load_many(list(ids))

    async def list_for_member(self, member_id: int) -> list[Purchase]:
        ids = await self._session.scalars(
            select(OrderRequestRow.purchase_id)
            .where(OrderRequestRow.member_id == member_id)
            .distinct()
        )
        purchases = await self._load_many(list(ids))
        return [p for p in purchases if member_id in p.participant_ids()]

    async def ids_due(self, now: datetime) -> list[int]:
        ids = await self._session.scalars(
            select(PurchaseRow.id)
            .where(PurchaseRow.status == PurchaseStatus.OPEN.value, PurchaseRow.deadline <= now)
            .order_by(PurchaseRow.deadline)
        )
        return list(ids)

    async def ids_open_until(self, instant: datetime) -> list[int]:
        """Open purchases whose deadline comes at or before `instant` (reminders are due)."""
        ids = await self._session.scalars(
            select(PurchaseRow.id).where(
                PurchaseRow.status == PurchaseStatus.OPEN.value, PurchaseRow.deadline <= instant
            )
        )
        return list(ids)

    async def ids_with_status(self, *statuses: PurchaseStatus) -> list[int]:
        ids = await self._session.scalars(
            select(PurchaseRow.id).where(PurchaseRow.status.in_([s.value for s in statuses]))
        )
        return list(ids)

    def write_changes(self) -> list[Purchase]:
        """Copy every tracked aggregate onto its rows, bumping the version; returns them."""
        for tracked in self._tracked.values():
            for column, value in purchase_columns(tracked.purchase).items():
                setattr(tracked.row, column, value)
            write_children(tracked.row, tracked.purchase)
            tracked.row.version = tracked.purchase.version + 1
        return [tracked.purchase for tracked in self._tracked.values()]


class SqlCommunityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, chat_id: int) -> Community | None:
        row = await self._session.get(CommunityRow, chat_id)
        return None if row is None else community_from_row(row)

    async def add(self, community: Community) -> None:
        self._session.add(community_to_row(community))
