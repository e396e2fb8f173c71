"""Goods sold by weight: members order pieces of cheese or meat at a price per kg, and what
each owes is an estimate (pieces × what a piece weighs, about) until the head enters the real
weight of each member's pieces — when the supplier's delivery is weighed, or at the pickup.
`domain.adjustments.enter_weights` is the way in that settles the difference in the ledger and
tells each member what it came to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.errors import N_, IllegalTransition, InvalidPurchase, NotFound
from domain.permissions import Actor, ensure_can_manage
from domain.purchase import Purchase, PurchaseStatus

# Weighed when the supplier's goods come in, or at the pickup; a finished purchase is closed.
WEIGHABLE = (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED, PurchaseStatus.ARRIVED)
# A member's pieces of one item weigh at most this much: more is a typing mistake.
MAX_LINE_GRAMS = 1_000_000
# "3. Alice — Cheese, 2 pcs (about 1 kg): 1.04", as the bot's own form writes it, or "3: 1040 g".
LINE = re.compile(r"\s*(\d+)\.?[^:：]*[:：]\s*([\d.,]+)\s*(kg|g|кг|г|公斤|千克|克)?\s*")


@dataclass(frozen=True)
class WeighingLine:
    """One member's pieces of one item sold by weight, numbered for the head's form."""

    number: int
    member_id: int
    item_id: int
    units: int
    estimate_grams: int
    grams: int | None  # entered, or None while still the estimate


def weighing_lines(purchase: Purchase) -> list[WeighingLine]:
    """Every member's line of an item sold by weight, items in price-list order and members
    in the order they joined: the numbers the head's form and answer use."""
    result: list[WeighingLine] = []
    lines = purchase.final_lines()
    for item in purchase.items:
        if not item.by_weight:
            continue
        for member_id, member_lines in lines.items():
            units = member_lines.get(item.item_id, 0)
            if units:
                result.append(
                    WeighingLine(
                        len(result) + 1,
                        member_id,
                        item.item_id,
                        units,
                        units * (item.estimate_grams or 0),
                        purchase.weights.get((member_id, item.item_id)),
                    )
                )
    return result


def _grams(text: str, unit: str | None, line: int) -> int:
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        amount = Decimal("NaN")
    grams = amount if unit in ("g", "г", "克") else amount * 1000
    if not grams.is_finite() or grams != grams.to_integral_value() or grams <= 0:
        raise InvalidPurchase(
            N_("line {line}: write the weight in kg with up to 3 decimals, e.g. 1.04"), line=line
        )
    if grams > MAX_LINE_GRAMS:
        raise InvalidPurchase(N_("line {line}: {kg} kg is more than one line weighs"), line=line,
                              kg=text)  # fmt: skip
    return int(grams)


def parse_weights(text: str, purchase: Purchase) -> dict[int, int]:
    """The head's answer: line number of the form → grams; anything else is refused with the
    line it is on."""
    numbers = {line.number for line in weighing_lines(purchase)}
    found: dict[int, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        match = LINE.fullmatch(raw)
        if match is None:
            raise InvalidPurchase(
                N_('line {line}: write "<number>: <kg>", e.g. "3: 1.04"'), line=number
            )
        if int(match[1]) not in numbers:
            raise NotFound(N_("line {line}: there is no weighed line number {number}"),
                           line=number, number=int(match[1]))  # fmt: skip
        if int(match[1]) in found:
            raise InvalidPurchase(N_("line {line}: number {number} is weighed twice"),
                                  line=number, number=int(match[1]))  # fmt: skip
        found[int(match[1])] = _grams(match[2], match[3] and match[3].lower(), number)
    if not found:
        raise InvalidPurchase(N_("write at least one weight"))
    return found


def enter_weights(purchase: Purchase, actor: Actor, grams: dict[int, int]) -> None:
    """Record the real weights (form line number → grams), all or none."""
    ensure_can_manage(purchase, actor)
    if purchase.status not in WEIGHABLE:
        raise IllegalTransition(
            N_("weights are entered after the stop and before the purchase is closed; "
               "the purchase is {status}"),
            status=purchase.status,
        )  # fmt: skip
    lines = {line.number: line for line in weighing_lines(purchase)}
    if not lines:
        raise NotFound(N_("nothing in this purchase is sold by weight"))
    for number, weight in grams.items():
        line = lines[number]
        purchase.weights[(line.member_id, line.item_id)] = weight
