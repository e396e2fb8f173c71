"""The order log of a purchase: members' quantities and tolerance, the per-member limits and
stock, whether the minimum is met, and the pack allocation with its prices and totals.
Every change appends to the log; everything else is derived from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from domain import events
from domain.allocation import ItemAllocation, QueueEntry, allocate, allot, timed_queue
from domain.errors import (
    N_,
    LimitExceeded,
    NotFound,
    OrdersClosed,
    OutOfStock,
)
from domain.money import Money
from domain.order_log import Member, Request
from domain.purchase_state import PurchaseState
from domain.rows import RowsState, allocate_rows, completing_moves, rows_state
from domain.terms import (
    MAX_UNITS_PER_LINE,
    Item,
    PurchaseStatus,
    ShortPolicy,
)


def per_kg_minor(price_minor: int, grams: int) -> int:
    """What `grams` cost at `price_minor` per kilogram, half a minor unit rounded up."""
    return (price_minor * grams * 2 + 1000) // 2000


class PurchaseOrders(PurchaseState):
    """Orders: what members asked for, and what they get by the pack rule."""

    def item(self, item_id: int) -> Item:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise NotFound(N_("this purchase has no such item"))

    def quantity(self, member_id: int, item_id: int) -> int:
        line = self._sums().lines.get(member_id, {}).get(item_id)
        return line[0] if line else 0

    def tolerance(self, member_id: int, item_id: int) -> int:
        line = self._sums().lines.get(member_id, {}).get(item_id)
        return line[1] if line else 0

    def item_units(self, item_id: int) -> int:
        """Firm units all members asked for of one item."""
        return self._sums().item_units.get(item_id, 0)

    def firm_units(self) -> int:
        return self._sums().firm_units

    def takes_part(self, member_id: int) -> bool:
        """Whether the member has at least one unit."""
        return self._sums().member_units.get(member_id, 0) > 0

    def participant_ids(self) -> list[int]:
        """Members with at least one unit, in the order they joined."""
        return [member_id for member_id, units in self._sums().member_units.items() if units > 0]

    def all_lines(self) -> dict[int, dict[int, tuple[int, int]]]:
        """Everyone's lines: member → item → (quantity, tolerance), members in the order they
        joined, items in price-list order, only lines with units."""
        order = [item.item_id for item in self.items]
        result = {}
        for member_id, member_lines in self._sums().lines.items():
            kept = {
                item_id: member_lines[item_id]
                for item_id in order
                if item_id in member_lines and member_lines[item_id][0] > 0
            }
            if kept:
                result[member_id] = kept
        return result

    def lines(self, member_id: int) -> dict[int, tuple[int, int]]:
        """A member's lines: item id → (quantity, tolerance), only lines with units."""
        totals = self._sums().lines.get(member_id, {})
        return {
            item.item_id: totals[item.item_id]
            for item in self.items
            if item.item_id in totals and totals[item.item_id][0] > 0
        }

    def ensure_orders_open(self, now: datetime) -> None:
        """Refuse any change of orders once they are closed, saying why."""
        if not self.accepts_orders(now):
            if self.status is PurchaseStatus.OPEN:
                raise OrdersClosed(N_("the deadline has passed; orders can no longer change"))
            raise OrdersClosed(
                N_("the purchase is {status}; orders can no longer change"), status=self.status
            )

    def _append(
        self, member_id: int, item_id: int, firm: int, tolerance: int, now: datetime
    ) -> None:
        seq = self.requests[-1].seq + 1 if self.requests else 1
        self.requests.append(Request(seq, member_id, item_id, firm, tolerance, now))

    def set_quantity(
        self, member_id: int, member_name: str, item_id: int, quantity: int, now: datetime
    ) -> None:
        """Set a member's quantity of one item, within stock and the per-member limits."""
        self.ensure_orders_open(now)
        item = self.item(item_id)
        current = self.quantity(member_id, item_id)
        if quantity == current:
            return
        if quantity < 0:
            raise LimitExceeded(N_("a quantity cannot be negative"))
        if quantity > MAX_UNITS_PER_LINE:
            raise LimitExceeded(N_("at most {limit} units of one item"), limit=MAX_UNITS_PER_LINE)
        if item.member_max is not None and quantity > item.member_max:
            raise LimitExceeded(
                N_("at most {limit} of {item} per member"), limit=item.member_max, item=item.label
            )
        if item.member_min is not None and 0 < quantity < item.member_min:
            raise LimitExceeded(
                N_("at least {limit} of {item} per member"), limit=item.member_min, item=item.label
            )
        if item.stock is not None:
            left = item.stock - self.item_units(item_id) + current
            if quantity > left:
                raise OutOfStock(
                    N_("{item} is sold out")
                    if left == 0
                    else N_("only {left} of {item} left for you"),
                    item=item.label,
                    left=left,
                )
        was_member = self.takes_part(member_id)
        moq_was_met = self.moq is not None and self.moq_met()
        tolerance = self.tolerance(member_id, item_id)
        drop_tolerance = -tolerance if quantity == 0 else 0
        self._append(member_id, item_id, quantity - current, drop_tolerance, now)
        self.members.setdefault(member_id, Member(member_id, member_name, now))
        if not was_member:
            self.events.append(events.MemberJoined(self.id, member_id))
        self.events.append(
            events.OrderChanged(self.id, member_id, item_id, quantity, tolerance + drop_tolerance)
        )
        self._note_moq_crossing(moq_was_met)
        if item.stock is not None and self.item_units(item_id) == item.stock:
            self.events.append(events.SoldOut(self.id, item_id))
            if all(
                i.stock is not None and self.item_units(i.item_id) == i.stock for i in self.items
            ):
                self._stop_when_sold_out()

    def _note_moq_crossing(self, was_met: bool) -> None:
        """The minimum reached, or no longer reached while orders are open: the head hears of
        each crossing (runtime/course_notices.py tells only what still holds)."""
        if self.moq is None:
            return
        now_met = self.moq_met()
        if now_met and not was_met:
            self.events.append(events.MoqReached(self.id))
        elif was_met and not now_met and self.status is PurchaseStatus.OPEN:
            self.events.append(events.MoqLost(self.id))

    def _stop_when_sold_out(self) -> None:
        # Sold out is a stop like the deadline: the same MOQ rule decides the outcome, but the
        # deadline has not passed, so a short MOQ cannot "extend" — it fails or asks the head.
        if self.moq_met():
            self._stop()
        elif self.short_policy is ShortPolicy.ASK:
            self.awaiting_head_decision = True
            self.events.append(events.HeadDecisionNeeded(self.id))

    def add_units(
        self, member_id: int, member_name: str, item_id: int, delta: int, now: datetime
    ) -> int:
        """Add (or remove, with a negative delta) units; the first unit jumps to the minimum."""
        current = self.quantity(member_id, item_id)
        target = current + delta
        item = self.item(item_id)
        if delta > 0 and current == 0 and item.member_min:
            target = max(target, item.member_min)
        if delta < 0 and item.member_min and 0 < target < item.member_min:
            target = 0
        self.set_quantity(member_id, member_name, item_id, max(target, 0), now)
        return self.quantity(member_id, item_id)

    def set_tolerance(self, member_id: int, item_id: int, tolerance: int, now: datetime) -> None:
        """ "I would also take up to N more units to help fill a pack"."""
        self.ensure_orders_open(now)
        item = self.item(item_id)
        current = self.tolerance(member_id, item_id)
        if tolerance == current:
            return
        if item.pack_size == 1:
            raise LimitExceeded(
                N_("{item} is not sold in packs, so tolerance does not apply"), item=item.label
            )
        if not 0 <= tolerance < item.pack_size:
            raise LimitExceeded(
                N_("tolerance is from 0 to {limit} units"), limit=item.pack_size - 1
            )
        if tolerance and self.quantity(member_id, item_id) == 0:
            raise LimitExceeded(N_("order at least one unit before adding tolerance"))
        self._append(member_id, item_id, 0, tolerance - current, now)
        self.events.append(
            events.OrderChanged(
                self.id, member_id, item_id, self.quantity(member_id, item_id), tolerance
            )
        )

    def take_back_unit(self, member_id: int, member_name: str, item_id: int, now: datetime) -> int:
        """−1 in the order editor: refused when the member has none of the item."""
        if self.quantity(member_id, item_id) == 0:
            raise LimitExceeded(N_("you have none of this item"))
        return self.add_units(member_id, member_name, item_id, -1, now)

    def change_tolerance(self, member_id: int, item_id: int, delta: int, now: datetime) -> None:
        """Tolerance one up or down from where it is."""
        if self.quantity(member_id, item_id) == 0:
            raise LimitExceeded(N_("order at least one unit before adding tolerance"))
        self.set_tolerance(member_id, item_id, self.tolerance(member_id, item_id) + delta, now)

    def _remove_all(self, member_id: int, now: datetime) -> None:
        moq_was_met = self.moq is not None and self.moq_met()
        for item in self.items:
            quantity = self.quantity(member_id, item.item_id)
            tolerance = self.tolerance(member_id, item.item_id)
            if quantity or tolerance:
                self._append(member_id, item.item_id, -quantity, -tolerance, now)
        self.withdrawal_requests.pop(member_id, None)
        self.events.append(events.MemberWithdrew(self.id, member_id))
        self._note_moq_crossing(moq_was_met)

    def moq_met(self) -> bool:
        if self.moq is None:
            return self.firm_units() > 0
        if self.moq.units is not None:
            return self.firm_units() >= self.moq.units
        assert self.moq.money is not None
        return self.goods_total_requested() >= self.moq.money

    def _queues(self, item_id: int) -> tuple[list[QueueEntry], list[QueueEntry]]:
        mine = [r for r in self.requests if r.item_id == item_id]
        firm = timed_queue((r.member_id, r.firm_delta, r.at) for r in mine if r.firm_delta)
        tolerance = timed_queue(
            (r.member_id, r.tolerance_delta, r.at) for r in mine if r.tolerance_delta
        )
        return firm, tolerance

    def queues(self, item_id: int) -> tuple[list[QueueEntry], list[QueueEntry]]:
        """The item's firm and tolerance queues, first requested first: what a campaign
        allocates across its communities."""
        return self._queues(item_id)

    def row_groups(self) -> dict[int, list[int]]:
        """Groups sold in full rows: group number → its variants' item ids, in order."""
        groups: dict[int, list[int]] = {}
        for item in self.items:
            if item.in_rows:
                groups.setdefault(item.group, []).append(item.item_id)
        return groups

    def variants_of(self, group: int) -> list[Item]:
        return [item for item in self.items if item.group == group]

    def rows_state(self, group: int) -> RowsState:
        variants = [item.item_id for item in self.variants_of(group)]
        return rows_state({item_id: self.item_units(item_id) for item_id in variants}, variants)

    def row_moves(self, member_id: int) -> list[tuple[int, int]]:
        """The moves (from item, to item) that would put one of this member's units outside a
        full row into one that completes it: after the stop, where the head allows swaps."""
        if self.status is not PurchaseStatus.STOPPED:
            return []
        allocation = self.allocation()
        moves: list[tuple[int, int]] = []
        for group, variants in self.row_groups().items():
            if not self.item(group).swaps or any(i in self.supply for i in variants):
                continue
            short = {i: allocation[i].short.get(member_id, 0) for i in variants}
            units = {i: self.item_units(i) for i in variants}
            moves += [
                (source, target)
                for source, target in completing_moves(units, variants, short)
                if self.item(target).stock is None or units[target] < (self.item(target).stock or 0)
            ]
        return moves

    def move_in_row(self, member_id: int, source: int, target: int, now: datetime) -> None:
        """A member short of a full row takes another size that completes one (see
        `row_moves`). This fills others' rows too: `domain.adjustments.move_in_row` is the
        way in that tells them."""
        if (source, target) not in self.row_moves(member_id):
            raise LimitExceeded(N_("that size no longer completes a row"))
        self._append(member_id, source, -1, 0, now)
        self._append(member_id, target, 1, 0, now)
        self.events.append(
            events.OrderChanged(self.id, member_id, target, self.quantity(member_id, target), 0)
        )

    def _row_allocations(self, confirmed: bool) -> dict[int, ItemAllocation]:
        result: dict[int, ItemAllocation] = {}
        for variants in self.row_groups().values():
            supplied = [self.supply[i].units for i in variants if confirmed and i in self.supply]
            result.update(
                allocate_rows(
                    {item_id: self._queues(item_id)[0] for item_id in variants},
                    variants,
                    min(supplied) if supplied else None,
                )
            )
        return result

    def allocation(self) -> dict[int, ItemAllocation]:
        """Packs and units per item by Foodsoft's rule (full rows for goods sold in rows); an
        item short of its own MOQ is dropped."""
        rows = self._row_allocations(confirmed=True)
        result = {}
        for item in self.items:
            if item.item_id in rows:
                result[item.item_id] = rows[item.item_id]
                continue
            firm, tolerance = self._queues(item.item_id)
            if item.item_id in self.allotment:
                confirmed = self.supply.get(item.item_id)
                units = self.allotment[item.item_id] if confirmed is None else confirmed.units
                result[item.item_id] = allot(firm, tolerance, item.pack_size, units)
            elif item.moq_units is not None and self.item_units(item.item_id) < item.moq_units:
                firm_total = sum(entry.units for entry in firm)
                short: dict[int, int] = {}
                for entry in firm:
                    short[entry.member_id] = short.get(entry.member_id, 0) + entry.units
                tolerance_total = sum(entry.units for entry in tolerance)
                result[item.item_id] = ItemAllocation(
                    item.pack_size, firm_total, tolerance_total, 0, {}, {}, short
                )
            else:
                confirmed = self.supply.get(item.item_id)
                result[item.item_id] = allocate(
                    firm, tolerance, item.pack_size, item.stock,
                    None if confirmed is None else confirmed.units // item.pack_size,
                )  # fmt: skip
        return result

    def ordered_units(self, item_id: int) -> int:
        """Units of the item in the supplier order at the stop, before any confirmation."""
        item = self.item(item_id)
        if item_id in self.allotment:
            return self.allotment[item_id]
        if item.in_rows:
            return self._row_allocations(confirmed=False)[item_id].units
        if item.moq_units is not None and self.item_units(item_id) < item.moq_units:
            return 0
        firm, tolerance = self._queues(item_id)
        return allocate(firm, tolerance, item.pack_size, item.stock).units

    def unit_price(self, item_id: int, units: int) -> Money:
        """The price everyone pays per unit: the supplier's confirmed one, else the tier's."""
        confirmed = self.supply.get(item_id)
        if confirmed is not None and confirmed.unit_price is not None:
            return confirmed.unit_price
        return self.item(item_id).price_for(units)

    def weighed_grams(self, member_id: int, item: Item, units: int) -> int:
        """A line of an item sold by weight: the real weight once entered, else the estimate."""
        real = self.weights.get((member_id, item.item_id))
        return real if real is not None else units * (item.estimate_grams or 0)

    def line_goods_minor(self, member_id: int, item: Item, units: int, price_minor: int) -> int:
        """What a member's line of goods costs in minor units: units × price, or for an item
        sold by weight its grams × the price per kg, half a cent rounded up."""
        if item.estimate_grams is None:
            return price_minor * units
        return per_kg_minor(price_minor, self.weighed_grams(member_id, item, units))

    def goods_total_requested(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.items:
            units = self.item_units(item.item_id)
            if item.by_weight:
                grams = units * (item.estimate_grams or 0)
                total += Money(per_kg_minor(item.unit_price.minor, grams), total.currency)
            else:
                total += item.price_for(units) * units
        return total

    @contextlib.contextmanager
    def only_read(self) -> Iterator[None]:
        """A block that reads the purchase and changes nothing (the notices of its events to
        10,000 members, each naming what the member gets): the pack allocation is worked out
        once for the block, not once per member (which made a pickup day's notices take
        minutes before the first went out)."""
        self._only_read = True
        try:
            yield
        finally:
            self._only_read, self._final_lines = False, None

    def final_lines(self) -> dict[int, dict[int, int]]:
        """member → item → units the member gets, by the pack allocation."""
        if self._only_read:
            if self._final_lines is None:
                self._final_lines = self._allocated_lines()
            return self._final_lines
        return self._allocated_lines()

    def _allocated_lines(self) -> dict[int, dict[int, int]]:
        result: dict[int, dict[int, int]] = {}
        members = self.participant_ids()
        for item_id, allocation in self.allocation().items():
            for member_id in members:
                units = allocation.allocated(member_id)
                if units:
                    result.setdefault(member_id, {})[item_id] = units
        return result
