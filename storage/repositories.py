"""Repositories: the only place that builds queries; they hand out domain objects.

Purchases are read and written with SQLAlchemy Core, not ORM objects: a purchase carries its
whole order log, and building an ORM object per log row made every tap cost more as a
purchase grew. The repository remembers what it loaded and writes only the difference, under
a version check.
"""

from __future__ import annotations

import secrets
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.community import Community
from domain.ports import Conflict, PurchaseHeadline
from domain.purchase import RUNNING, Handover, Purchase, PurchaseStatus, SupplyConfirmation
from storage.mapping import (
    claim_columns,
    community_from_row,
    community_to_row,
    entry_columns,
    item_columns,
    purchase_columns,
    purchase_from_rows,
)
from storage.tables import (
    CommunityRow,
    ItemRow,
    LedgerEntryRow,
    MemberRow,
    OrderRequestRow,
    PaymentClaimRow,
    PickupChoiceRow,
    PickupCodeRow,
    PickupSlotRow,
    PurchaseHelperRow,
    PurchaseRow,
    SupplyConfirmationRow,
    WithdrawalRequestRow,
    metadata,
)

purchases = metadata.tables[PurchaseRow.__tablename__]
items = metadata.tables[ItemRow.__tablename__]
slots = metadata.tables[PickupSlotRow.__tablename__]
members = metadata.tables[MemberRow.__tablename__]
requests = metadata.tables[OrderRequestRow.__tablename__]
withdrawals = metadata.tables[WithdrawalRequestRow.__tablename__]
helpers = metadata.tables[PurchaseHelperRow.__tablename__]
codes = metadata.tables[PickupCodeRow.__tablename__]
choices = metadata.tables[PickupChoiceRow.__tablename__]
claims = metadata.tables[PaymentClaimRow.__tablename__]
entries = metadata.tables[LedgerEntryRow.__tablename__]
supplies = metadata.tables[SupplyConfirmationRow.__tablename__]


# 16 random bytes: 22 characters of a deep link's start parameter (64 at most).
PICKUP_TOKEN_BYTES = 16


@dataclass
class _Stored:
    """What the database holds for a purchase, as last loaded or written."""

    last_seq: int = 0
    members: set[int] = field(default_factory=set)
    items: dict[int, dict[str, object]] = field(default_factory=dict)
    slots: list[tuple[object, ...]] = field(default_factory=list)
    withdrawals: dict[int, int] = field(default_factory=dict)
    codes: dict[int, tuple[str, Handover | None]] = field(default_factory=dict)
    claims: list[dict[str, object]] = field(default_factory=list)
    last_entry: int = 0
    supply: dict[int, SupplyConfirmation] = field(default_factory=dict)
    helpers: dict[int, str] = field(default_factory=dict)
    choices: dict[int, int] = field(default_factory=dict)

    def copy(self) -> _Stored:
        return replace(
            self,
            members=set(self.members),
            items=dict(self.items),
            slots=list(self.slots),
            withdrawals=dict(self.withdrawals),
            codes=dict(self.codes),
            claims=list(self.claims),
            supply=dict(self.supply),
            helpers=dict(self.helpers),
            choices=dict(self.choices),
        )


@dataclass
class _Tracked:
    purchase: Purchase
    stored: _Stored


class AggregateCache:
    """The last committed state of recently used purchases, per process.

    A unit of work still reads the purchase row (and locks it on PostgreSQL); only when the
    row's version equals the cached one does it skip reading the children, the order log above
    all, which otherwise makes every tap cost more as a purchase grows. Another process's
    write changes the version, so a stale entry is never used.
    """

    def __init__(self, limit: int = 256) -> None:
        self._limit = limit
        self._entries: OrderedDict[int, tuple[Purchase, _Stored]] = OrderedDict()

    def get(self, purchase_id: int, version: int) -> _Tracked | None:
        entry = self._entries.get(purchase_id)
        if entry is None or entry[0].version != version:
            return None
        self._entries.move_to_end(purchase_id)
        return _Tracked(entry[0].copy(), entry[1].copy())

    def forget(self, purchase_id: int) -> None:
        """A purchase deleted: SQLite may give its id to the next one, also at version 1."""
        self._entries.pop(purchase_id, None)

    def put(self, tracked: _Tracked) -> None:
        self._entries[tracked.purchase.id] = (tracked.purchase.copy(), tracked.stored.copy())
        self._entries.move_to_end(tracked.purchase.id)
        while len(self._entries) > self._limit:
            self._entries.popitem(last=False)


def _claim_rows(purchase: Purchase) -> list[dict[str, object]]:
    return [claim_columns(claim) for claim in purchase.claims]


def _slot_key(purchase: Purchase) -> list[tuple[object, ...]]:
    return [(s.number, s.place, s.starts_at, s.ends_at, s.capacity) for s in purchase.pickup_slots]


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


class SqlPurchaseRepository:
    """Purchases with their items, members and order log; tracks what it handed out."""

    def __init__(self, session: AsyncSession, lock_rows: bool, cache: AggregateCache) -> None:
        self._session = session
        self._lock_rows = lock_rows
        self._cache = cache
        self._tracked: dict[int, _Tracked] = {}

    async def add(self, purchase: Purchase) -> None:
        result = await self._session.execute(
            insert(purchases)
            .values(**purchase_columns(purchase), version=1)
            .returning(purchases.c.id)
        )
        purchase.id = result.scalar_one()
        purchase.version = 1
        self._tracked[purchase.id] = _Tracked(purchase, _Stored())
        await self._write_children(self._tracked[purchase.id])

    async def remove_draft(self, purchase_id: int) -> None:
        found = await self._session.scalar(
            select(purchases.c.status).where(purchases.c.id == purchase_id)
        )
        if found != PurchaseStatus.DRAFT.value:
            return
        # A draft has only what it was made with: its items and pickup slots.
        for child in (items, slots):
            await self._session.execute(delete(child).where(child.c.purchase_id == purchase_id))
        await self._session.execute(delete(purchases).where(purchases.c.id == purchase_id))
        self._tracked.pop(purchase_id, None)
        self._cache.forget(purchase_id)

    async def _children(
        self, table: Table, purchase_ids: list[int], order: ColumnElement[Any]
    ) -> dict[int, list[Row[Any]]]:
        """One child table's rows of these purchases, in one query, grouped by purchase."""
        query = (
            select(table)
            .where(table.c.purchase_id.in_(purchase_ids))
            .order_by(table.c.purchase_id, order)
        )
        grouped: dict[int, list[Row[Any]]] = {purchase_id: [] for purchase_id in purchase_ids}
        for row in await self._session.execute(query):
            grouped[row.purchase_id].append(row)
        return grouped

    async def _load(self, rows: list[Row[Any]]) -> list[_Tracked]:
        """Whole aggregates from their purchase rows: one query per child table for them all,
        so reaching a hundred deadlines at once costs what reaching one does."""
        if not rows:
            return []
        ids = [int(row.id) for row in rows]
        children = [
            await self._children(items, ids, items.c.item_id),
            await self._children(slots, ids, slots.c.position),
            await self._children(members, ids, members.c.user_id),
            await self._children(requests, ids, requests.c.seq),
            await self._children(withdrawals, ids, withdrawals.c.member_id),
            await self._children(codes, ids, codes.c.member_id),
            await self._children(claims, ids, claims.c.number),
            await self._children(entries, ids, entries.c.number),
            await self._children(supplies, ids, supplies.c.item_id),
            await self._children(helpers, ids, helpers.c.user_id),
            await self._children(choices, ids, choices.c.member_id),
        ]
        loaded = []
        for row in rows:
            purchase = purchase_from_rows(row, *(table[int(row.id)] for table in children))
            stored = _Stored(
                last_seq=purchase.requests[-1].seq if purchase.requests else 0,
                members=set(purchase.members),
                items={item.item_id: item_columns(item) for item in purchase.items},
                slots=_slot_key(purchase),
                withdrawals=dict(purchase.withdrawal_requests),
                codes={
                    m: (c, purchase.handed_over.get(m)) for m, c in purchase.pickup_codes.items()
                },
                claims=_claim_rows(purchase),
                last_entry=purchase.ledger[-1].number if purchase.ledger else 0,
                supply=dict(purchase.supply),
                helpers=dict(purchase.helpers),
                choices=dict(purchase.pickup_choices),
            )
            loaded.append(_Tracked(purchase, stored))
        return loaded

    async def get(self, purchase_id: int) -> Purchase | None:
        found = await self.get_many([purchase_id])
        return found[0] if found else None

    async def get_many(self, purchase_ids: list[int]) -> list[Purchase]:
        """Load purchases for change (those that exist, in the order asked); on PostgreSQL
        their rows stay locked until the transaction ends, so concurrent changers queue."""
        wanted = [i for i in purchase_ids if i not in self._tracked]
        if wanted:
            query = select(purchases).where(purchases.c.id.in_(wanted)).order_by(purchases.c.id)
            if self._lock_rows:
                query = query.with_for_update()
            to_load = []
            for row in await self._session.execute(query):
                cached = self._cache.get(row.id, row.version)
                if cached is None:
                    to_load.append(row)
                else:
                    self._tracked[row.id] = cached
            for tracked in await self._load(to_load):
                self._cache.put(tracked)
                self._tracked[tracked.purchase.id] = tracked
        return [self._tracked[i].purchase for i in purchase_ids if i in self._tracked]

    async def _load_many(self, ids: list[int]) -> list[Purchase]:
        if not ids:
            return []
        rows = await self._session.execute(
            select(purchases).where(purchases.c.id.in_(ids)).order_by(purchases.c.id)
        )
        return [tracked.purchase for tracked in await self._load(list(rows))]

    async def list_for_head(self, head_id: int) -> list[Purchase]:
        ids = await self._session.scalars(
            select(purchases.c.id).where(purchases.c.head_id == head_id)
        )
        return await self._load_many(list(ids))

    async def list_for_member(self, member_id: int) -> list[Purchase]:
        ids = await self._session.scalars(
            select(requests.c.purchase_id).where(requests.c.member_id == member_id).distinct()
        )
        found = await self._load_many(list(ids))
        return [p for p in found if member_id in p.participant_ids()]

    async def last_pay_to(self, head_id: int) -> str:
        """The payment details of the head's latest purchase that had some: their default."""
        found = await self._session.scalar(
            select(purchases.c.pay_to)
            .where(purchases.c.head_id == head_id, purchases.c.pay_to != "")
            .order_by(purchases.c.id.desc())
            .limit(1)
        )
        return found or ""

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

    def remember_committed(self) -> None:
        """After the commit: what was written is now the state to reuse."""
        for tracked in self._tracked.values():
            self._cache.put(tracked)

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

    async def write_changes(self) -> list[Purchase]:
        """Write every tracked aggregate's changes under its version; returns them.

        Raises Conflict when another writer changed a purchase since it was loaded.
        """
        for tracked in self._tracked.values():
            purchase = tracked.purchase
            result = await self._session.execute(
                update(purchases)
                .where(purchases.c.id == purchase.id, purchases.c.version == purchase.version)
                .values(**purchase_columns(purchase), version=purchase.version + 1)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("the purchase changed meanwhile")
            await self._write_children(tracked)
        return [tracked.purchase for tracked in self._tracked.values()]

    async def _write_children(self, tracked: _Tracked) -> None:
        """Bring the child rows in line with the aggregate; the order log is only appended to."""
        purchase, stored = tracked.purchase, tracked.stored
        pid = purchase.id
        for item in purchase.items:
            columns = item_columns(item)
            if item.item_id not in stored.items:
                await self._session.execute(insert(items).values(purchase_id=pid, **columns))
            elif stored.items[item.item_id] != columns:
                await self._session.execute(
                    update(items)
                    .where(items.c.purchase_id == pid, items.c.item_id == item.item_id)
                    .values(**columns)
                )
            stored.items[item.item_id] = columns
        if _slot_key(purchase) != stored.slots:
            await self._session.execute(delete(slots).where(slots.c.purchase_id == pid))
            if purchase.pickup_slots:
                await self._session.execute(
                    insert(slots),
                    [
                        {"purchase_id": pid, "position": i, "number": s.number,
                         "place": s.place, "starts_at": s.starts_at, "ends_at": s.ends_at,
                         "capacity": s.capacity}
                        for i, s in enumerate(purchase.pickup_slots)
                    ],
                )  # fmt: skip
            stored.slots = _slot_key(purchase)
        new_members = [m for m in purchase.members.values() if m.user_id not in stored.members]
        if new_members:
            await self._session.execute(
                insert(members),
                [{"purchase_id": pid, "user_id": m.user_id, "name": m.name,
                  "joined_at": m.joined_at} for m in new_members],
            )  # fmt: skip
            stored.members.update(m.user_id for m in new_members)
        new_requests = [r for r in purchase.requests if r.seq > stored.last_seq]
        if new_requests:
            await self._session.execute(
                insert(requests),
                [{"purchase_id": pid, "seq": r.seq, "member_id": r.member_id, "item_id": r.item_id,
                  "firm_delta": r.firm_delta, "tolerance_delta": r.tolerance_delta, "at": r.at}
                 for r in new_requests],
            )  # fmt: skip
            stored.last_seq = new_requests[-1].seq
        if purchase.helpers != stored.helpers:
            await self._session.execute(delete(helpers).where(helpers.c.purchase_id == pid))
            if purchase.helpers:
                await self._session.execute(
                    insert(helpers),
                    [
                        {"purchase_id": pid, "user_id": user_id, "name": name}
                        for user_id, name in sorted(purchase.helpers.items())
                    ],
                )
            stored.helpers = dict(purchase.helpers)
        if purchase.pickup_choices != stored.choices:
            # Only the members whose choice moved: a rush of choices writes one row each.
            moved = {
                m for m in purchase.pickup_choices.keys() | stored.choices.keys()
                if purchase.pickup_choices.get(m) != stored.choices.get(m)
            }  # fmt: skip
            await self._session.execute(
                delete(choices).where(choices.c.purchase_id == pid, choices.c.member_id.in_(moved))
            )
            chosen = [m for m in sorted(moved) if m in purchase.pickup_choices]
            if chosen:
                await self._session.execute(
                    insert(choices),
                    [
                        {"purchase_id": pid, "member_id": m,
                         "slot_number": purchase.pickup_choices[m]}
                        for m in chosen
                    ],
                )  # fmt: skip
            stored.choices = dict(purchase.pickup_choices)
        if purchase.withdrawal_requests != stored.withdrawals:
            await self._session.execute(delete(withdrawals).where(withdrawals.c.purchase_id == pid))
            if purchase.withdrawal_requests:
                await self._session.execute(
                    insert(withdrawals),
                    [
                        {"purchase_id": pid, "member_id": m, "number": number}
                        for m, number in sorted(purchase.withdrawal_requests.items())
                    ],
                )
            stored.withdrawals = dict(purchase.withdrawal_requests)
        for member_id, code in purchase.pickup_codes.items():
            handover = purchase.handed_over.get(member_id)
            done = {
                "handed_over_at": handover.at if handover else None,
                "handed_over_by": handover.by if handover else None,
            }
            if member_id not in stored.codes:
                await self._session.execute(
                    insert(codes).values(
                        purchase_id=pid, member_id=member_id, code=code,
                        token=secrets.token_urlsafe(PICKUP_TOKEN_BYTES), **done,
                    )
                )  # fmt: skip
            elif stored.codes[member_id][1] != handover:
                await self._session.execute(
                    update(codes)
                    .where(codes.c.purchase_id == pid, codes.c.member_id == member_id)
                    .values(**done)
                )
            stored.codes[member_id] = (code, handover)
        wanted = _claim_rows(purchase)
        if wanted != stored.claims:
            # A handful of rows per purchase, answered one tap at a time: rewrite them.
            await self._session.execute(delete(claims).where(claims.c.purchase_id == pid))
            if wanted:
                await self._session.execute(
                    insert(claims), [{"purchase_id": pid, **row} for row in wanted]
                )
            stored.claims = wanted
        new_entries = [e for e in purchase.ledger if e.number > stored.last_entry]
        if new_entries:
            await self._session.execute(
                insert(entries), [{"purchase_id": pid, **entry_columns(e)} for e in new_entries]
            )
            stored.last_entry = new_entries[-1].number
        if purchase.supply != stored.supply:
            await self._session.execute(delete(supplies).where(supplies.c.purchase_id == pid))
            await self._session.execute(
                insert(supplies),
                [{"purchase_id": pid, "item_id": item_id, "units": confirmed.units,
                  "unit_price_minor": None if confirmed.unit_price is None
                  else confirmed.unit_price.minor}
                 for item_id, confirmed in sorted(purchase.supply.items())],
            )  # fmt: skip
            stored.supply = dict(purchase.supply)


class SqlCommunityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, chat_id: int) -> Community | None:
        row = await self._session.get(CommunityRow, chat_id)
        return None if row is None else community_from_row(row)

    async def add(self, community: Community) -> None:
        self._session.add(community_to_row(community))
