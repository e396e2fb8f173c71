"""The purchase's terms: what makes a valid purchase, and the head's edits while orders
are open."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from domain import events
from domain.errors import InvalidPurchase, NotAllowed, NotFound, OrdersClosed
from domain.permissions import Actor
from domain.purchase import Moq, PickupSlot, PriceTier, ShortPolicy
from tests.support.aggregate import HEAD_ACTOR, LATER, A, B, kinds
from tests.support.builders import NOW, eur, item, purchase


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": " "}, "needs a title"),
        ({"title": "x" * 121}, "longer than 120"),
        ({"description": "x" * 2001}, "description is longer"),
        ({"items": []}, "at least one item"),
        ({"items": [item(2)]}, "numbered 1, 2, 3"),
        ({"deadline": NOW}, "deadline is in the past"),
        ({"fee_percent": Decimal(11)}, "between 0% and 10%"),
        ({"delivery_cost": eur("-1.00")}, "delivery cost"),
        ({"short_policy": ShortPolicy.EXTEND}, "extend 24h"),
        ({"currency": "USD"}, "not in USD"),
        (
            {"pickup_slots": [PickupSlot("Hall", NOW, NOW + timedelta(hours=1))]},
            "after the deadline",
        ),
        ({"items": [item(1, "0.00")]}, "more than zero"),
        ({"items": [item(1, pack_size=0)]}, "pack size"),
        ({"items": [item(1, stock=0)]}, "at least 1"),
        ({"items": [item(1, member_min=5, member_max=2)]}, "minimum is above"),
        ({"items": [item(1, name=" ")]}, "needs a name"),
        ({"items": [item(1, tiers=(PriceTier(5, eur("13.00")),))]}, "cheaper"),
        ({"items": [item(1, tiers=(PriceTier(1, eur("10.00")),))]}, "rising thresholds"),
        ({"items": [item(i) for i in range(1, 52)]}, "at most 50 items"),
    ],
)
def test_invalid_terms_are_refused_with_the_reason(change: dict[str, object], message: str) -> None:
    p = purchase()
    with pytest.raises(InvalidPurchase, match=message):
        replace(p, **change).validate(NOW, Decimal(10))  # type: ignore[arg-type]


def test_moq_money_must_match_the_purchase_currency() -> None:
    from domain.money import Money

    with pytest.raises(InvalidPurchase, match="minimum order must be in EUR"):
        replace(purchase(), moq=Moq(money=Money(100, "USD"))).validate(NOW, Decimal(10))


@pytest.mark.parametrize(
    "moq", [{}, {"units": 1, "money": eur("1.00")}, {"units": 0}, {"money": eur("0")}]
)
def test_a_moq_is_units_or_money_and_positive(moq: dict[str, object]) -> None:
    with pytest.raises(InvalidPurchase):
        Moq(**moq)  # type: ignore[arg-type]


def test_pickup_slot_needs_place_and_window() -> None:
    with pytest.raises(InvalidPurchase, match="place"):
        PickupSlot(" ", NOW, LATER)
    with pytest.raises(InvalidPurchase, match="end after"):
        PickupSlot("Hall", LATER, NOW)


def test_the_head_edits_terms_while_orders_are_open() -> None:
    p = purchase([item(1, name="Honey"), item(2, "7.00", name="Wax")])
    p.set_quantity(A, "A", 1, 1, NOW)
    later = NOW + timedelta(days=4)
    slot = PickupSlot("Yard", later + timedelta(days=1), later + timedelta(days=1, hours=1))
    changed = p.edit(
        HEAD_ACTOR, NOW, title="Walnut honey", deadline=later, pickup=[slot],
        items=[item(0, "6.50", name="wax", pack_size=2)],
    )  # fmt: skip
    assert changed == ("title", "deadline", "pickup", "items")
    assert p.events[-1] == events.PurchaseEdited(7, changed)
    assert (p.title, p.deadline, p.pickup_slots) == ("Walnut honey", later, [slot])
    assert p.items[1] == item(2, "6.50", name="wax", pack_size=2)
    assert p.edit(HEAD_ACTOR, NOW, title="Walnut honey") == ()  # nothing new: no event
    assert kinds(p).count(events.PurchaseEdited) == 1


def test_edits_that_break_a_rule_change_nothing() -> None:
    p = purchase([item(1, name="Honey"), item(2, "7.00", name="Wax")])
    p.set_quantity(A, "A", 1, 1, NOW)
    p.set_quantity(A, "A", 1, 0, NOW)  # ordered once, then taken back: still not changeable
    p.set_quantity(B, "B", 2, 1, NOW)
    before = replace(p, events=[])
    with pytest.raises(NotAllowed, match="Honey: members have ordered it"):
        p.edit(HEAD_ACTOR, NOW, title="New", items=[item(0, "1.00", name="Honey")])
    with pytest.raises(NotFound, match="no item named Jam"):
        p.edit(HEAD_ACTOR, NOW, items=[item(0, "1.00", name="Jam")])
    early = PickupSlot("Yard", NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    with pytest.raises(InvalidPurchase, match="pickup must come after the deadline"):
        p.edit(HEAD_ACTOR, NOW, title="New", pickup=[early])
    with pytest.raises(NotAllowed):
        p.edit(Actor(A), NOW, title="Mine now")
    p.stop_now(HEAD_ACTOR)
    with pytest.raises(OrdersClosed, match="only while orders are open"):
        p.edit(HEAD_ACTOR, NOW, title="Too late")
    assert replace(p, status=before.status, events=[]) == before
