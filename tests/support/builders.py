"""Small builders so a test states only what matters to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.membership import Admission
from domain.money import Money
from domain.purchase import Item, Purchase, PurchaseStatus

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
HEAD = 1000


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


def item(item_id: int = 1, price: str = "12.50", **fields: Any) -> Item:
    return Item(
        item_id=item_id, name=fields.pop("name", f"Item {item_id}"), unit_price=eur(price), **fields
    )


def purchase(
    items: list[Item] | None = None, status: PurchaseStatus = PurchaseStatus.OPEN, **fields: Any
) -> Purchase:
    made = Purchase(
        community_id=-100,
        head_id=HEAD,
        title="Wildflower honey",
        currency="EUR",
        items=items or [item()],
        deadline=NOW + timedelta(days=3),
        created_at=NOW,
        id=7,
        **fields,
    )
    made.validate(NOW, Decimal(10))
    return replace(made, status=status)


# For the use cases' tests of other rules (limits, stock, storage): someone the gate let in.
# The gate itself is tested through every way in, in tests/hostile/.
ADMITTED = Admission(staff=True)
