"""What each member owes: goods, the organizer fee and a share of delivery, exact to the cent.

Worked example (EUR, fee 5%, delivery 20.00 split by amount): A's goods are 87.50 and B's
37.50, 125.00 in all. The fee is 5% of 125.00 = 6.25, split by goods: A 4.375 → 4.38,
B 1.875 → 1.87 (the one cent left over goes to the larger remainder, ties to the earlier
member). Delivery 20.00 by goods: A 14.00, B 6.00. A owes 87.50 + 4.38 + 14.00 = 105.88 and
B 37.50 + 1.87 + 6.00 = 45.37; together 151.25 = 125.00 + 6.25 + 20.00, never a cent more.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.money import Money, split_minor
from domain.purchase import DeliverySplit, Purchase, PurchaseStatus


@dataclass(frozen=True)
class AmountDue:
    goods: Money
    fee: Money
    delivery: Money
    is_estimate: bool

    @property
    def total(self) -> Money:
        return self.goods + self.fee + self.delivery


def units_per_member(purchase: Purchase) -> dict[int, dict[int, int]]:
    """member → item → units: what was asked while open, what was allocated after the stop."""
    if purchase.status in (PurchaseStatus.DRAFT, PurchaseStatus.OPEN):
        return {
            member_id: {item_id: quantity for item_id, (quantity, _tol) in lines.items()}
            for member_id, lines in purchase.all_lines().items()
        }
    return purchase.final_lines()


def item_unit_prices(purchase: Purchase, units: dict[int, dict[int, int]]) -> dict[int, Money]:
    """The price per unit of each item at its final tier (everyone pays the same price)."""
    totals = {item.item_id: 0 for item in purchase.items}
    for lines in units.values():
        for item_id, count in lines.items():
            totals[item_id] += count
    return {
        item.item_id: purchase.unit_price(item.item_id, totals[item.item_id])
        for item in purchase.items
    }


@dataclass(frozen=True)
class _Shares:
    """Everyone's goods, fee and delivery in minor units, members in join order."""

    member_ids: list[int]
    goods: list[int]
    fees: list[int]
    deliveries: list[int]
    # Members with goods sold by weight not weighed yet: their amounts are estimates still.
    unweighed: frozenset[int] = frozenset()


def _shares(purchase: Purchase) -> _Shares:
    # Whole minor units throughout: a rush of taps recomputes this for every tap, and a
    # thousand members' worth of Money objects per tap was most of what a tap cost.
    units = units_per_member(purchase)
    prices = {item_id: price.minor for item_id, price in item_unit_prices(purchase, units).items()}
    member_ids = list(units)
    weighed = {item.item_id: item for item in purchase.items if item.by_weight}
    goods = [
        sum(
            purchase.line_goods_minor(m, weighed[item_id], count, prices[item_id])
            if item_id in weighed
            else prices[item_id] * count
            for item_id, count in units[m].items()
        )
        for m in member_ids
    ]
    fee_total = Money(sum(goods), purchase.currency).percent(purchase.fee_percent).minor
    fees = split_minor(fee_total, goods)
    if purchase.delivery_split is DeliverySplit.PER_MEMBER:
        weights = [1] * len(member_ids)
    elif purchase.delivery_split is DeliverySplit.PER_UNIT:
        weights = [sum(units[m].values()) for m in member_ids]
    else:
        weights = goods
    delivery = purchase.delivery_cost.minor if purchase.delivery_cost else 0
    unweighed = frozenset(
        m
        for m in (member_ids if weighed else ())  # most purchases weigh nothing: no loop
        if any(i in weighed and (m, i) not in purchase.weights for i in units[m])
    )
    return _Shares(member_ids, goods, fees, split_minor(delivery, weights), unweighed)


def _is_estimate(purchase: Purchase) -> bool:
    return purchase.status in (PurchaseStatus.DRAFT, PurchaseStatus.OPEN)


def amounts_due(purchase: Purchase, only: Collection[int] | None = None) -> dict[int, AmountDue]:
    """Every participant's amount due (or only those of `only` who take part); estimates until
    the purchase is stopped. The split is over everyone either way: `only` saves building the
    amounts nobody asked for, which is what a batch of taps' toasts would mostly do."""
    shares = _shares(purchase)
    currency, estimate = purchase.currency, _is_estimate(purchase)
    return {
        member_id: AmountDue(
            Money(shares.goods[i], currency),
            Money(shares.fees[i], currency),
            Money(shares.deliveries[i], currency),
            estimate or member_id in shares.unweighed,
        )
        for i, member_id in enumerate(shares.member_ids)
        if only is None or member_id in only
    }


def amount_due_of(purchase: Purchase, member_id: int) -> AmountDue | None:
    """One member's amount due, the same as `amounts_due(purchase)[member_id]`."""
    return amounts_due(purchase, {member_id}).get(member_id)
