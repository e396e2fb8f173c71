"""A purchase written as the template writes it, for a head to copy and change: an item, a
pickup slot (for /edit and a campaign's form), and a finished purchase opened again with its
dates moved on (`again_of`). `domain.purchase_form` reads these lines back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.item_identity import same_item
from domain.purchase import Item, PickupSlot, Purchase


def slot_template(slot: PickupSlot, timezone: str) -> str:
    """A pickup slot as a `Pickup:` line writes it (local time), for a head to copy and change."""
    zone = ZoneInfo(timezone)
    starts, ends = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    parts = [f"{starts:%Y-%m-%d %H:%M}-{ends:%H:%M}", slot.place]
    if slot.capacity is not None:
        parts.append(str(slot.capacity))
    return " | ".join(parts)


def item_template(item: Item) -> str:
    """An item as the template writes it, for a head to copy and change (a variant by its
    label, "T-shirt, M": it changes as the line it is)."""
    price = f"{item.unit_price.amount} per kg" if item.by_weight else str(item.unit_price.amount)
    prices = "; ".join(
        [price] + [f"{tier.unit_price.amount} from {tier.min_units}" for tier in item.tiers]
    )
    options = [
        f"{name} {value}"
        for name, value in (
            ("pack", item.pack_size if item.pack_size > 1 else None),
            ("min", item.member_min),
            ("max", item.member_max),
            ("stock", item.stock),
            ("moq", item.moq_units),
        )
        if value is not None
    ]
    if item.estimate_grams is not None:
        options.append(f"about {Decimal(item.estimate_grams).scaleb(-3).normalize():f} kg")
    return " | ".join([item.label, prices, *options])


# A purchase opened again stops at least this long from now.
AGAIN_LEAD = timedelta(hours=1)


@dataclass(frozen=True)
class Again:
    """A purchase to open again: its template (terms and items) with its dates moved on by
    whole weeks, and its item lines with the photo of each (empty: none), for the wizard to
    read as if the head had typed them."""

    template: str
    items: list[tuple[str, str]]
    photo: str


def _item_lines(items: list[Item]) -> list[tuple[str, str]]:
    """Item lines as typed: an item's variants on one line again, with its first variant's
    terms (and each variant's own stock)."""
    lines: list[tuple[str, str]] = []
    for item in items:
        if item.group and item.item_id != item.group:
            continue
        if not item.group:
            lines.append((item_template(item), item.photo))
            continue
        group = [v for v in items if v.group == item.group]
        variants = [v.variant for v in group]
        alone = item_template(replace(item, variant=""))
        if len({v.stock for v in group}) > 1:  # each its own stock: "S:5, M:10"
            variants = [f"{v.variant}:{v.stock}" if v.stock else v.variant for v in group]
            alone = item_template(replace(item, variant="", stock=None))
        name, _, rest = alone.partition(" | ")
        price, _, options = rest.partition(" | ")
        word = "row" if item.in_rows else "variants"
        parts = [name, price, f"{word} {', '.join(variants)}"] + ([options] if options else [])
        if item.swaps:
            parts.append("swap")
        lines.append((" | ".join(parts), item.photo))
    return lines


def again_of(purchase: Purchase, timezone: str, now: datetime) -> Again:
    """The terms, items and photos of `purchase` for a new one, its deadline, pickups and
    pay-by time moved on by the same whole weeks (local time kept: a Friday 18:00 stop stays
    a Friday 18:00 stop) so that it stops an hour from now at the earliest."""
    zone = ZoneInfo(timezone)
    weeks = 1
    while purchase.deadline + timedelta(weeks=weeks) < now + AGAIN_LEAD:
        weeks += 1

    def moved(instant: datetime) -> datetime:
        local = instant.astimezone(zone).replace(tzinfo=None) + timedelta(weeks=weeks)
        return local.replace(tzinfo=zone)

    local = "%Y-%m-%d %H:%M"
    lines = [f"Title: {purchase.title}"]
    if purchase.description:
        lines.append("Description: " + " ".join(purchase.description.split()))
    if purchase.supplier:
        lines.append(f"Supplier: {purchase.supplier}")
    items = _item_lines(purchase.items)
    # An item listed twice as it is (before that was caught) is written once; twins at two
    # prices stay, for the head to be asked which.
    once = [it for n, it in enumerate(purchase.items)
            if not any(same_item(it, earlier) for earlier in purchase.items[:n])]  # fmt: skip
    lines += [f"Item: {line}" for line, _photo in _item_lines(once)]
    if purchase.moq is not None:
        moq = purchase.moq
        lines.append(
            f"Min order: {moq.units} units"
            if moq.units is not None
            else f"Min order: {moq.money.amount if moq.money else ''} {purchase.currency}"
        )
    lines.append(f"Deadline: {moved(purchase.deadline):{local}}")
    for slot in purchase.pickup_slots:
        # A slot is typed within one day ("2026-12-07 10:00-12:00"), so it is written so.
        window = f"{moved(slot.starts_at):{local}}-{moved(slot.ends_at):%H:%M}"
        lines.append(
            " | ".join([f"Pickup: {window}", slot.place]
                       + ([str(slot.capacity)] if slot.capacity else []))
        )  # fmt: skip
    lines.append(f"Fee: {purchase.fee_percent}%")
    if purchase.delivery_cost is not None:
        split = purchase.delivery_split.value.replace("_", " ")
        lines.append(f"Delivery: {purchase.delivery_cost.amount} {split}")
    if purchase.regions:
        lines.append("Regions: " + ", ".join(purchase.regions))
    policy = purchase.short_policy.value
    if purchase.extend_by is not None and policy == "extend":
        policy = f"extend {int(purchase.extend_by.total_seconds() // 60)}m"
    lines.append(f"If short: {policy}")
    lines.append(f"Payment: {purchase.payment_mode.value}")
    if purchase.pay_to:
        lines.append("Pay to: " + " ".join(purchase.pay_to.split()))
    if purchase.pay_by is not None:
        lines.append(f"Pay by: {moved(purchase.pay_by):{local}}")
    if purchase.open_to_link:
        lines.append("Who can join: anyone with the link")
    return Again("\n".join(lines), items, purchase.photo)
