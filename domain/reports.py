"""The rows of the head's reports — supplier order, members, pickup list — computed from the
same allocation and billing as everything else, so exported totals match to the cent."""

from __future__ import annotations

from dataclasses import dataclass

from domain.billing import AmountDue, amounts_due, units_per_member
from domain.money import Money
from domain.permissions import Actor, ensure_can_manage
from domain.purchase import Item, PaymentState, Purchase


@dataclass(frozen=True)
class SupplierLine:
    item: Item
    units: int
    packs: int
    unit_price: Money
    total: Money


@dataclass(frozen=True)
class MemberLine:
    member_id: int
    name: str
    lines: dict[int, int]
    due: AmountDue
    pickup_code: str
    handed_over: bool
    payment: PaymentState | None = None
    paid: Money | None = None


@dataclass(frozen=True)
class Report:
    supplier: list[SupplierLine]
    members: list[MemberLine]

    @property
    def supplier_total(self) -> Money | None:
        totals = [line.total for line in self.supplier]
        return sum(totals[1:], totals[0]) if totals else None


def head_report(purchase: Purchase, actor: Actor) -> Report:
    """For the head and platform admins only: it names the members."""
    ensure_can_manage(purchase, actor)
    units = units_per_member(purchase)
    allocation = purchase.allocation()
    supplier = []
    for item in purchase.items:
        count = sum(lines.get(item.item_id, 0) for lines in units.values())
        price = purchase.unit_price(item.item_id, count)
        packs = allocation[item.item_id].packs if item.pack_size > 1 else count
        supplier.append(SupplierLine(item, count, packs, price, price * count))
    dues = amounts_due(purchase)
    members = [
        MemberLine(
            member_id,
            purchase.members[member_id].name if member_id in purchase.members else str(member_id),
            units[member_id],
            dues[member_id],
            purchase.pickup_codes.get(member_id, ""),
            member_id in purchase.handed_over,
            purchase.payments.get(member_id),
            purchase.paid.get(member_id),
        )
        for member_id in units
    ]
    return Report(supplier, members)
