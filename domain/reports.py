"""The rows of the head's reports — supplier order, members, pickup list — computed from the
same allocation and billing as everything else, so exported totals match to the cent."""

from __future__ import annotations

from dataclasses import dataclass

from domain.billing import AmountDue, units_per_member
from domain.ledger import Account, accounts, dues_of
from domain.money import Money
from domain.permissions import Actor, ensure_can_manage
from domain.purchase import Item, Purchase, PurchaseStatus


@dataclass(frozen=True)
class SupplierLine:
    item: Item
    units: int
    packs: int
    unit_price: Money
    total: Money
    # An item sold by weight: its weight in grams, the price per kg; `estimated` while some of
    # it is not weighed yet.
    grams: int = 0
    estimated: bool = False


@dataclass(frozen=True)
class MemberLine:
    member_id: int
    name: str
    lines: dict[int, int]
    due: AmountDue
    pickup_code: str
    handed_over: bool
    account: Account | None = None  # once anything is due or on record (after the stop)


@dataclass(frozen=True)
class Report:
    supplier: list[SupplierLine]
    members: list[MemberLine]

    @property
    def supplier_total(self) -> Money | None:
        totals = [line.total for line in self.supplier]
        return sum(totals[1:], totals[0]) if totals else None


def supplier_lines(purchase: Purchase) -> list[SupplierLine]:
    """The supplier order, item by item: what was asked while open, allocated after the stop.
    An item nobody gets is not a line: "0 × €9.90" is nothing to order."""
    units = units_per_member(purchase)
    allocation = purchase.allocation()
    supplier = []
    for item in purchase.items:
        count = sum(lines.get(item.item_id, 0) for lines in units.values())
        if not count:
            continue
        price = purchase.unit_price(item.item_id, count)
        packs = allocation[item.item_id].packs if item.pack_size > 1 else count
        if item.by_weight:
            lines = [
                (m, member[item.item_id]) for m, member in units.items() if item.item_id in member
            ]
            grams = sum(purchase.weighed_grams(m, item, n) for m, n in lines)
            minor = sum(purchase.line_goods_minor(m, item, n, price.minor) for m, n in lines)
            estimated = any((m, item.item_id) not in purchase.weights for m, _n in lines)
            total = Money(minor, price.currency)
            supplier.append(SupplierLine(item, count, packs, price, total, grams, estimated))
        else:
            supplier.append(SupplierLine(item, count, packs, price, price * count))
    return supplier


def head_report(purchase: Purchase, actor: Actor) -> Report:
    """For the head and platform admins only: it names the members."""
    ensure_can_manage(purchase, actor)
    units = units_per_member(purchase)
    supplier = supplier_lines(purchase)
    dues = dues_of(purchase)
    estimates = purchase.status in (PurchaseStatus.DRAFT, PurchaseStatus.OPEN)
    money = {} if estimates else accounts(purchase)
    zero = Money.zero(purchase.currency)
    nothing = AmountDue(zero, zero, zero, is_estimate=False)
    # Members with goods, then those who get nothing now but have money on record (they left
    # after paying): the head still owes them, and the balances add up only with them.
    members = [
        MemberLine(
            member_id,
            purchase.members[member_id].name if member_id in purchase.members else str(member_id),
            units.get(member_id, {}),
            dues.get(member_id, nothing),
            purchase.pickup_codes.get(member_id, ""),
            member_id in purchase.handed_over,
            money.get(member_id),
        )
        for member_id in dict.fromkeys([*units, *money])
    ]
    return Report(supplier, members)
