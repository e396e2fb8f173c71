"""How many units of an item one member would usually order, derived from the purchase itself:
more than that is asked about (the order editor), or refused with the reason (the Mini App,
the card's +1), so that 100000 typed for 10 costs nobody anything. docs/checks.md explains
the numbers to people.
"""

from __future__ import annotations

from domain.errors import N_, UnusualQuantity
from domain.orders import PurchaseOrders, per_kg_minor
from domain.terms import MAX_UNITS_PER_LINE, Item, Moq

# Ten times what the purchase itself measures in (its minimum order, the item's own minimum,
# the member's minimum, a pack) or ten times the most anyone else ordered: a slip of one or
# more zeros lands above it, an honest large order of a real household below.
MULTIPLE = 10
# An item of a purchase with no minimum and no packs has nothing to measure by: this many.
CEILING_WITHOUT_MEASURE = 100


def unit_cost_minor(item: Item) -> int:
    """What one unit costs at the item's listed price (by weight: one estimated piece)."""
    if item.estimate_grams is None:
        return item.unit_price.minor
    return per_kg_minor(item.unit_price.minor, item.estimate_grams)


def usual_bound(item: Item, moq: Moq | None, others_largest: int) -> int:
    """The most units of `item` one member orders without being asked whether they mean it.

    The head's own per-member maximum is the bound where set (above it is refused anyway);
    the stock caps it; otherwise it is the largest of MULTIPLE times each measure the purchase
    has: its minimum order in units, the units its minimum in money buys, the item's own
    minimum, the member's minimum (above 1), the pack, and the most another member ordered.
    With none of the first five, CEILING_WITHOUT_MEASURE stands in for them.
    """
    if item.member_max is not None:
        return item.member_max
    measures = []
    if moq is not None and moq.units is not None:
        measures.append(moq.units)
    cost = unit_cost_minor(item)
    if moq is not None and moq.money is not None and cost > 0:
        measures.append(-(-moq.money.minor // cost))  # the units it takes, rounded up
    if item.moq_units is not None:
        measures.append(item.moq_units)
    if item.member_min is not None and item.member_min > 1:
        measures.append(item.member_min)
    if item.pack_size > 1:
        measures.append(item.pack_size)
    bound = MULTIPLE * max(measures) if measures else CEILING_WITHOUT_MEASURE
    bound = max(bound, MULTIPLE * others_largest)
    if item.stock is not None:
        bound = min(bound, item.stock)
    return max(min(bound, MAX_UNITS_PER_LINE), item.member_min or 1)


def bound_in(purchase: PurchaseOrders, member_id: int, item_id: int) -> int:
    """`usual_bound` of one item of this purchase, for this member (others' orders count)."""
    others = [
        lines[item_id][0]
        for other, lines in purchase.all_lines().items()
        if other != member_id and item_id in lines
    ]
    return usual_bound(purchase.item(item_id), purchase.moq, max(others, default=0))


def _asks(purchase: PurchaseOrders, member_id: int, item_id: int, quantity: int) -> bool:
    """Whether `quantity` is a question at all: above the head's maximum, the stock left or
    the most one line holds it is refused outright with that reason
    (`PurchaseOrders.set_quantity`), and a Confirm could not succeed."""
    item = purchase.item(item_id)
    if item.member_max is not None or quantity > MAX_UNITS_PER_LINE:
        return False
    if item.stock is None:
        return True
    left = item.stock - purchase.item_units(item_id) + purchase.quantity(member_id, item_id)
    return quantity <= left


def _unusual(purchase: PurchaseOrders, item_id: int, quantity: int, bound: int) -> UnusualQuantity:
    return UnusualQuantity(
        N_("{quantity} × {item} is more than anyone would usually order here (up to {bound})"),
        quantity=quantity,
        item=purchase.item(item_id).label,
        bound=bound,
    )


def _usual_whoever_ordered(purchase: PurchaseOrders, item_id: int, quantity: int) -> bool:
    """Within the bound before others' orders count: the bound only grows with them, so
    everyone's lines (a walk over every member) are read only for a quantity past this."""
    return quantity <= usual_bound(purchase.item(item_id), purchase.moq, 0)


def check_raise(purchase: PurchaseOrders, member_id: int, item_id: int, quantity: int) -> None:
    """A quantity set at once (the Mini App): any raise above the bound is refused, even from
    a line confirmed above it earlier, since a typed number can hide a slip anywhere."""
    if _usual_whoever_ordered(purchase, item_id, quantity):
        return
    bound = bound_in(purchase, member_id, item_id)
    if quantity > max(bound, purchase.quantity(member_id, item_id)) and _asks(
        purchase, member_id, item_id, quantity
    ):
        raise _unusual(purchase, item_id, quantity, bound)


def check_step(purchase: PurchaseOrders, member_id: int, item_id: int, quantity: int) -> None:
    """A step up (+1): asked once, when it crosses the bound; a member who confirmed a line
    above it is not asked again at every further tap."""
    if _usual_whoever_ordered(purchase, item_id, quantity):
        return
    bound = bound_in(purchase, member_id, item_id)
    if purchase.quantity(member_id, item_id) <= bound < quantity and _asks(
        purchase, member_id, item_id, quantity
    ):
        raise _unusual(purchase, item_id, quantity, bound)
