"""Use cases of the pickup day: goods arrived (with pickup codes), members' choice of a
slot, helpers, handing goods over (and undoing it), and completing the purchase.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from domain import ledger
from domain.confirmation import AlreadyTaken, ensure_fresh
from domain.errors import N_
from domain.money import Money
from domain.payments import Means
from domain.permissions import Actor, ensure_can_manage
from domain.ports import UnitOfWork
from domain.purchase import PICKUP_CODE_ALPHABET, PICKUP_CODE_LENGTH, PickupSlot, Purchase
from domain.services.personal_data import forget_those_waiting
from domain.services.unit import apply, load, retried


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
    await apply(uow, purchase_id, lambda p: p.mark_arrived(actor, slots, draw_code, now))


async def choose_pickup(
    uow: UnitOfWork, purchase_id: int, member_id: int, number: int, now: datetime
) -> PickupSlot:
    """A member picks the slot they come in; a full slot stays full under a rush of choices
    (the purchase is written at the version it was read at, or read again)."""
    chosen: list[PickupSlot] = []
    await apply(uow, purchase_id, lambda p: chosen.append(p.choose_pickup(member_id, number, now)))
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

    await apply(uow, purchase_id, give)


async def add_helper(
    uow: UnitOfWork, purchase_id: int, actor: Actor, user_id: int, name: str
) -> None:
    await apply(uow, purchase_id, lambda p: p.add_helper(actor, user_id, name))


async def remove_helper(
    uow: UnitOfWork, purchase_id: int, actor: Actor, user_id: int, asked_at: datetime, now: datetime
) -> None:
    """The head's "yes" to removing a helper, asked at `asked_at`: once, and not too late."""

    def remove(purchase: Purchase) -> None:
        ensure_can_manage(purchase, actor)
        if user_id not in purchase.helpers:
            raise AlreadyTaken(N_("they do not help with this purchase any more"))
        ensure_fresh(asked_at, now)
        purchase.remove_helper(actor, user_id)

    await apply(uow, purchase_id, remove)


async def undo_handover(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: p.undo_handover(actor, member_id, now))


async def complete(
    uow: UnitOfWork, purchase_id: int, actor: Actor, with_open_balances: bool = False
) -> None:
    """The head closes the purchase; whoever asked to be forgotten when it ends is, in the
    same transaction."""

    async def work() -> None:
        async with uow:
            await forget_those_waiting(uow, purchase_id)
            ledger.complete(await load(uow, purchase_id), actor, with_open_balances)
            await uow.commit()

    await retried(work)
