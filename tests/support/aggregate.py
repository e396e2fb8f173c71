"""What the purchase aggregate's tests share: members, the head and an admin as actors, a pickup
slot, pickup-code sources, the kinds of events recorded, and the issue's Gouda purchase."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain import events
from domain.permissions import Actor
from domain.purchase import DeliverySplit, PickupSlot, PriceTier, Purchase
from tests.support.builders import HEAD, NOW, eur, item, purchase

A, B, C = 1, 2, 3
HEAD_ACTOR = Actor(HEAD)
ADMIN = Actor(999, is_admin=True)
# Four days on: after the deadline (NOW + 3 days), before the pickup slot.
LATER = NOW + timedelta(days=4)
SLOT = PickupSlot("Hall", NOW + timedelta(days=5), NOW + timedelta(days=5, hours=2))


def codes(*drawn: str) -> Callable[[], str]:
    """A pickup-code source that gives these codes in turn."""
    sequence = iter(drawn)
    return lambda: next(sequence)


def draw() -> str:
    return "ACDE"


def kinds(p: Purchase) -> list[type[events.Event]]:
    return [type(event) for event in p.events]


def gouda() -> Purchase:
    """The issue's scenario: Gouda at 8.40, 7.90 from 10 units; delivery 4.00 per member.
    A takes 2, B 8: the tier is reached and each owes 2.00 of delivery. A owes 17.80."""
    p = purchase(
        [item(1, "8.40", name="Gouda", tiers=(PriceTier(10, eur("7.90")),))],
        delivery_cost=eur("4.00"),
        delivery_split=DeliverySplit.PER_MEMBER,
    )
    p.set_quantity(A, "Alice", 1, 2, NOW)
    p.set_quantity(B, "Bob", 1, 8, NOW)
    p.stop_now(HEAD_ACTOR)
    return p
