"""A purchase opened through the use cases in a community, and read back: what the storage
tests start from."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from domain import services
from domain.community import Community, OpenRule
from domain.purchase import Purchase, PurchaseStatus
from storage.unit_of_work import Database
from tests.support.builders import NOW, purchase

COMMUNITY = Community(-100, "Block 5", "Europe/Berlin", "EUR", "en", OpenRule.ADMINS)


async def open_purchase(db: Database, **fields: object) -> int:
    await services.register_community(db.unit_of_work(), COMMUNITY)
    draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0, **fields)  # type: ignore[arg-type]
    return await services.publish_purchase(db.unit_of_work(), draft, NOW, Decimal(10))


async def load(db: Database, purchase_id: int) -> Purchase:
    async with db.unit_of_work() as uow:
        loaded = await uow.purchases.get(purchase_id)
    assert loaded is not None
    return loaded
