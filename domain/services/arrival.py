"""/arrived as one use case: the goods are in, to be picked up at the slots the head typed —
asked once the first time, moved at once when the goods are in already."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.confirmation import Step, StepQuestion
from domain.errors import N_, NotFound
from domain.form_fields import parse_pickups
from domain.permissions import Actor
from domain.ports import Database
from domain.purchase import PickupSlot, Purchase, PurchaseStatus
from domain.services.pickup import mark_arrived
from domain.services.purchases import step_question


@dataclass(frozen=True)
class PickupAnnounced:
    """What /arrived did: moved the pickup of goods already in (`question` None: members are
    told), or asks once before the goods are marked in (codes drawn on its "yes")."""

    purchase: Purchase
    slots: list[PickupSlot]
    question: StepQuestion | None


async def announce_pickup(
    database: Database,
    purchase_id: int,
    actor: Actor,
    pickup: str,
    now: datetime,
    update_id: int | None = None,
) -> PickupAnnounced:
    """/arrived with its slots as typed (read in the community's timezone): for goods already
    in, the pickup moves at once; else the head is asked once, naming the purchase, the
    members who get their codes and the slots as read (a wrong number sends no codes)."""
    async with database.reading() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is None or community is None:
        raise NotFound(N_("no such purchase"))
    slots = parse_pickups(pickup, community.timezone, now)
    if purchase.status is PurchaseStatus.ARRIVED:
        await mark_arrived(database.unit_of_work(update_id), purchase_id, actor, slots, now=now)
        return PickupAnnounced(purchase, slots, None)
    question = await step_question(database.unit_of_work(), purchase_id, actor, Step.ARRIVED)
    return PickupAnnounced(purchase, slots, question)
