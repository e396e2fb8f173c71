"""Use cases of the platform: operators, campaigns, a head adopting one in their community,
the cut-off that stops every community's part together, and the supplier's confirmation that
flows back to each community through the one step of `domain.adjustments`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from domain import adjustments
from domain.campaign import Campaign, confirm_supply, ensure_can_run, supply_for_parts
from domain.community import Community
from domain.errors import N_, NotAllowed, NotFound
from domain.permissions import Actor
from domain.ports import UnitOfWork
from domain.purchase import Purchase, PurchaseStatus, SupplyConfirmation
from domain.services.unit import retried

# Tells the person granted a role, in the grant's transaction (an outbox row, kept with it).
TellGranted = Callable[[], Awaitable[None]]


async def grant_operator(
    uow: UnitOfWork, actor: Actor, user_id: int, now: datetime, tell: TellGranted
) -> bool:
    """A platform admin makes someone an operator, who is told; False when they were one
    already (and nobody is told again)."""
    if not actor.is_admin:
        raise NotAllowed(N_("only a platform admin can make someone an operator"))
    async with uow:
        granted = await uow.campaigns.grant_operator(user_id, actor.user_id, now)
        if granted:
            await tell()
        await uow.commit()
    return granted


async def may_run_campaigns(uow: UnitOfWork, actor: Actor) -> bool:
    if actor.is_admin:
        return True
    async with uow:
        return await uow.campaigns.is_operator(actor.user_id)


async def create_campaign(uow: UnitOfWork, actor: Actor, campaign: Campaign, now: datetime) -> int:
    campaign.validate(now)
    async with uow:
        if not (actor.is_admin or await uow.campaigns.is_operator(actor.user_id)):
            raise NotAllowed(N_("only an operator (made so by a platform admin) runs campaigns"))
        campaign.operator_id = actor.user_id
        await uow.campaigns.add(campaign)
        await uow.commit()
    return campaign.id


async def load_campaign(uow: UnitOfWork, campaign_id: int) -> Campaign:
    campaign = await uow.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound(N_("no such campaign"))
    return campaign


async def campaign_to_adopt(
    uow: UnitOfWork, campaign_id: int, community: Community, now: datetime
) -> Campaign:
    """The campaign, if it may be sold in `community` now (else refused with the reason)."""
    async with uow:
        campaign = await load_campaign(uow, campaign_id)
        parts = await uow.purchases.of_campaign(campaign_id)
    adopted = any(
        p.community_id == community.chat_id and p.status is not PurchaseStatus.CANCELLED
        for p in parts
    )
    campaign.check_adoption(community, now, adopted)
    return campaign


async def check_adoption(
    uow: UnitOfWork, campaign_id: int, purchase: Purchase, community: Community, now: datetime
) -> Campaign:
    """Make a head's new purchase the campaign's part in their community (it is stored by the
    caller, as any purchase); refused with the reason when it may not be."""
    campaign = await campaign_to_adopt(uow, campaign_id, community, now)
    campaign.adopt(purchase, community, now, adopted=False)
    return campaign


async def close_campaign(uow: UnitOfWork, campaign_id: int, now: datetime) -> None:
    """The cut-off: every part stops together with its share of the packs. Safe to repeat."""

    async def work() -> None:
        async with uow:
            campaign = await load_campaign(uow, campaign_id)
            parts = await uow.purchases.of_campaign(campaign_id)
            status = campaign.status
            campaign.close(parts, now)
            if campaign.status is not status:
                await uow.campaigns.save(campaign)
            await uow.commit()

    await retried(work)


async def close_due_campaigns(uow: UnitOfWork, now: datetime) -> list[int]:
    async with uow:
        due = await uow.campaigns.due(now)
    for campaign_id in due:
        await close_campaign(uow, campaign_id, now)
    return due


async def confirm_campaign_supply(
    uow: UnitOfWork, campaign_id: int, actor: Actor, packs: dict[int, int]
) -> int:
    """The supplier confirmed `packs` per item: the packs are filled again across the
    communities and each member whose lines or amount moved is told; returns how many."""
    async with uow:
        campaign = await load_campaign(uow, campaign_id)
        ensure_can_run(campaign, actor)
        confirm_supply(campaign, actor, packs)
        parts = await uow.purchases.of_campaign(campaign_id)
        told = 0
        for part_id, units in supply_for_parts(campaign, parts).items():
            part = next(p for p in parts if p.id == part_id)

            def cut(part: Purchase = part, units: dict[int, int] = units) -> None:
                part.supply.update({item: SupplyConfirmation(n) for item, n in units.items()})

            impact = adjustments.settle(part, adjustments.Cause.SUPPLY, cut)
            told += len(impact.members) if impact else 0
        await uow.campaigns.save(campaign)
        await uow.commit()
    return told
