"""What the supplier confirmed after the stop: often fewer packs than ordered, sometimes a new
price. The head enters it per item; packs are re-allocated by the same queue (the latest
requests go short first), amounts follow, and every member whose lines or amount changed is
told. Money already paid stays recorded: a member who now owes less is owed the difference,
one who owes more pays the rest."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from domain import events
from domain.billing import AmountDue, amounts_due
from domain.errors import N_, IllegalTransition, InvalidPurchase, NotFound
from domain.money import Money
from domain.permissions import Actor, ensure_can_manage
from domain.purchase import PaymentState, Purchase, PurchaseStatus, SupplyConfirmation

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


def confirm_supply(purchase: Purchase, actor: Actor, lines: list[SupplyLine]) -> list[int]:
    """Apply the supplier's confirmation; returns the members whose lines or amount changed."""
    ensure_can_manage(purchase, actor)
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
                item=item.name, units=line.units, ordered=ordered,
            )  # fmt: skip
        if line.units % item.pack_size:
            raise InvalidPurchase(
                N_("{item}: the supplier sends whole packs of {size}"),
                item=item.name, size=item.pack_size,
            )  # fmt: skip
        if line.unit_price is not None and line.unit_price.minor <= 0:
            raise InvalidPurchase(N_("{item}: the price must be more than zero"), item=item.name)
    before_lines = purchase.final_lines()
    before_due = {m: due.total for m, due in amounts_due(purchase).items()}
    for line in lines:
        purchase.supply[line.item_id] = SupplyConfirmation(line.units, line.unit_price)
    after_lines = purchase.final_lines()
    after_due = {m: due.total for m, due in amounts_due(purchase).items()}
    changed = [
        m
        for m in purchase.participant_ids()
        if before_lines.get(m) != after_lines.get(m) or before_due.get(m) != after_due.get(m)
    ]
    for member in changed:
        paid = purchase.paid.get(member)
        due = after_due.get(member)
        if paid is not None and due is not None and paid < due:
            # They paid the old amount: the rest is unpaid until the head confirms it.
            purchase.payments[member] = PaymentState.PARTLY_PAID
    purchase.events.append(
        events.SupplyConfirmed(purchase.id, tuple(line.item_id for line in lines), tuple(changed))
    )
    return changed


def balance(purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue]) -> Money:
    """What the member still owes (positive) or is owed back (negative) after what they paid;
    `dues` is `amounts_due(purchase)`, computed once by the caller for all its members."""
    due = dues.get(member_id)
    owed = due.total if due is not None else Money.zero(purchase.currency)
    return owed - purchase.paid.get(member_id, Money.zero(purchase.currency))


def refunds_due(purchase: Purchase) -> dict[int, Money]:
    """Members who paid more than they now owe, and how much the head gives back: after a
    cancellation, everything they paid."""
    if purchase.status is PurchaseStatus.CANCELLED:
        return dict(purchase.paid)
    dues = amounts_due(purchase)
    result = {}
    for member in purchase.paid:
        left = balance(purchase, member, dues)
        if left.minor < 0:
            result[member] = Money(-left.minor, left.currency)
    return result
