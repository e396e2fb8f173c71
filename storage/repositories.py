"""Repositories: the only place that builds queries; they hand out domain objects.

Purchases are read and written with SQLAlchemy Core, not ORM objects: a purchase carries its
whole order log, and building an ORM object per log row made every tap cost more as a
purchase grew. The repository remembers what it loaded and writes only the difference, under
a version check: a purchase nobody changed is not written at all.

Two ways to load: `get` for a use case that changes the purchase (on PostgreSQL its row stays
locked until the transaction ends, so changers of one purchase queue instead of clashing), and
`read` for what only shows it (a card, an editor, a notice, a checkout's check): no lock, so a
reader never waits behind a rush of taps nor holds one up. What was read is still written, under
its version, if it was changed after all — a Conflict, never a lost update.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Row,
    Table,
    and_,
    bindparam,
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
from storage.mapping import item_columns, purchase_columns, purchase_from_rows
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
from storage.purchase_writes import child_writes

# A unit of work loading or writing many purchases at once (a campaign's 500 parts, a minute's
# deadlines) lets the event loop answer other people's taps every this many.
AGGREGATES_BETWEEN_YIELDS = 50

# The aggregate's fields its child tables hold; the rest come from the purchase's own row.
CHILD_FIELDS = frozenset({
    "items", "pickup_slots", "withdrawal_requests", "members", "requests", "pickup_codes",
    "handed_over", "helpers", "pickup_choices", "claims", "ledger", "supply", "events",
})  # fmt: skip
ROW_FIELDS = tuple(
    f.name for f in dataclasses.fields(Purchase) if f.init and f.name not in CHILD_FIELDS
)


class SqlPurchaseRepository(PurchaseReads):
    """Purchases with their items, members and order log; tracks what it handed out."""

    def __init__(self, session: AsyncSession, lock_rows: bool, cache: AggregateCache) -> None:
        self._session = session
        self._lock_rows = lock_rows
        self._cache = cache
        self._tracked: dict[int, Tracked] = {}
        # Purchases whose row this transaction locked (PostgreSQL): loaded with `get`.
        self._locked: set[int] = set()

    async def add(self, purchase: Purchase) -> None:
        result = await self._session.execute(
            insert(purchases)
            .values(**purchase_columns(purchase), version=1)
            .returning(purchases.c.id)
        )
        purchase.id = result.scalar_one()
        purchase.version = 1
        tracked = Tracked(purchase, StoredRows(columns=purchase_columns(purchase)))
        self._tracked[purchase.id] = tracked
        self._locked.add(purchase.id)
        await self._run(child_writes(tracked).statements)

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
        for number, row in enumerate(rows, 1):
            if number % AGGREGATES_BETWEEN_YIELDS == 0:
                await asyncio.sleep(0)  # 500 aggregates built at once: taps are answered between
            purchase = purchase_from_rows(row, *(table[int(row.id)] for table in children))
            stored = StoredRows(
                columns=purchase_columns(purchase),
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
            stored.columns = purchase_columns(purchase)
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
        their rows stay locked until the transaction ends, so concurrent changers queue. The
        rows are locked in one query in the order of their ids, whatever order they are asked
        in: two units of work that change the same purchases never wait for each other in a
        circle. A purchase read earlier in this unit is locked now and must not have changed
        since (a Conflict: the unit of work runs again)."""
        return await self._fetch(purchase_ids, lock=self._lock_rows)

    async def read(self, purchase_id: int) -> Purchase | None:
        """A purchase to show: no row lock (see the module's docstring)."""
        found = await self._fetch([purchase_id], lock=False)
        return found[0] if found else None

    async def read_many(self, purchase_ids: list[int]) -> list[Purchase]:
        return await self._fetch(purchase_ids, lock=False)

    async def _fetch(self, purchase_ids: list[int], lock: bool) -> list[Purchase]:
        wanted = [i for i in purchase_ids if i not in self._tracked]
        to_lock = [i for i in purchase_ids if lock and i in self._tracked and i not in self._locked]
        if wanted or to_lock:
            query = (
                select(purchases)
                .where(purchases.c.id.in_(sorted({*wanted, *to_lock})))
                .order_by(purchases.c.id)
            )
            if lock:
                query = query.with_for_update()
            to_load, behind = [], []
            for row in await self._session.execute(query):
                if lock:
                    self._locked.add(row.id)
                if row.id in self._tracked:  # read before, locked now
                    if self._tracked[row.id].purchase.version != row.version:
                        raise Conflict("the purchase changed since it was read")
                elif (cached := self._cache.get(row.id, row.version, newer=not lock)) is not None:
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
        self._locked.discard(purchase_id)
        self._cache.forget(purchase_id)

    def remember_committed(self) -> None:
        """After the commit: what was written is now the state to reuse."""
        for tracked in self._tracked.values():
            self._cache.put(tracked)

    async def write_changes(self) -> list[Purchase]:
        """Write the tracked aggregates that changed, each under its version; returns them.
        One left as it was loaded is not written: its version stays, and so does every other
        process's cached copy of it. Many changed at once (a campaign's 500 parts at its
        cut-off, a minute's deadlines) are written in one statement, not one each.

        Raises Conflict when another writer changed a purchase since it was loaded.
        """
        planned = []
        for number, tracked in enumerate(list(self._tracked.values()), 1):
            if number % AGGREGATES_BETWEEN_YIELDS == 0:
                await asyncio.sleep(0)
            purchase, stored = tracked.purchase, tracked.stored
            columns = purchase_columns(purchase)
            children = child_writes(tracked)
            if columns != stored.columns or children or purchase.events:
                layout = purchase.version + 1 if children.layout_changed else stored.layout_version
                planned.append((tracked, columns, children, layout))
        if len(planned) == 1:
            [(tracked, columns, _, layout)] = planned
            result = await self._session.execute(
                update(purchases)
                .where(
                    purchases.c.id == tracked.purchase.id,
                    purchases.c.version == tracked.purchase.version,
                )
                .values(**columns, version=tracked.purchase.version + 1, layout_version=layout)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("the purchase changed meanwhile")
        elif planned:
            await self._ensure_versions([tracked.purchase for tracked, *_ in planned])
            names = list(planned[0][1])
            await self._session.execute(
                update(purchases)
                .where(purchases.c.id == bindparam("row_id"))
                .values({name: bindparam(f"new_{name}") for name in names})
                .values(version=bindparam("new_version"), layout_version=bindparam("new_layout")),
                [
                    {f"new_{name}": columns[name] for name in names}
                    | {
                        "row_id": tracked.purchase.id,
                        "new_version": tracked.purchase.version + 1,
                        "new_layout": layout,
                    }
                    for tracked, columns, _, layout in planned
                ],
            )
        for tracked, columns, children, layout in planned:
            tracked.stored.columns = columns
            tracked.stored.layout_version = layout
            await self._run(children.statements)
        return [tracked.purchase for tracked, *_ in planned]

    async def _ensure_versions(self, changed: list[Purchase]) -> None:
        """Each purchase's row still has the version it was loaded at, and stays so until the
        commit: its rows locked on PostgreSQL (most already are, by `get`); SQLite has one
        writer, whose turn this unit of work holds."""
        query = select(purchases.c.id, purchases.c.version).where(
            purchases.c.id.in_(sorted(p.id for p in changed))
        )
        if self._lock_rows:
            query = query.order_by(purchases.c.id).with_for_update()
        found = dict((await self._session.execute(query)).tuples().all())
        if any(found.get(p.id) != p.version for p in changed):
            raise Conflict("a purchase changed meanwhile")

    async def _run(self, statements: list[tuple[Executable, list[dict[str, Any]] | None]]) -> None:
        for statement, rows in statements:
            if rows is None:
                await self._session.execute(statement)
            else:
                await self._session.execute(statement, rows)
