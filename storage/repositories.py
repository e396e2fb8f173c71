"""Repositories: the only place that builds queries; they hand out domain objects.

Purchases are read and written with SQLAlchemy Core, not ORM objects: a purchase carries its
whole order log, and building an ORM object per log row made every tap cost more as a
purchase grew. The repository remembers what it loaded and writes only the difference, under
a version check.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    and_,
    delete,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ports import Conflict
from domain.purchase import Member, Purchase, PurchaseStatus, Request
from storage.aggregate_cache import AggregateCache, StoredRows, Tracked, claim_rows, slot_key
from storage.mapping import (
    entry_columns,
    item_columns,
    purchase_columns,
    purchase_from_rows,
)
from storage.purchase_reads import PurchaseReads
from storage.purchase_tables import (
    choices,
    claims,
    codes,
    entries,
    helpers,
    items,
    members,
    purchases,
    requests,
    slots,
    supplies,
    withdrawals,
)

# The aggregate's fields its child tables hold; the rest come from the purchase's own row.
CHILD_FIELDS = frozenset({
    "items", "pickup_slots", "withdrawal_requests", "members", "requests", "pickup_codes",
    "handed_over", "helpers", "pickup_choices", "claims", "ledger", "supply", "events",
})  # fmt: skip
ROW_FIELDS = tuple(
    f.name for f in dataclasses.fields(Purchase) if f.init and f.name not in CHILD_FIELDS
)
# 16 random bytes: 22 characters of a deep link's start parameter (64 at most).
PICKUP_TOKEN_BYTES = 16


class SqlPurchaseRepository(PurchaseReads):
    """Purchases with their items, members and order log; tracks what it handed out."""

    def __init__(self, session: AsyncSession, lock_rows: bool, cache: AggregateCache) -> None:
        self._session = session
        self._lock_rows = lock_rows
        self._cache = cache
        self._tracked: dict[int, Tracked] = {}

    async def add(self, purchase: Purchase) -> None:
        result = await self._session.execute(
            insert(purchases)
            .values(**purchase_columns(purchase), version=1)
            .returning(purchases.c.id)
        )
        purchase.id = result.scalar_one()
        purchase.version = 1
        self._tracked[purchase.id] = Tracked(purchase, StoredRows())
        await self._write_children(self._tracked[purchase.id])

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

    async def _load(self, rows: list[Row[Any]]) -> list[Tracked]:
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
            stored = StoredRows(
                layout_version=int(row.layout_version),
                last_seq=purchase.requests[-1].seq if purchase.requests else 0,
                members=set(purchase.members),
                items={item.item_id: item_columns(item) for item in purchase.items},
                slots=slot_key(purchase),
                withdrawals=dict(purchase.withdrawal_requests),
                codes={
                    m: (c, purchase.handed_over.get(m)) for m, c in purchase.pickup_codes.items()
                },
                claims=claim_rows(purchase),
                last_entry=purchase.ledger[-1].number if purchase.ledger else 0,
                supply=dict(purchase.supply),
                helpers=dict(purchase.helpers),
                choices=dict(purchase.pickup_choices),
            )
            loaded.append(Tracked(purchase, stored))
        return loaded

    async def _catch_up(self, behind: list[tuple[Row[Any], Tracked]]) -> list[Tracked]:
        """Cached copies brought up to their rows: the row's own columns, and the members and
        order requests added since (two queries for them all, not one per child table)."""
        if not behind:
            return []
        added = or_(*(
            and_(requests.c.purchase_id == row.id, requests.c.seq > old.stored.last_seq)
            for row, old in behind
        ))  # fmt: skip
        new_requests: dict[int, list[Row[Any]]] = defaultdict(list)
        for found in await self._session.execute(
            select(requests).where(added).order_by(requests.c.purchase_id, requests.c.seq)
        ):
            new_requests[found.purchase_id].append(found)
        joined = {(r.purchase_id, r.member_id) for rows in new_requests.values() for r in rows}
        new_members: dict[int, list[Row[Any]]] = defaultdict(list)
        if joined:
            for found in await self._session.execute(
                select(members).where(
                    tuple_(members.c.purchase_id, members.c.user_id).in_(sorted(joined))
                )
            ):
                new_members[found.purchase_id].append(found)
        caught_up = []
        for row, old in behind:
            purchase, stored = old.purchase, old.stored
            fresh = purchase_from_rows(row, (), (), (), (), (), ())
            for name in ROW_FIELDS:
                setattr(purchase, name, getattr(fresh, name))
            for member in sorted(new_members[row.id], key=lambda m: m.user_id):
                if member.user_id not in stored.members:
                    purchase.members[member.user_id] = Member(
                        member.user_id, member.name, member.joined_at
                    )
                    stored.members.add(member.user_id)
            purchase.members = dict(sorted(purchase.members.items()))
            for r in new_requests[row.id]:
                purchase.requests.append(
                    Request(r.seq, r.member_id, r.item_id, r.firm_delta, r.tolerance_delta, r.at)
                )
                stored.last_seq = r.seq
            caught_up.append(Tracked(purchase, stored))
        return caught_up

    async def get(self, purchase_id: int) -> Purchase | None:
        found = await self.get_many([purchase_id])
        return found[0] if found else None

    async def of_campaign(self, campaign_id: int) -> list[Purchase]:
        """The purchases heads adopted from a campaign, in the order they were published."""
        found = await self._session.scalars(
            select(purchases.c.id)
            .where(purchases.c.campaign_id == campaign_id)
            .where(purchases.c.status != PurchaseStatus.DRAFT.value)
            .order_by(purchases.c.id)
        )
        return await self.get_many(list(found))

    async def awaiting_delivery(self) -> list[Purchase]:
        """Stopped or ordered purchases, loaded for change: their goods are on the way."""
        found = await self._session.scalars(
            select(purchases.c.id)
            .where(purchases.c.status.in_([PurchaseStatus.STOPPED.value,
                                           PurchaseStatus.ORDERED.value]))
            .order_by(purchases.c.id)
        )  # fmt: skip
        return await self.get_many(list(found))

    async def heads_between(self, starts: datetime, ends: datetime) -> list[int]:
        """Heads who ran a purchase (not a draft, not cancelled) with a deadline in the span."""
        found = await self._session.scalars(
            select(purchases.c.head_id)
            .where(purchases.c.deadline >= starts, purchases.c.deadline < ends)
            .where(purchases.c.status.notin_([PurchaseStatus.DRAFT.value,
                                              PurchaseStatus.CANCELLED.value]))
            .distinct()
        )  # fmt: skip
        return sorted(found)

    async def get_many(self, purchase_ids: list[int]) -> list[Purchase]:
        """Load purchases for change (those that exist, in the order asked); on PostgreSQL
        their rows stay locked until the transaction ends, so concurrent changers queue."""
        wanted = [i for i in purchase_ids if i not in self._tracked]
        if wanted:
            query = select(purchases).where(purchases.c.id.in_(wanted)).order_by(purchases.c.id)
            if self._lock_rows:
                query = query.with_for_update()
            to_load, behind = [], []
            for row in await self._session.execute(query):
                cached = self._cache.get(row.id, row.version)
                if cached is not None:
                    self._tracked[row.id] = cached
                elif (
                    old := self._cache.behind(row.id, row.version, row.layout_version)
                ) is not None:
                    behind.append((row, old))
                else:
                    to_load.append(row)
            for tracked in [*await self._load(to_load), *await self._catch_up(behind)]:
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

    def forget_loaded(self, purchase_id: int) -> None:
        """Its rows were rewritten beside the aggregate (storage/personal_data.py): the next
        `get` reads it again, and the copy loaded before is neither written nor cached."""
        self._tracked.pop(purchase_id, None)
        self._cache.forget(purchase_id)

    def remember_committed(self) -> None:
        """After the commit: what was written is now the state to reuse."""
        for tracked in self._tracked.values():
            self._cache.put(tracked)

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
            if await self._write_children(tracked):
                tracked.stored.layout_version = purchase.version + 1
                await self._session.execute(
                    update(purchases)
                    .where(purchases.c.id == purchase.id)
                    .values(layout_version=purchase.version + 1)
                )
        return [tracked.purchase for tracked in self._tracked.values()]

    async def _write_children(self, tracked: Tracked) -> bool:
        """Bring the child rows in line with the aggregate; the order log is only appended to.
        Returns whether anything changed beyond members and order requests added."""
        purchase, stored = tracked.purchase, tracked.stored
        pid = purchase.id
        layout_changed = False
        for item in purchase.items:
            columns = item_columns(item)
            if item.item_id not in stored.items:
                layout_changed = True
                await self._session.execute(insert(items).values(purchase_id=pid, **columns))
            elif stored.items[item.item_id] != columns:
                layout_changed = True
                await self._session.execute(
                    update(items)
                    .where(items.c.purchase_id == pid, items.c.item_id == item.item_id)
                    .values(**columns)
                )
            stored.items[item.item_id] = columns
        if slot_key(purchase) != stored.slots:
            layout_changed = True
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
            stored.slots = slot_key(purchase)
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
            layout_changed = True
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
            layout_changed = True
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
            layout_changed = True
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
                layout_changed = True
                await self._session.execute(
                    insert(codes).values(
                        purchase_id=pid, member_id=member_id, code=code,
                        token=secrets.token_urlsafe(PICKUP_TOKEN_BYTES), **done,
                    )
                )  # fmt: skip
            elif stored.codes[member_id][1] != handover:
                layout_changed = True
                await self._session.execute(
                    update(codes)
                    .where(codes.c.purchase_id == pid, codes.c.member_id == member_id)
                    .values(**done)
                )
            stored.codes[member_id] = (code, handover)
        wanted = claim_rows(purchase)
        if wanted != stored.claims:
            layout_changed = True
            # A handful of rows per purchase, answered one tap at a time: rewrite them.
            await self._session.execute(delete(claims).where(claims.c.purchase_id == pid))
            if wanted:
                await self._session.execute(
                    insert(claims), [{"purchase_id": pid, **row} for row in wanted]
                )
            stored.claims = wanted
        new_entries = [e for e in purchase.ledger if e.number > stored.last_entry]
        if new_entries:
            layout_changed = True
            await self._session.execute(
                insert(entries), [{"purchase_id": pid, **entry_columns(e)} for e in new_entries]
            )
            stored.last_entry = new_entries[-1].number
        if purchase.supply != stored.supply:
            layout_changed = True
            await self._session.execute(delete(supplies).where(supplies.c.purchase_id == pid))
            await self._session.execute(
                insert(supplies),
                [{"purchase_id": pid, "item_id": item_id, "units": confirmed.units,
                  "unit_price_minor": None if confirmed.unit_price is None
                  else confirmed.unit_price.minor}
                 for item_id, confirmed in sorted(purchase.supply.items())],
            )  # fmt: skip
            stored.supply = dict(purchase.supply)
        return layout_changed
