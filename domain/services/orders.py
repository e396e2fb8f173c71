"""Use cases of a member's order: +1 and −1 (one at a time, or a batch of taps in one
transaction), tolerance, and withdrawing (freely while open, by the head's answer after).

Every use case that creates or raises an order takes the person's `Admission` (what the way
in verified with Telegram) and checks it against the purchase it loaded: the one place where
a purchase is kept for its community (domain/membership.py). Lowering an order, withdrawing,
paying and collecting ask nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import adjustments, usual_quantities
from domain.errors import N_, DomainError, NotFound
from domain.events import AmountsChanged
from domain.membership import Admission, ensure_admitted
from domain.permissions import Actor
from domain.ports import AlreadyProcessed, UnitOfWork
from domain.purchase import Purchase
from domain.services.unit import apply, load, retried, view
from domain.views import MemberOrderView, member_orders
from domain.views import member_order as member_order_view


async def add_units(
    uow: UnitOfWork,
    purchase_id: int,
    member_id: int,
    member_name: str,
    item_id: int,
    delta: int,
    now: datetime,
    admission: Admission,
) -> MemberOrderView:
    """A tap on +1 or -1: change one line by `delta` units; a step above what anyone would
    usually order is refused with UnusualQuantity, for the editor to ask about."""

    def change(purchase: Purchase) -> None:
        if delta > 0:
            ensure_admitted(purchase, member_id, admission)
            target = purchase.quantity(member_id, item_id) + delta
            usual_quantities.check_step(purchase, member_id, item_id, target)
        purchase.add_units(member_id, member_name, item_id, delta, now)

    return member_order_view(await apply(uow, purchase_id, change), member_id)


async def confirm_quantity(
    uow: UnitOfWork,
    purchase_id: int,
    member_id: int,
    member_name: str,
    item_id: int,
    quantity: int,
    now: datetime,
    admission: Admission,
) -> MemberOrderView:
    """The member confirmed the unusual quantity the editor asked about. Pressed again, or
    after the line already went past it, it changes nothing; a question more than one unit
    above the line is not the one the editor asked now, and is refused; once orders are
    closed it says so, whatever it asked."""

    def change(purchase: Purchase) -> None:
        purchase.ensure_orders_open(now)
        current = purchase.quantity(member_id, item_id)
        if quantity <= current:
            return
        if quantity > current + 1:
            raise NotFound(N_("this question is out of date: tap +1 again"))
        ensure_admitted(purchase, member_id, admission)
        purchase.set_quantity(member_id, member_name, item_id, quantity, now)

    return member_order_view(await apply(uow, purchase_id, change), member_id)


@dataclass(frozen=True)
class Tap:
    """One member's +1 (or −1) on a purchase, from one Telegram update."""

    update_id: int
    member_id: int
    member_name: str
    item_id: int
    delta: int
    now: datetime
    admission: Admission


TapOutcome = MemberOrderView | DomainError | AlreadyProcessed


async def add_units_together(
    uow: UnitOfWork, purchase_id: int, taps: list[Tap]
) -> list[TapOutcome]:
    """Several members' taps on one purchase in one transaction, in the order they came: each
    outcome is what the tap would have had in a transaction of its own — the member's order,
    the rule that refused it (nothing of it is saved), or AlreadyProcessed for a redelivery."""

    async def work() -> tuple[Purchase | None, list[DomainError | AlreadyProcessed | None]]:
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
                        if tap.delta > 0:
                            ensure_admitted(purchase, tap.member_id, tap.admission)
                            usual_quantities.check_step(
                                purchase, tap.member_id, tap.item_id,
                                purchase.quantity(tap.member_id, tap.item_id) + tap.delta,
                            )  # fmt: skip
                        purchase.add_units(
                            tap.member_id, tap.member_name, tap.item_id, tap.delta, tap.now
                        )
                        outcomes.append(None)
                    except DomainError as error:  # checked before anything changed
                        outcomes.append(error)
            accepted = [tap.update_id for tap, o in zip(taps, outcomes, strict=True) if not o]
            await uow.mark_processed(accepted)
            await uow.commit()
        return purchase, outcomes

    purchase, outcomes = await retried(work)
    applied = {tap.member_id for tap, outcome in zip(taps, outcomes, strict=True) if not outcome}
    views = member_orders(purchase, applied) if purchase is not None and applied else {}
    return [
        views[tap.member_id] if outcome is None else outcome
        for tap, outcome in zip(taps, outcomes, strict=True)
    ]


async def set_lines(
    uow: UnitOfWork,
    purchase_id: int,
    member_id: int,
    member_name: str,
    lines: dict[int, tuple[int, int]],
    now: datetime,
    admission: Admission,
) -> MemberOrderView:
    """A member's whole order as the Mini App sends it (item → quantity and tolerance), in one
    transaction by the same rules as the buttons (limits, stock, minimums, orders open); one
    refused line refuses them all, and so does a line raised above what anyone would usually
    order (the page cannot ask, so it says why)."""

    def change(purchase: Purchase) -> None:
        for item_id, (quantity, _tolerance) in lines.items():
            usual_quantities.check_raise(purchase, member_id, item_id, quantity)
        if any(
            quantity > purchase.quantity(member_id, item_id)
            or tolerance > purchase.tolerance(member_id, item_id)
            for item_id, (quantity, tolerance) in lines.items()
        ):
            ensure_admitted(purchase, member_id, admission)
        for item_id, (quantity, tolerance) in sorted(lines.items()):
            if quantity != purchase.quantity(member_id, item_id):
                purchase.set_quantity(member_id, member_name, item_id, quantity, now)
            if quantity and tolerance != purchase.tolerance(member_id, item_id):
                purchase.set_tolerance(member_id, item_id, tolerance, now)

    return member_order_view(await apply(uow, purchase_id, change), member_id)


async def set_tolerance(
    uow: UnitOfWork,
    purchase_id: int,
    member_id: int,
    item_id: int,
    tolerance: int,
    now: datetime,
    admission: Admission,
) -> MemberOrderView:
    def change(purchase: Purchase) -> None:
        if tolerance > purchase.tolerance(member_id, item_id):
            ensure_admitted(purchase, member_id, admission)
        purchase.set_tolerance(member_id, item_id, tolerance, now)

    return member_order_view(await apply(uow, purchase_id, change), member_id)


async def take_back_unit(
    uow: UnitOfWork, purchase_id: int, member_id: int, member_name: str, item_id: int, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: p.take_back_unit(member_id, member_name, item_id, now))


async def change_tolerance(
    uow: UnitOfWork,
    purchase_id: int,
    member_id: int,
    item_id: int,
    delta: int,
    now: datetime,
    admission: Admission,
) -> None:
    def change(purchase: Purchase) -> None:
        if delta > 0:
            ensure_admitted(purchase, member_id, admission)
        purchase.change_tolerance(member_id, item_id, delta, now)

    await apply(uow, purchase_id, change)


async def withdraw(uow: UnitOfWork, purchase_id: int, member_id: int, now: datetime) -> None:
    await apply(uow, purchase_id, lambda p: adjustments.withdraw(p, member_id, now))


async def move_in_row(
    uow: UnitOfWork, purchase_id: int, member_id: int, source: int, target: int, now: datetime
) -> None:
    """A member short of a full row takes the size that completes one."""
    await apply(
        uow, purchase_id, lambda p: adjustments.move_in_row(p, member_id, source, target, now)
    )


async def request_withdrawal(
    uow: UnitOfWork, purchase_id: int, member_id: int, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: p.request_withdrawal(member_id, now))


async def withdrawal_preview(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, number: int, now: datetime
) -> tuple[Purchase, AmountsChanged]:
    """What accepting request `number` would change; nothing is saved."""
    async with uow:
        purchase = await view(uow, purchase_id)
        return purchase, adjustments.withdrawal_preview(purchase, actor, member_id, number, now)


async def accept_withdrawal(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, number: int, now: datetime
) -> AmountsChanged | None:
    """The head lets the member go; returns what it moved for others (None before the stop)."""
    impact: list[AmountsChanged | None] = []
    await apply(
        uow,
        purchase_id,
        lambda p: impact.append(adjustments.accept_withdrawal(p, actor, member_id, number, now)),
    )
    return impact[-1]


async def accept_or_preview_withdrawal(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, number: int, now: datetime
) -> tuple[Purchase, AmountsChanged] | None:
    """The head's first "accept" of request `number`. Before the stop the amounts are
    estimates, so nothing is worth showing: the member goes at once (None). After it, what
    letting them go would change for the others comes back to be asked about, unsaved.
    One unit of work decides and accepts, so a stop committed meanwhile cannot let the member
    go without the others being shown what it changes."""

    async def work() -> tuple[Purchase, AmountsChanged] | None:
        async with uow:
            purchase = await load(uow, purchase_id)
            if purchase.status not in adjustments.ESTIMATED:  # shown, not saved
                return purchase, adjustments.withdrawal_preview(
                    purchase, actor, member_id, number, now
                )
            adjustments.accept_withdrawal(purchase, actor, member_id, number, now)
            await uow.commit()
        return None

    return await retried(work)


async def decline_withdrawal(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, number: int
) -> None:
    await apply(uow, purchase_id, lambda p: p.decline_withdrawal(actor, member_id, number))
