"""What the supplier confirmed after the stop: often fewer packs than ordered, sometimes a new
price. The head enters it per item; packs are re-allocated by the same queue (the latest
requests go short first) and amounts follow. `domain.adjustments.confirm_supply` is the way in
that tells every member whose lines or amount changed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import N_, IllegalTransition, InvalidPurchase, NotAllowed, NotFound
from domain.money import Money
from domain.permissions import Actor, ensure_can_manage
from domain.purchase import Purchase, PurchaseStatus, SupplyConfirmation

# After the order is placed the supplier's answer may still change it; once goods have
# arrived the pickup codes and notices stand.
CONFIRMABLE = (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED)
# "2. Honey 0.5 kg: 3 @ 7.50 (ordered 4)": the item's number, its name (which may hold a
# colon), a colon (full-width too), units, an optional new price, an optional remark in
# brackets as the bot's own template writes it.
LINE = re.compile(r"\s*(\d+)\.?.*[:：]\s*(\d+)\s*(?:@\s*([^\s(（]+))?\s*(?:[(（].*)?")


@dataclass(frozen=True)
class SupplyLine:
    item_id: int
    units: int
    unit_price: Money | None = None


def parse_supply(text: str, purchase: Purchase) -> list[SupplyLine]:
    """One line per item, as the bot's own template writes it; anything else is refused with
    the line it is on."""
    found: list[SupplyLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        match = LINE.fullmatch(raw)
        if match is None:
            raise InvalidPurchase(
                N_('line {line}: write "<item number>. <name>: <units>", e.g. "1. Honey: 6"'),
                line=number,
            )
        item_id = int(match[1])
        if item_id not in {item.item_id for item in purchase.items}:
            raise NotFound(N_("line {line}: there is no item number {item}"), line=number,
                           item=item_id)  # fmt: skip
        price = None if match[3] is None else Money.parse(match[3], purchase.currency)
        found.append(SupplyLine(item_id, int(match[2]), price))
    if not found:
        raise InvalidPurchase(N_("write at least one item line"))
    return found


def confirm_supply(purchase: Purchase, actor: Actor, lines: list[SupplyLine]) -> None:
    """Apply the supplier's confirmation, all lines or none."""
    ensure_can_manage(purchase, actor)
    if purchase.campaign_id is not None:
        raise NotAllowed(
            N_("the supplier of {campaign} confirms to its operator, for every community at "
               "once"),
            campaign=purchase.campaign_title,
        )  # fmt: skip
    if purchase.status not in CONFIRMABLE:
        raise IllegalTransition(
            N_("the supplier's confirmation is entered after the stop and before arrival; "
               "the purchase is {status}"),
            status=purchase.status,
        )  # fmt: skip
    for line in lines:
        item = purchase.item(line.item_id)
        ordered = purchase.ordered_units(line.item_id)
        if line.units > ordered:
            raise InvalidPurchase(
                N_("{item}: {units} is more than the {ordered} units ordered"),
                item=item.label, units=line.units, ordered=ordered,
            )  # fmt: skip
        if line.units % item.pack_size:
            raise InvalidPurchase(
                N_("{item}: the supplier sends whole packs of {size}"),
                item=item.label, size=item.pack_size,
            )  # fmt: skip
        if line.unit_price is not None and line.unit_price.minor <= 0:
            raise InvalidPurchase(N_("{item}: the price must be more than zero"), item=item.label)
    for line in lines:
        purchase.supply[line.item_id] = SupplyConfirmation(line.units, line.unit_price)
