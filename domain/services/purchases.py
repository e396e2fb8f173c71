"""Use cases of a purchase as a whole: registering a community, the deadline, the head's
stop, extension, edits and cancellation, ordered, the head's transfer, and the read models
(card, a member's order, the participant list). Publishing is `publishing.py`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from domain import ledger
from domain.community import Community
from domain.confirmation import (
    LEADS_TO,
    AlreadyTaken,
    Asked,
    Step,
    StepQuestion,
    ensure_still_meant,
)
from domain.errors import N_
from domain.permissions import Actor, ensure_can_manage
from domain.ports import UnitOfWork
from domain.purchase import PickupSlot, Purchase, PurchaseStatus
from domain.purchase_form import PurchaseEdit
from domain.services.campaigns import close_due_campaigns
from domain.services.personal_data import forget_in_ended, forget_those_waiting
from domain.services.pickup import draw_pickup_code
from domain.services.unit import apply, load, retried, view
from domain.views import CardSummary, MemberOrderView, ParticipantView, card_summary
from domain.views import member_order as member_order_view
from domain.views import participants as participants_view


async def register_community(uow: UnitOfWork, community: Community) -> Community:
    """Remember a group the bot was added to; an existing one keeps its settings."""
    async with uow:
        existing = await uow.communities.get(community.chat_id)
        if existing is not None:
            return existing
        await uow.communities.add(community)
        await uow.commit()
    return community


async def reach_deadline(uow: UnitOfWork, purchase_id: int, now: datetime) -> None:
    """The scheduler's job at a deadline; firing twice has the effect of firing once. A
    campaign's purchase stops with its campaign, all of whose parts stop together."""
    purchase = await apply(uow, purchase_id, lambda p: p.reach_deadline(now))
    if purchase.status is PurchaseStatus.FAILED:
        await forget_in_ended(uow)
    await close_due_campaigns(uow, now)


async def reach_deadlines(uow: UnitOfWork, purchase_ids: list[int], now: datetime) -> None:
    """Many deadlines in one transaction: what a minute with thousands of them needs."""

    async def work() -> bool:
        failed = False
        async with uow:
            for purchase in await uow.purchases.get_many(purchase_ids):
                purchase.reach_deadline(now)
                failed |= purchase.status is PurchaseStatus.FAILED
            await uow.commit()
        return failed

    if await retried(work):
        await forget_in_ended(uow)
    await close_due_campaigns(uow, now)


async def step_question(
    uow: UnitOfWork, purchase_id: int, actor: Actor, step: Step
) -> StepQuestion:
    """What asking before `step` shows; nothing changes. A step that cannot be taken now is
    refused here already, with the reason the step itself would give."""
    async with uow:
        purchase = await view(uow, purchase_id)
    ensure_can_manage(purchase, actor)
    if purchase.status is LEADS_TO[step]:
        raise AlreadyTaken(
            N_("this is done already: the purchase is {status}"), status=purchase.status
        )
    if (refusal := purchase.step_refusal(step)) is not None:
        raise refusal
    if step is Step.COMPLETE:  # open money is said first, with the way to close all the same
        ledger.ensure_settled(purchase)
    money = ledger.totals(purchase, ledger.accounts(purchase))
    return StepQuestion(
        purchase, len(purchase.participant_ids()), money.collected, money.paid_anything
    )


async def take_step(
    uow: UnitOfWork,
    purchase_id: int,
    actor: Actor,
    step: Step,
    asked: Asked,
    now: datetime,
    reason: str = "",
    slots: Sequence[PickupSlot] = (),
) -> None:
    """The head's "yes" to a step they were asked about: taken once, and only while the
    question still says what happens (`ensure_still_meant`). `reason` is a cancel's; `slots`
    the pickup typed with /arrived (none: the slots announced)."""

    async def work() -> None:
        async with uow:
            if step in (Step.CANCEL, Step.COMPLETE):  # it ends: the waiting are forgotten
                await forget_those_waiting(uow, purchase_id)
            purchase = await load(uow, purchase_id)
            ensure_can_manage(purchase, actor)
            members = len(purchase.participant_ids())
            ensure_still_meant(asked, step, purchase.status, members, now)
            match step:
                case Step.STOP:
                    purchase.stop_now(actor)
                case Step.GO_AHEAD:
                    purchase.go_ahead_anyway(actor)
                case Step.CANCEL:
                    purchase.cancel(actor, reason)
                case Step.ORDERED:
                    purchase.mark_ordered(actor)
                case Step.ARRIVED:
                    purchase.mark_arrived(actor, slots, draw_pickup_code, now)
                case Step.COMPLETE:
                    ledger.complete(purchase, actor)
            await uow.commit()

    await retried(work)


async def stop_now(uow: UnitOfWork, purchase_id: int, actor: Actor) -> None:
    await apply(uow, purchase_id, lambda p: p.stop_now(actor))


async def go_ahead_anyway(uow: UnitOfWork, purchase_id: int, actor: Actor) -> None:
    await apply(uow, purchase_id, lambda p: p.go_ahead_anyway(actor))


async def extend(
    uow: UnitOfWork, purchase_id: int, actor: Actor, new_deadline: datetime, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: p.extend(actor, new_deadline, now))


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

    def change(purchase: Purchase) -> None:
        changed[:] = purchase.edit(
            actor, now, title=edit.title, description=edit.description,
            deadline=edit.deadline, pickup=edit.pickups, items=edit.items,
            pay_to=edit.pay_to, pay_by=edit.pay_by, photo=edit.photo,
        )  # fmt: skip
        check(purchase)

    await apply(uow, purchase_id, change)
    return tuple(changed)


async def postpone(
    uow: UnitOfWork, purchase_id: int, actor: Actor, delta: timedelta, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: p.postpone(actor, delta, now))


async def cancel(uow: UnitOfWork, purchase_id: int, actor: Actor, reason: str) -> None:
    """A cancelled purchase ends too: whoever asked to be forgotten when it ends is."""

    async def work() -> None:
        async with uow:
            await forget_those_waiting(uow, purchase_id)
            (await load(uow, purchase_id)).cancel(actor, reason)
            await uow.commit()

    await retried(work)


async def mark_ordered(uow: UnitOfWork, purchase_id: int, actor: Actor) -> None:
    await apply(uow, purchase_id, lambda p: p.mark_ordered(actor))


async def offer_transfer(
    uow: UnitOfWork, purchase_id: int, actor: Actor, to_member_id: int
) -> None:
    await apply(uow, purchase_id, lambda p: p.offer_transfer(actor, to_member_id))


async def accept_transfer(
    uow: UnitOfWork, purchase_id: int, user_id: int, number: int, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: p.accept_transfer(user_id, number, now))


async def decline_transfer(uow: UnitOfWork, purchase_id: int, user_id: int, number: int) -> None:
    await apply(uow, purchase_id, lambda p: p.decline_transfer(user_id, number))


async def reassign(
    uow: UnitOfWork, purchase_id: int, actor: Actor, new_head_id: int, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: p.reassign(actor, new_head_id, now))


async def card(uow: UnitOfWork, purchase_id: int) -> CardSummary:
    """The aggregates the public card shows."""
    async with uow:
        return card_summary(await view(uow, purchase_id))


async def my_order(uow: UnitOfWork, purchase_id: int, member_id: int) -> MemberOrderView:
    async with uow:
        return member_order_view(await view(uow, purchase_id), member_id)


async def participant_list(
    uow: UnitOfWork, purchase_id: int, actor: Actor
) -> list[ParticipantView]:
    async with uow:
        return participants_view(await view(uow, purchase_id), actor)
