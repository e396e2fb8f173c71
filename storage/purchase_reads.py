"""The purchases' read queries: for timers (deadlines, reminders, pay-by and pickup times),
the lists people see (headlines, the purchases a person helps), pickup tokens and a head's
last payment details.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ports import PurchaseHeadline
from domain.purchase import RUNNING, PurchaseStatus
from storage.purchase_tables import (
    DomainEventRow,
    codes,
    helpers,
    purchases,
    requests,
    slots,
)


@dataclass(frozen=True)
class PurchaseTimes:
    """What a purchase's timers depend on, read without its members and order log."""

    id: int
    status: PurchaseStatus
    deadline: datetime
    created_at: datetime
    pickup_starts: tuple[datetime, ...] = ()
    pay_by: datetime | None = None
    pickup_ends: tuple[datetime, ...] = ()


class PurchaseReads:
    """Queries that read purchases without loading them for a change: what timers depend on,
    the lists people see, pickup tokens. Part of SqlPurchaseRepository."""

    _session: AsyncSession

    async def last_pay_to(self, head_id: int) -> str:
        """The payment details of the head's latest purchase that had some: their default."""
        found = await self._session.scalar(
            select(purchases.c.pay_to)
            .where(purchases.c.head_id == head_id, purchases.c.pay_to != "")
            .order_by(purchases.c.id.desc())
            .limit(1)
        )
        return found or ""

    async def last_community_id(self, head_id: int) -> int | None:
        found = await self._session.scalar(
            select(purchases.c.community_id)
            .where(purchases.c.head_id == head_id)
            .order_by(purchases.c.id.desc())
            .limit(1)
        )
        return None if found is None else int(found)

    async def ids_due(self, now: datetime) -> list[int]:
        ids = await self._session.scalars(
            select(purchases.c.id)
            .where(purchases.c.status == PurchaseStatus.OPEN.value, purchases.c.deadline <= now)
            .order_by(purchases.c.deadline)
        )
        return list(ids)

    async def ids_with_status(self, *statuses: PurchaseStatus) -> list[int]:
        ids = await self._session.scalars(
            select(purchases.c.id).where(purchases.c.status.in_([s.value for s in statuses]))
        )
        return list(ids)

    async def times(
        self, statuses: tuple[PurchaseStatus, ...], ids: list[int] | None = None
    ) -> list[PurchaseTimes]:
        """The timing of every purchase in `statuses` (of `ids` only, when given): what
        planning timers for thousands of purchases needs, in two queries."""
        query = select(
            purchases.c.id,
            purchases.c.status,
            purchases.c.deadline,
            purchases.c.created_at,
            purchases.c.pay_by,
        ).where(purchases.c.status.in_([s.value for s in statuses]))
        if ids is not None:
            query = query.where(purchases.c.id.in_(ids))
        rows = list(await self._session.execute(query))
        starts: dict[int, list[datetime]] = {}
        ends: dict[int, list[datetime]] = {}
        arrived = [r.id for r in rows if r.status == PurchaseStatus.ARRIVED.value]
        if arrived:
            slot_rows = await self._session.execute(
                select(slots.c.purchase_id, slots.c.starts_at, slots.c.ends_at)
                .where(slots.c.purchase_id.in_(arrived))
                .order_by(slots.c.purchase_id, slots.c.position)
            )
            for purchase_id, starts_at, ends_at in slot_rows:
                starts.setdefault(purchase_id, []).append(starts_at)
                ends.setdefault(purchase_id, []).append(ends_at)
        return [
            PurchaseTimes(
                r.id,
                PurchaseStatus(r.status),
                r.deadline,
                r.created_at,
                tuple(starts.get(r.id, ())),
                r.pay_by,
                tuple(ends.get(r.id, ())),
            )
            for r in rows
        ]

    async def pay_by_before(
        self, statuses: tuple[PurchaseStatus, ...], until: datetime
    ) -> list[tuple[int, datetime, datetime]]:
        """(id, deadline, pay-by) of the purchases in `statuses` whose pay-by time is at or
        before `until`: what the sweep checks for payment reminders and the pay-by offer."""
        rows = await self._session.execute(
            select(purchases.c.id, purchases.c.deadline, purchases.c.pay_by).where(
                purchases.c.status.in_([s.value for s in statuses]),
                purchases.c.pay_by.is_not(None),
                purchases.c.pay_by <= until,
            )
        )
        return [(r.id, r.deadline, r.pay_by) for r in rows]

    async def headlines(
        self,
        limit: int,
        head_id: int | None = None,
        statuses: tuple[PurchaseStatus, ...] = RUNNING,
    ) -> list[PurchaseHeadline]:
        """The newest purchases in `statuses` (led by `head_id`, when given), with how many
        members take part but without the members and the order log."""
        query = select(
            purchases.c.id, purchases.c.title, purchases.c.head_id, purchases.c.status
        ).where(purchases.c.status.in_([s.value for s in statuses]))
        if head_id is not None:
            query = query.where(purchases.c.head_id == head_id)
        rows = list(await self._session.execute(query.order_by(purchases.c.id.desc()).limit(limit)))
        members: Counter[int] = Counter()
        if rows:
            # One row per member with units left, of each purchase listed.
            members.update(
                await self._session.scalars(
                    select(requests.c.purchase_id)
                    .where(requests.c.purchase_id.in_([r.id for r in rows]))
                    .group_by(requests.c.purchase_id, requests.c.member_id)
                    .having(func.sum(requests.c.firm_delta) > 0)
                )
            )
        return [
            PurchaseHeadline(r.id, r.title, r.head_id, PurchaseStatus(r.status), members[r.id])
            for r in rows
        ]

    async def helped(self, user_id: int, status: PurchaseStatus) -> list[int]:
        """Ids of the purchases in `status` that this person helps hand over, newest first."""
        rows = await self._session.execute(
            select(helpers.c.purchase_id)
            .join(purchases, purchases.c.id == helpers.c.purchase_id)
            .where(helpers.c.user_id == user_id, purchases.c.status == status.value)
            .order_by(helpers.c.purchase_id.desc())
        )
        return [int(purchase_id) for purchase_id in rows.scalars()]

    async def pickup_tokens(self, purchase_id: int) -> dict[int, str]:
        """member → the token of their pickup QR code."""
        rows = await self._session.execute(
            select(codes.c.member_id, codes.c.token).where(
                codes.c.purchase_id == purchase_id, codes.c.token.is_not(None)
            )
        )
        return {int(member_id): str(token) for member_id, token in rows.tuples()}

    async def pickup_by_token(self, token: str) -> tuple[int, int] | None:
        """(purchase, member) whose pickup QR code carries this token, if any."""
        row = (
            await self._session.execute(
                select(codes.c.purchase_id, codes.c.member_id).where(codes.c.token == token)
            )
        ).first()
        return (int(row[0]), int(row[1])) if row is not None else None

    async def taken_out(self, purchase_id: int) -> frozenset[int]:
        """The members the head took out of the purchase for not paying, as the drop's event
        names them (kept as long as the event log keeps handled events: a month)."""
        payloads = await self._session.scalars(
            select(DomainEventRow.payload).where(
                DomainEventRow.purchase_id == purchase_id,
                DomainEventRow.kind == "AmountsChanged",
            )
        )
        return frozenset(
            int(member)
            for payload in payloads
            if payload.get("cause") == "dropped"
            for member in payload.get("members_out", ())
        )
