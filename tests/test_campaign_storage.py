"""Campaigns through storage on SQLite and a real PostgreSQL: operators, a campaign read back
whole, its parts found, closed together at the cut-off (once), and the supplier's cut written
to every part; a fresh cache reads it all back from the rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from domain import services
from domain.campaign import CampaignStatus
from domain.community import Community
from domain.errors import NotAllowed
from domain.permissions import Actor
from domain.purchase import Purchase, PurchaseStatus, SupplyConfirmation
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, NOW, item, purchase
from tests.test_campaign_domain import CUT_OFF, OPERATOR, campaign

ADMIN = Actor(1, is_admin=True)


async def parts_of(db: Database, campaign_id: int) -> list[Purchase]:
    async with db.unit_of_work() as uow:
        return await uow.purchases.of_campaign(campaign_id)


async def test_a_campaign_and_its_parts_round_trip_through_the_cut_off_and_the_cut(
    database: Database,
) -> None:
    told: list[str] = []

    async def tell() -> None:
        told.append("operator")

    with pytest.raises(NotAllowed):
        await services.grant_operator(database.unit_of_work(), Actor(OPERATOR), OPERATOR, NOW, tell)
    assert await services.grant_operator(database.unit_of_work(), ADMIN, OPERATOR, NOW, tell)
    assert not await services.grant_operator(database.unit_of_work(), ADMIN, OPERATOR, NOW, tell)
    assert told == ["operator"]  # once, when granted: not when refused, not again
    made = replace(campaign(), id=0)
    with pytest.raises(NotAllowed):
        await services.create_campaign(database.unit_of_work(), Actor(77), made, NOW)
    campaign_id = await services.create_campaign(
        database.unit_of_work(), Actor(OPERATOR), made, NOW
    )
    async with database.unit_of_work() as uow:
        stored = await uow.campaigns.get(campaign_id)
    assert stored == replace(made, id=campaign_id, version=1)

    for number in (1, 2):
        where = Community(-number, f"Block {number}", "Europe/Berlin", "EUR", "en", region="River")
        await services.register_community(database.unit_of_work(), where)
        draft = purchase(
            [item(1, "8.00", name="Honey", pack_size=6), item(2, "3.00", name="Wax")],
            status=PurchaseStatus.DRAFT,
        )
        draft = replace(draft, id=0, community_id=-number, head_id=100 + number)
        await services.check_adoption(database.unit_of_work(), campaign_id, draft, where, NOW)
        purchase_id = await services.publish_purchase(
            database.unit_of_work(), draft, NOW, Decimal(10)
        )
        for member in (1, 2):
            await services.add_units(
                database.unit_of_work(), purchase_id, 10 * number + member, "M", 1, 2,
                NOW + timedelta(minutes=number * 10 + member), ADMITTED,
            )  # fmt: skip
    # Before the cut-off nothing closes; at it, both parts stop together, once.
    assert await services.close_due_campaigns(database.unit_of_work(), NOW) == []
    await services.reach_deadlines(
        database.unit_of_work(), [p.id for p in await parts_of(database, campaign_id)], CUT_OFF
    )
    assert await services.close_due_campaigns(database.unit_of_work(), CUT_OFF) == []
    parts = await parts_of(database, campaign_id)
    assert [p.status for p in parts] == [PurchaseStatus.STOPPED] * 2
    # 8 units of boxes of 6: one box, the earliest 6 units (Block 1's 4, then Block 2's first 2).
    assert [p.allotment for p in parts] == [{1: 4, 2: 0}, {1: 2, 2: 0}]
    assert [p.campaign_title for p in parts] == ["Autumn honey"] * 2

    told = await services.confirm_campaign_supply(
        database.unit_of_work(), campaign_id, Actor(OPERATOR), {1: 0}
    )
    assert told == 3
    fresh = Database(database.url)  # an empty cache: read from the rows
    try:
        async with fresh.unit_of_work() as uow:
            closed = await uow.campaigns.get(campaign_id)
            from_rows = await uow.purchases.of_campaign(campaign_id)
            assert await uow.campaigns.is_operator(OPERATOR)
            assert await uow.campaigns.due(CUT_OFF + timedelta(days=1)) == []
            listed = await uow.campaigns.listed(CampaignStatus.CLOSED)
            community = await uow.communities.get(-1)
    finally:
        await fresh.dispose()
    assert closed is not None and closed.status is CampaignStatus.CLOSED
    assert (closed.ordered, closed.supplied) == ({1: 1, 2: 0}, {1: 0})
    assert [c.id for c in listed] == [campaign_id]
    assert community is not None and community.region == "River"
    assert [p.supply for p in from_rows] == [{1: SupplyConfirmation(0)}] * 2
    assert [p.final_lines() for p in from_rows] == [{}, {}]
    assert [p.allotment for p in from_rows] == [{1: 4, 2: 0}, {1: 2, 2: 0}]
