"""Use cases of a person's own data: what the bot holds about her, and forgetting her, one
unit of work per purchase and one for the rest (domain/personal_data.py has the rules).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from domain import adjustments
from domain.personal_data import ErasurePlan, Role, Step, leads, plan, step_for
from domain.ports import UnitOfWork
from domain.purchase import Purchase
from domain.services.unit import load, retried
from domain.views import member_order


async def my_data(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, Any]:
    """Everything stored about the person, with her order in each purchase as she sees it
    (lines and amounts in minor units of the purchase's currency)."""
    async with uow:
        found = {"generated_at": now.isoformat(), **await uow.personal_data.export(user_id)}
        for purchase in await uow.purchases.list_for_member(user_id):
            entry = found["purchases"].setdefault(str(purchase.id), {})
            entry["order_now"] = _order(purchase, user_id)
    return found


def _order(purchase: Purchase, user_id: int) -> dict[str, Any]:
    view = member_order(purchase, user_id)
    lines = [
        {"item": line.item.label, "unit_price_minor": line.item.unit_price.minor,
         "quantity": line.quantity, "tolerance": line.tolerance, "allocated": line.allocated}
        for line in view.lines
    ]  # fmt: skip
    due = view.due
    return {
        "currency": purchase.currency,
        "lines": lines,
        "goods_minor": due.goods.minor if due else 0,
        "fee_minor": due.fee.minor if due else 0,
        "delivery_minor": due.delivery.minor if due else 0,
        "total_minor": due.total.minor if due else 0,
        "is_estimate": due.is_estimate if due else True,
    }


async def _role(uow: UnitOfWork, user_id: int) -> Role | None:
    if await uow.campaigns.is_operator(user_id):
        return Role.OPERATOR
    if await uow.logistics.is_driver(user_id):
        return Role.DRIVER
    return None


async def erasure_plan(uow: UnitOfWork, user_id: int, now: datetime) -> ErasurePlan:
    """What forgetting her would do now, for her to read before she confirms."""
    async with uow:
        ids = await uow.personal_data.purchases_of(user_id)
        purchases = await uow.purchases.get_many(ids)
        return plan(purchases, user_id, now, await _role(uow, user_id))


async def forget_me(uow: UnitOfWork, user_id: int, now: datetime) -> ErasurePlan:
    """Forget her: each purchase in a unit of work of its own (so one busy purchase does not
    hold the others), then her profile and messages. Refused as a whole, changing nothing,
    while a role holds it back; safe to repeat (a second time finds nothing to do)."""
    found = await erasure_plan(uow, user_id, now)
    if found.refusal is not None:
        return found
    async with uow:
        ids = await uow.personal_data.purchases_of(user_id)
    leading = False
    for purchase_id in ids:
        leading |= await retried(functools.partial(_forget_in, uow, purchase_id, user_id, now))
    async with uow:
        # Bound to pay and collect somewhere, she still hears from the bot there (her profile
        # and messages go when the last such purchase ends); leading one since she was asked,
        # she is not forgotten at all until the next request says why.
        if not leading and not await uow.personal_data.still_waiting(user_id):
            await uow.personal_data.forget_person(user_id)
            await uow.commit()
    return found


async def _forget_in(uow: UnitOfWork, purchase_id: int, user_id: int, now: datetime) -> bool:
    """Forget her in one purchase; True when she leads it (a role taken meanwhile)."""
    async with uow:
        purchase = await load(uow, purchase_id)
        if leads(purchase, user_id):  # she took a role meanwhile: the next request says so
            return True
        step = step_for(purchase, user_id, now)
        if step is Step.AT_END:
            await uow.personal_data.forget_at_end(purchase_id, user_id, now)
        else:
            # Pseudonymised first, so that a withdrawal's events and the head's digest name
            # the pseudonym, never her.
            pseudonym = await uow.personal_data.pseudonymise(purchase_id, user_id)
            if step is Step.WITHDRAW and pseudonym is not None:
                adjustments.withdraw(await load(uow, purchase_id), pseudonym, now)
        await uow.commit()
    return False


async def forget_those_waiting(uow: UnitOfWork, purchase_id: int) -> None:
    """Inside a unit of work that ends the purchase, before it is loaded: those who asked to
    be forgotten when it ends are pseudonymised in the same transaction (rolled back with it,
    should ending be refused)."""
    for user_id in await uow.personal_data.waiting_in(purchase_id):
        await uow.personal_data.pseudonymise(purchase_id, user_id)
        if not await uow.personal_data.still_waiting(user_id):  # the last she waited for
            await uow.personal_data.forget_person(user_id)


async def forget_in_ended(uow: UnitOfWork) -> None:
    """Purchases that ended without forgetting those who waited for it (one that failed at its
    deadline or at its campaign's cut-off, an end interrupted by a crash): forgotten now. The
    timeline's sweep runs it, so nobody waits longer than a sweep."""
    async with uow:
        ended = await uow.personal_data.ended_waiting()
    for purchase_id in ended:
        await retried(functools.partial(_forget_those_waiting_in, uow, purchase_id))


async def _forget_those_waiting_in(uow: UnitOfWork, purchase_id: int) -> None:
    async with uow:
        await forget_those_waiting(uow, purchase_id)
        await uow.commit()
