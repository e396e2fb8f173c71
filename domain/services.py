"""Use cases: load an aggregate through the unit of work, apply one rule, commit.

Each takes primitives and `now` (aware UTC) and returns what the caller needs to answer the
person; a domain error leaves the database untouched because nothing was committed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from domain import adjustments, ledger
from domain.community import Community
from domain.errors import N_, DomainError, NotFound
from domain.events import AmountsChanged
from domain.money import Money
from domain.payments import EntryKind, Means
from domain.permissions import Actor
from domain.ports import AlreadyProcessed, Conflict, UnitOfWork
from domain.purchase import PICKUP_CODE_ALPHABET, PICKUP_CODE_LENGTH, PickupSlot, Purchase
from domain.purchase_form import PurchaseEdit
from domain.views import CardSummary, MemberOrderView, ParticipantView, card_summary, member_orders
from domain.views import member_order as member_order_view
from domain.views import participants as participants_view


async def _load(uow: UnitOfWork, purchase_id: int) -> Purchase:
    purchase = await uow.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    return purchase


# Conflicts are rare (PostgreSQL row locks serialize changers of one purchase); a few retries
# cover a version clash without letting a hot loop hide a real fault.
CONFLICT_RETRIES = 5


async def _apply(
    uow: UnitOfWork, purchase_id: int, change: Callable[[Purchase], object]
) -> Purchase:
    attempt = 1
    while True:
        try:
            async with uow:
                purchase = await _load(uow, purchase_id)
                change(purchase)
                await uow.commit()
            return purchase
        except Conflict:
            if attempt >= CONFLICT_RETRIES:
                raise
            attempt += 1


async def register_community(uow: UnitOfWork, community: Community) -> Community:
    """Remember a group the bot was added to; an existing one keeps its settings."""
    async with uow:
        existing = await uow.communities.get(community.chat_id)
        if existing is not None:
            return existing
        await uow.communities.add(community)
        await uow.commit()
    return community


async def publish_purchase(
    uow: UnitOfWork,
    purchase: Purchase,
    now: datetime,
    max_fee_percent: Decimal,
    reuse_pay_to: bool = True,
) -> int:
    """Validate a head's new purchase, store it and open it at once; returns its id. (The bot
    itself saves a draft first and opens it once its card is posted: `save_draft`.)"""
    return await _store_new(uow, purchase, now, max_fee_percent, reuse_pay_to, open_now=True)


async def save_draft(
    uow: UnitOfWork,
    purchase: Purchase,
    now: datetime,
    max_fee_percent: Decimal,
    reuse_pay_to: bool = True,
) -> int:
    """Validate a head's new purchase and store it as a draft, not yet seen by anyone: it
    opens once its card is posted, or goes if the card cannot be (`discard_draft`)."""
    return await _store_new(uow, purchase, now, max_fee_percent, reuse_pay_to, open_now=False)


async def _store_new(
    uow: UnitOfWork,
    purchase: Purchase,
    now: datetime,
    max_fee_percent: Decimal,
    reuse_pay_to: bool,
    open_now: bool,
) -> int:
    """Without payment details of its own a purchase takes the head's from their last one
    (unless the head said there are none: `reuse_pay_to` False)."""
    purchase.validate(now, max_fee_percent)
    async with uow:
        if not purchase.pay_to and reuse_pay_to:
            purchase.pay_to = await uow.purchases.last_pay_to(purchase.head_id)
        await uow.purchases.add(purchase)
        if open_now:
            purchase.publish(now)
        await uow.commit()
    return purchase.id


async def discard_draft(uow: UnitOfWork, purchase_id: int) -> None:
    """A draft whose card could not be posted: nothing of it remains."""
    async with uow:
        await uow.purchases.remove_draft(purchase_id)
        await uow.commit()


async def add_units(
    uow: UnitOfWork,
    purchase_id: int,
    member_id: int,
    member_name: str,
    item_id: int,
    delta: int,
    now: datetime,
) -> MemberOrderView:
    """A tap on +1 or -1: change one line by `delta` units."""
    purchase = await _apply(
        uow,
        purchase_id,
        lambda p: p.add_units(member_id, member_name, item_id, delta, now),
    )
    return member_order_view(purchase, member_id)


@dataclass(frozen=True)
class Tap:
    """One member's +1 (or −1) on a purchase, from one Telegram update."""

    update_id: int
    member_id: int
    member_name: str
    item_id: int
    delta: int
    now: datetime


TapOutcome = MemberOrderView | DomainError | AlreadyProcessed


async def add_units_together(
    uow: UnitOfWork, purchase_id: int, taps: list[Tap]
) -> list[TapOutcome]:
    """Several members' taps on one purchase in one transaction, in the order they came: each
    outcome is what the tap would have had in a transaction of its own — the member's order,
    the rule that refused it (nothing of it is saved), or AlreadyProcessed for a redelivery."""
    attempt = 1
    while True:
        try:
            async with uow:
                repeated = await uow.already_processed([tap.update_id for tap in taps])
                purchase = await uow.purchases.get(purchase_id)
                outcomes: list[DomainError | AlreadyProcessed | None] = []
                for tap in taps:
                    if tap.update_id in repeated:
                        outcomes.append(AlreadyProcessed(tap.update_id))
                    elif purchase is None:
                        outcomes.append(NotFound(N_("no such purchase")))
                    else:
                        try:
                            purchase.add_units(
                                tap.member_id, tap.member_name, tap.item_id, tap.delta, tap.now
                            )
                            outcomes.append(None)
                        except DomainError as error:  # checked before anything changed
                            outcomes.append(error)
                accepted = [tap.update_id for tap, o in zip(taps, outcomes, strict=True) if not o]
                await uow.mark_processed(accepted)
                await uow.commit()
            break
        except Conflict:
            if attempt >= CONFLICT_RETRIES:
                raise
            attempt += 1
    applied = {tap.member_id for tap, outcome in zip(taps, outcomes, strict=True) if not outcome}
    views = member_orders(purchase, applied) if purchase is not None and applied else {}
    return [
        views[tap.member_id] if outcome is None else outcome
        for tap, outcome in zip(taps, outcomes, strict=True)
    ]


async def set_tolerance(
    uow: UnitOfWork, purchase_id: int, member_id: int, item_id: int, tolerance: int, now: datetime
) -> MemberOrderView:
    purchase = await _apply(
        uow, purchase_id, lambda p: p.set_tolerance(member_id, item_id, tolerance, now)
    )
    return member_order_view(purchase, member_id)


async def take_back_unit(
    uow: UnitOfWork, purchase_id: int, member_id: int, member_name: str, item_id: int, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.take_back_unit(member_id, member_name, item_id, now))


async def change_tolerance(
    uow: UnitOfWork, purchase_id: int, member_id: int, item_id: int, delta: int, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.change_tolerance(member_id, item_id, delta, now))


async def withdraw(uow: UnitOfWork, purchase_id: int, member_id: int, now: datetime) -> None:
    await _apply(uow, purchase_id, lambda p: adjustments.withdraw(p, member_id, now))


async def request_withdrawal(
    uow: UnitOfWork, purchase_id: int, member_id: int, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.request_withdrawal(member_id, now))


async def withdrawal_preview(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, number: int, now: datetime
) -> tuple[Purchase, AmountsChanged]:
    """What accepting request `number` would change; nothing is saved."""
    async with uow:
        purchase = await _load(uow, purchase_id)
        return purchase, adjustments.withdrawal_preview(purchase, actor, member_id, number, now)


async def accept_withdrawal(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, number: int, now: datetime
) -> AmountsChanged | None:
    """The head lets the member go; returns what it moved for others (None before the stop)."""
    impact: list[AmountsChanged | None] = []
    await _apply(
        uow,
        purchase_id,
        lambda p: impact.append(adjustments.accept_withdrawal(p, actor, member_id, number, now)),
    )
    return impact[-1]


async def decline_withdrawal(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, number: int
) -> None:
    await _apply(uow, purchase_id, lambda p: p.decline_withdrawal(actor, member_id, number))


async def reach_deadline(uow: UnitOfWork, purchase_id: int, now: datetime) -> None:
    """The scheduler's job at a deadline; firing twice has the effect of firing once."""
    await _apply(uow, purchase_id, lambda p: p.reach_deadline(now))


async def reach_deadlines(uow: UnitOfWork, purchase_ids: list[int], now: datetime) -> None:
    """Many deadlines in one transaction: what a minute with thousands of them needs."""
    attempt = 1
    while True:
        try:
            async with uow:
                for purchase in await uow.purchases.get_many(purchase_ids):
                    purchase.reach_deadline(now)
                await uow.commit()
            return
        except Conflict:
            if attempt >= CONFLICT_RETRIES:
                raise
            attempt += 1


async def stop_now(uow: UnitOfWork, purchase_id: int, actor: Actor) -> None:
    await _apply(uow, purchase_id, lambda p: p.stop_now(actor))


async def go_ahead_anyway(uow: UnitOfWork, purchase_id: int, actor: Actor) -> None:
    await _apply(uow, purchase_id, lambda p: p.go_ahead_anyway(actor))


async def extend(
    uow: UnitOfWork, purchase_id: int, actor: Actor, new_deadline: datetime, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.extend(actor, new_deadline, now))


async def edit_purchase(
    uow: UnitOfWork,
    purchase_id: int,
    actor: Actor,
    edit: PurchaseEdit,
    now: datetime,
    check: Callable[[Purchase], None] = lambda _: None,
) -> tuple[str, ...]:
    """Change the terms a head may change while orders are open; returns what changed.
    `check` may refuse the edited purchase before anything is saved (a card too long)."""
    changed: list[str] = []

    def apply(purchase: Purchase) -> None:
        changed[:] = purchase.edit(
            actor, now, title=edit.title, description=edit.description,
            deadline=edit.deadline, pickup=edit.pickups, items=edit.items,
            pay_to=edit.pay_to, pay_by=edit.pay_by,
        )  # fmt: skip
        check(purchase)

    await _apply(uow, purchase_id, apply)
    return tuple(changed)


async def postpone(
    uow: UnitOfWork, purchase_id: int, actor: Actor, delta: timedelta, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.postpone(actor, delta, now))


async def cancel(uow: UnitOfWork, purchase_id: int, actor: Actor, reason: str) -> None:
    await _apply(uow, purchase_id, lambda p: p.cancel(actor, reason))


async def mark_ordered(uow: UnitOfWork, purchase_id: int, actor: Actor) -> None:
    await _apply(uow, purchase_id, lambda p: p.mark_ordered(actor))


def draw_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


async def mark_arrived(
    uow: UnitOfWork,
    purchase_id: int,
    actor: Actor,
    slots: list[PickupSlot],
    draw_code: Callable[[], str] = draw_pickup_code,
    now: datetime | None = None,
) -> None:
    await _apply(uow, purchase_id, lambda p: p.mark_arrived(actor, slots, draw_code, now))


async def choose_pickup(
    uow: UnitOfWork, purchase_id: int, member_id: int, number: int, now: datetime
) -> PickupSlot:
    """A member picks the slot they come in; a full slot stays full under a rush of choices
    (the purchase is written at the version it was read at, or read again)."""
    chosen: list[PickupSlot] = []
    await _apply(uow, purchase_id, lambda p: chosen.append(p.choose_pickup(member_id, number, now)))
    return chosen[-1]


async def hand_over(
    uow: UnitOfWork,
    purchase_id: int,
    actor: Actor,
    member_id: int,
    now: datetime,
    settled: Money | None = None,
) -> None:
    """The head or a helper gives a member their goods; with `settled`, the money that
    changed hands then (positive: received from the member, negative: given back), which must
    be exactly the member's balance they were shown."""

    def give(purchase: Purchase) -> None:
        purchase.hand_over(actor, member_id, now)
        if settled is not None and settled.minor > 0:
            ledger.record_payment(
                purchase, actor, member_id, settled, now, expected=settled, at_pickup=True
            )
        elif settled is not None and settled.minor < 0:
            back = Money(-settled.minor, settled.currency)
            ledger.record_refund(
                purchase, actor, member_id, back, now, back, Means.CASH, at_pickup=True
            )

    await _apply(uow, purchase_id, give)


async def add_helper(
    uow: UnitOfWork, purchase_id: int, actor: Actor, user_id: int, name: str
) -> None:
    await _apply(uow, purchase_id, lambda p: p.add_helper(actor, user_id, name))


async def remove_helper(uow: UnitOfWork, purchase_id: int, actor: Actor, user_id: int) -> None:
    await _apply(uow, purchase_id, lambda p: p.remove_helper(actor, user_id))


async def undo_handover(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.undo_handover(actor, member_id, now))


async def complete(
    uow: UnitOfWork, purchase_id: int, actor: Actor, with_open_balances: bool = False
) -> None:
    await _apply(uow, purchase_id, lambda p: ledger.complete(p, actor, with_open_balances))


async def claim_payment(uow: UnitOfWork, purchase_id: int, member_id: int, now: datetime) -> None:
    await _apply(uow, purchase_id, lambda p: ledger.claim_payment(p, member_id, now))


async def confirm_claim(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, claim: int, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: ledger.confirm_claim(p, actor, member_id, claim, now))


async def reject_claim(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, claim: int
) -> None:
    await _apply(uow, purchase_id, lambda p: ledger.reject_claim(p, actor, member_id, claim))


async def record_money(
    uow: UnitOfWork,
    purchase_id: int,
    actor: Actor,
    member_id: int,
    kind: EntryKind,
    amount: Money,
    now: datetime,
    expected: Money | None = None,
) -> None:
    """The head received money from a member (a payment) or gave some back (a refund)."""
    record = ledger.record_payment if kind is EntryKind.PAYMENT else ledger.record_refund
    await _apply(uow, purchase_id, lambda p: record(p, actor, member_id, amount, now, expected))


async def confirm_supply(uow: UnitOfWork, purchase_id: int, actor: Actor, text: str) -> list[int]:
    """The head's lines of what the supplier confirmed; returns the members affected."""
    changed: list[int] = []

    def apply(purchase: Purchase) -> None:
        impact = adjustments.confirm_supply(purchase, actor, text)
        changed[:] = [m.member_id for m in impact.members] if impact else []

    await _apply(uow, purchase_id, apply)
    return changed


async def remind_unpaid(uow: UnitOfWork, purchase_id: int, actor: Actor) -> list[int]:
    """Ask every member who still owes to pay; returns who is reminded."""
    reminded: list[int] = []
    await _apply(uow, purchase_id, lambda p: reminded.extend(ledger.remind_unpaid(p, actor)))
    return reminded


async def drop_preview(
    uow: UnitOfWork, purchase_id: int, actor: Actor, now: datetime
) -> tuple[Purchase, AmountsChanged]:
    """Who paid nothing, and what dropping them would change; nothing is saved."""
    async with uow:
        purchase = await _load(uow, purchase_id)
        return purchase, adjustments.drop_preview(purchase, actor, now)


async def drop_unpaid(
    uow: UnitOfWork, purchase_id: int, actor: Actor, now: datetime, expected: int
) -> AmountsChanged | None:
    impact: list[AmountsChanged | None] = []
    await _apply(
        uow,
        purchase_id,
        lambda p: impact.append(adjustments.drop_unpaid(p, actor, now, expected)),
    )
    return impact[-1]


async def offer_transfer(
    uow: UnitOfWork, purchase_id: int, actor: Actor, to_member_id: int
) -> None:
    await _apply(uow, purchase_id, lambda p: p.offer_transfer(actor, to_member_id))


async def accept_transfer(
    uow: UnitOfWork, purchase_id: int, user_id: int, number: int, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.accept_transfer(user_id, number, now))


async def decline_transfer(uow: UnitOfWork, purchase_id: int, user_id: int, number: int) -> None:
    await _apply(uow, purchase_id, lambda p: p.decline_transfer(user_id, number))


async def reassign(
    uow: UnitOfWork, purchase_id: int, actor: Actor, new_head_id: int, now: datetime
) -> None:
    await _apply(uow, purchase_id, lambda p: p.reassign(actor, new_head_id, now))


async def card(uow: UnitOfWork, purchase_id: int) -> CardSummary:
    """The aggregates the public card shows."""
    async with uow:
        return card_summary(await _load(uow, purchase_id))


async def my_order(uow: UnitOfWork, purchase_id: int, member_id: int) -> MemberOrderView:
    async with uow:
        return member_order_view(await _load(uow, purchase_id), member_id)


async def participant_list(
    uow: UnitOfWork, purchase_id: int, actor: Actor
) -> list[ParticipantView]:
    async with uow:
        return participants_view(await _load(uow, purchase_id), actor)
