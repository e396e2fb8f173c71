"""What each audience may see: aggregates for the chat card, own lines for a member,
names only for the head and platform admins."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from domain.billing import AmountDue, amounts_due
from domain.errors import N_, NotFound
from domain.ledger import NOTHING_DUE, Account, accounts
from domain.money import Money
from domain.permissions import Actor, ensure_can_manage
from domain.purchase import Item, Moq, PriceTier, Purchase, PurchaseStatus
from domain.rows import RowsState


@dataclass(frozen=True)
class ItemProgress:
    item: Item
    units: int
    unit_price: Money
    next_tier: PriceTier | None
    units_to_next_pack: int


@dataclass(frozen=True)
class CardSummary:
    """Everything the public card shows; by construction it holds no member's identity."""

    purchase_id: int
    title: str
    status: PurchaseStatus
    deadline: datetime
    members_count: int
    units: int
    goods_total: Money
    moq: Moq | None
    progress_percent: int
    items: tuple[ItemProgress, ...]
    # Groups sold in full rows: how their rows are being filled (counts, no names).
    rows: dict[int, RowsState] = field(default_factory=dict)
    # And the rows in the supplier order (after a supplier's confirmation, what it sends).
    rows_ordered: dict[int, int] = field(default_factory=dict)


def card_summary(purchase: Purchase) -> CardSummary:
    allocation = purchase.allocation()
    items = tuple(
        ItemProgress(
            item,
            purchase.item_units(item.item_id),
            item.price_for(purchase.item_units(item.item_id)),
            item.next_tier(purchase.item_units(item.item_id)),
            allocation[item.item_id].units_to_next_pack,
        )
        for item in purchase.items
    )
    goods_total = purchase.goods_total_requested()
    if purchase.moq is None:
        progress = 100 if purchase.firm_units() else 0
    elif purchase.moq.units is not None:
        progress = min(100, purchase.firm_units() * 100 // purchase.moq.units)
    else:
        assert purchase.moq.money is not None
        progress = min(100, goods_total.minor * 100 // purchase.moq.money.minor)
    return CardSummary(
        purchase.id,
        purchase.title,
        purchase.status,
        purchase.deadline,
        len(purchase.participant_ids()),
        purchase.firm_units(),
        goods_total,
        purchase.moq,
        progress,
        items,
        {group: purchase.rows_state(group) for group in purchase.row_groups()},
        {group: allocation[group].units for group in purchase.row_groups()},
    )


@dataclass(frozen=True)
class LineView:
    item: Item
    quantity: int
    tolerance: int
    allocated: int
    short: int
    units_to_next_pack: int


@dataclass(frozen=True)
class MemberOrderView:
    """One member's own order: lines, where they stand in the packs, and what they owe."""

    purchase_id: int
    member_id: int
    status: PurchaseStatus
    lines: tuple[LineView, ...]
    due: AmountDue | None
    # Payment: whether the head collects from this member now, and their account (due, paid,
    # refunded, balance) once there is anything due or on record.
    collecting: bool = False
    account: Account | None = None


def member_orders(purchase: Purchase, member_ids: Collection[int]) -> dict[int, MemberOrderView]:
    """Several members' own orders. What they share (the pack allocation, the split of the fee
    and the delivery) is computed once: a batch of taps or the head's list of participants
    would otherwise recompute the whole purchase once per member."""
    allocation = purchase.allocation()
    everyone_lines = purchase.all_lines()
    # After a failure or a cancel nobody owes anything (domain.ledger): no amount is due.
    dues = {} if purchase.status in NOTHING_DUE else amounts_due(purchase, member_ids)
    # Before the stop nobody pays, and a batch of taps should not split the amounts twice.
    estimates = purchase.status in (PurchaseStatus.DRAFT, PurchaseStatus.OPEN)
    money = {} if estimates else accounts(purchase, only=member_ids)
    collecting = purchase.accepts_payments()
    views = {}
    for member_id in member_ids:
        lines = tuple(
            LineView(
                purchase.item(item_id),
                quantity,
                tolerance,
                allocation[item_id].allocated(member_id),
                allocation[item_id].short.get(member_id, 0),
                allocation[item_id].units_to_next_pack,
            )
            for item_id, (quantity, tolerance) in everyone_lines.get(member_id, {}).items()
        )
        views[member_id] = MemberOrderView(
            purchase.id,
            member_id,
            purchase.status,
            lines,
            dues.get(member_id),
            collecting and member_id in money,
            money.get(member_id),
        )
    return views


def member_order(purchase: Purchase, member_id: int) -> MemberOrderView:
    return member_orders(purchase, [member_id])[member_id]


@dataclass(frozen=True)
class ParticipantView:
    member_id: int
    name: str
    order: MemberOrderView


def participants(purchase: Purchase, actor: Actor) -> list[ParticipantView]:
    """Who joined and with what: only for the head and platform admins."""
    ensure_can_manage(purchase, actor)
    member_ids = purchase.participant_ids()
    orders = member_orders(purchase, member_ids)
    return [
        ParticipantView(member_id, purchase.members[member_id].name, orders[member_id])
        for member_id in member_ids
    ]


def member_numbers(purchase: Purchase) -> dict[int, int]:
    """Each member's number in the purchase ("#3"), in the order they joined: the head's lists
    show it and their commands take it, for members whose names are alike."""
    joined = sorted(purchase.members.values(), key=lambda m: (m.joined_at, m.user_id))
    return {member.user_id: number for number, member in enumerate(joined, start=1)}


def find_member(purchase: Purchase, reference: str) -> int:
    """The member a head means by "#3" or by their name (any case)."""
    wanted = " ".join(reference.split())
    if wanted.startswith("#") and wanted[1:].isdigit():
        by_number = {n: m for m, n in member_numbers(purchase).items()}
        found = by_number.get(int(wanted[1:]))
        if found is None:
            raise NotFound(N_("there is no member {reference} in this purchase"), reference=wanted)
        return found
    named = [m.user_id for m in purchase.members.values() if m.name.lower() == wanted.lower()]
    if not named:
        raise NotFound(N_("there is no member called {reference} here"), reference=wanted)
    if len(named) > 1:
        numbers = member_numbers(purchase)
        raise NotFound(
            N_("{count} members are called {reference}: use their number, e.g. #{number}"),
            count=len(named), reference=wanted, number=numbers[named[0]],
        )  # fmt: skip
    return named[0]
