"""The one step every change after the stop goes through: a withdrawal the head accepts (or a
member's own in the window after a new head), the supplier's confirmation, unpaid members
dropped at the pay-by time. (A cancellation moves everyone's amount to nothing; its notice,
sent to every member, is that member's one message, with what they are owed back.)

Each of these can move other members' lines and amounts — a lost price tier, a pack no longer
full, the delivery shared among fewer people. The step takes a snapshot of every member's lines
and amount, makes the change, compares, and records one AmountsChanged event naming each
member whose lines or amount moved, with the before and after, so each is told what changed
and why. Payments need nothing here: a member's balance is due − paid + refunded, so a paid
member whose amount rose owes the difference from that moment on.

`preview` runs the same change on a copy, for the head to see before deciding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain import events, supply, weights
from domain.billing import AmountDue, item_unit_prices
from domain.errors import N_, IllegalTransition, NotFound
from domain.ledger import Account, accounts, dues_of, fingerprint, never_paid
from domain.money import Money
from domain.permissions import Actor, ensure_can_manage
from domain.purchase import Purchase, PurchaseStatus


class Cause(StrEnum):
    WITHDRAWAL = "withdrawal"  # a member left after the stop
    SUPPLY = "supply"  # the supplier confirmed fewer packs or another price
    DROPPED = "dropped"  # members who had not paid by the pay-by time were dropped
    WEIGHED = "weighed"  # the head entered the real weights of goods sold by weight
    ROW_COMPLETED = "row_completed"  # a member took another size that completed a row


# Before the stop amounts are estimates that move with every tap; nobody has paid yet.
ESTIMATED = (PurchaseStatus.DRAFT, PurchaseStatus.OPEN)


@dataclass(frozen=True)
class Snapshot:
    """Every member's lines and amount, and each item's price and packs, at one moment."""

    lines: dict[int, dict[int, int]]
    dues: dict[int, AmountDue]
    accounts: dict[int, Account]
    prices: dict[int, Money]
    packs: dict[int, int]
    units: dict[int, int]  # per item, in the supplier order


def snapshot(purchase: Purchase) -> Snapshot:
    lines = purchase.final_lines()
    dues = dues_of(purchase)
    allocation = purchase.allocation()
    return Snapshot(
        lines,
        dues,
        accounts(purchase, dues),
        item_unit_prices(purchase, lines),
        {item_id: allocation[item_id].packs for item_id in allocation},
        {item_id: allocation[item_id].units for item_id in allocation},
    )


def _amounts(due: AmountDue | None) -> tuple[int, int, int]:
    return (0, 0, 0) if due is None else (due.goods.minor, due.fee.minor, due.delivery.minor)


def compare(
    purchase: Purchase,
    cause: Cause,
    before: Snapshot,
    after: Snapshot,
    members_out: tuple[int, ...],
) -> events.AmountsChanged:
    """What moved between two snapshots, as the event that tells everyone affected."""
    zero = Money.zero(purchase.currency)
    changed = []
    for member in dict.fromkeys([*before.accounts, *after.accounts, *members_out]):
        lines_before = tuple(sorted(before.lines.get(member, {}).items()))
        lines_after = tuple(sorted(after.lines.get(member, {}).items()))
        amounts_before = _amounts(before.dues.get(member))
        amounts_after = _amounts(after.dues.get(member))
        if (
            lines_before == lines_after
            and amounts_before == amounts_after
            and member not in members_out
        ):
            continue
        account = after.accounts.get(member)
        paid = (account.paid if account else zero).minor
        refunded = (account.refunded if account else zero).minor
        changed.append(
            events.MemberAmounts(
                member, lines_before, lines_after, *amounts_before, *amounts_after, paid, refunded
            )
        )
    sold = {item for lines in (*before.lines.values(), *after.lines.values()) for item in lines}
    prices = tuple(
        (item.item_id, before.prices[item.item_id].minor, after.prices[item.item_id].minor)
        for item in purchase.items
        if item.item_id in sold and before.prices[item.item_id] != after.prices[item.item_id]
    )
    packs = tuple(
        (item.item_id, before.packs.get(item.item_id, 0), after.packs.get(item.item_id, 0))
        for item in purchase.items
        # A row is the pack of goods sold in rows: a row that breaks is shown as one.
        if (item.pack_size > 1 or item.in_rows)
        and before.packs.get(item.item_id) != after.packs.get(item.item_id)
    )
    ordered = tuple(
        (item.item_id, before.units.get(item.item_id, 0), after.units.get(item.item_id, 0))
        for item in purchase.items
        if before.units.get(item.item_id) != after.units.get(item.item_id)
    )
    return events.AmountsChanged(
        purchase.id, cause.value, members_out, tuple(changed), prices, packs, ordered
    )


def settle(
    purchase: Purchase,
    cause: Cause,
    change: Callable[[], object],
    members_out: tuple[int, ...] = (),
) -> events.AmountsChanged | None:
    """Make `change` and record what it moved for whom; the event, or None when amounts are
    still estimates (before the stop) and nobody left."""
    if purchase.status in ESTIMATED:
        change()
        if not members_out:
            return None
        impact = events.AmountsChanged(purchase.id, cause.value, members_out, (), (), ())
    else:
        before = snapshot(purchase)
        change()
        impact = compare(purchase, cause, before, snapshot(purchase), members_out)
    if impact.members or impact.members_out:
        purchase.events.append(impact)
    return impact


def preview(
    purchase: Purchase,
    cause: Cause,
    change: Callable[[Purchase], object],
    members_out: tuple[int, ...] = (),
) -> events.AmountsChanged:
    """What `change` would move, tried on a copy; the purchase itself is left as it is."""
    trial = purchase.copy()
    before = snapshot(trial)
    change(trial)
    return compare(trial, cause, before, snapshot(trial), members_out)


# --- the changes ----------------------------------------------------------------------------


def withdraw(purchase: Purchase, member_id: int, now: datetime) -> None:
    """A member leaves on their own: while orders are open, or in the window after a change
    of head (then others' amounts may move)."""
    open_orders = purchase.accepts_orders(now)
    if open_orders:
        purchase.withdraw(member_id, now)
        return
    settle(purchase, Cause.WITHDRAWAL, lambda: purchase.withdraw(member_id, now), (member_id,))


def accept_withdrawal(
    purchase: Purchase, actor: Actor, member_id: int, number: int, now: datetime
) -> events.AmountsChanged | None:
    """The head lets a member go after the stop (request `number`)."""
    return settle(
        purchase,
        Cause.WITHDRAWAL,
        lambda: purchase.accept_withdrawal(actor, member_id, number, now),
        (member_id,),
    )


def withdrawal_preview(
    purchase: Purchase, actor: Actor, member_id: int, number: int, now: datetime
) -> events.AmountsChanged:
    """What accepting request `number` would change, for the head to see first."""
    return preview(
        purchase,
        Cause.WITHDRAWAL,
        lambda trial: trial.accept_withdrawal(actor, member_id, number, now),
        (member_id,),
    )


def confirm_supply(purchase: Purchase, actor: Actor, text: str) -> events.AmountsChanged | None:
    """The head's lines of what the supplier confirmed."""
    lines = supply.parse_supply(text, purchase)
    return settle(purchase, Cause.SUPPLY, lambda: supply.confirm_supply(purchase, actor, lines))


def enter_weights(purchase: Purchase, actor: Actor, text: str) -> events.AmountsChanged | None:
    """The head's lines of what each member's pieces weigh."""
    grams = weights.parse_weights(text, purchase)
    return settle(purchase, Cause.WEIGHED, lambda: weights.enter_weights(purchase, actor, grams))


def move_in_row(
    purchase: Purchase, member_id: int, source: int, target: int, now: datetime
) -> events.AmountsChanged | None:
    """A member short of a full row takes another size that completes one: the others in
    that row get their units now, and each is told."""
    return settle(
        purchase, Cause.ROW_COMPLETED, lambda: purchase.move_in_row(member_id, source, target, now)
    )


# After arrival the goods are here and pickup codes are out: dropping happens before that.
DROPPABLE = (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED)


def _ensure_droppable(purchase: Purchase, actor: Actor) -> list[int]:
    ensure_can_manage(purchase, actor)
    if purchase.status not in DROPPABLE:
        raise IllegalTransition(
            N_("unpaid members are dropped before the goods arrive; the purchase is {status}"),
            status=purchase.status,
        )
    dropped = never_paid(purchase)
    if not dropped:
        raise NotFound(N_("nobody to drop: every member with goods has paid or says so"))
    return dropped


def drop_preview(purchase: Purchase, actor: Actor, now: datetime) -> events.AmountsChanged:
    """What dropping every member who paid nothing would change; `members_out` names them."""
    dropped = _ensure_droppable(purchase, actor)

    def drop(trial: Purchase) -> None:
        for member in dropped:
            trial.drop(actor, member, now)

    return preview(purchase, Cause.DROPPED, drop, tuple(dropped))


def drop_unpaid(
    purchase: Purchase, actor: Actor, now: datetime, expected: int
) -> events.AmountsChanged | None:
    """The head drops every member who paid nothing — the members the preview showed, whose
    `fingerprint` is `expected`; once someone paid meanwhile, the button is stale."""
    dropped = _ensure_droppable(purchase, actor)
    if fingerprint(dropped) != expected:
        raise IllegalTransition(N_("who has not paid changed meanwhile; look at the list again"))

    def drop() -> None:
        for member in dropped:
            purchase.drop(actor, member, now)

    return settle(purchase, Cause.DROPPED, drop, tuple(dropped))


class TakenOut(NotFound):
    """A member the head took out for not paying pressed Pay or I paid on an old message."""


def ensure_not_taken_out(purchase: Purchase, member_id: int, taken_out: frozenset[int]) -> None:
    """Pay or I paid from a member taken out (and not back in): she owes nothing, and why."""
    if member_id not in taken_out or purchase.takes_part(member_id):
        return
    if purchase.pay_by is None:
        raise TakenOut(
            N_("you were taken out of {title} for not paying in time; you owe nothing"),
            title=purchase.title,
        )
    raise TakenOut(
        N_("you were taken out of {title} for not paying by {pay_by}; you owe nothing"),
        title=purchase.title,
        pay_by=purchase.pay_by,
    )
