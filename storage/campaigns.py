"""Campaigns and the operators who run them. A campaign is read and written whole (its catalog
is a few dozen lines), under a version check like a purchase."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.campaign import (
    Campaign,
    CampaignItem,
    CampaignStatus,
    CommissionKind,
    CommissionRule,
)
from domain.money import Money
from domain.ports import Conflict
from storage.campaign_tables import CampaignRow, PlatformRoleRow
from storage.mapping import item_columns, item_from_row

OPERATOR = "operator"


def _item_to_json(line: CampaignItem) -> dict[str, Any]:
    columns = item_columns(line.item)
    return columns | {
        "supply_minor": line.supply_price.minor,
        "min_minor": line.min_price.minor,
        "max_minor": line.max_price.minor,
    }


def _item_from_json(data: dict[str, Any], currency: str) -> CampaignItem:
    return CampaignItem(
        item_from_row(SimpleNamespace(**data), currency),
        Money(data["supply_minor"], currency),
        Money(data["min_minor"], currency),
        Money(data["max_minor"], currency),
    )


def _columns(campaign: Campaign) -> dict[str, Any]:
    return {
        "operator_id": campaign.operator_id,
        "title": campaign.title,
        "supplier": campaign.supplier,
        "currency": campaign.currency,
        "timezone": campaign.timezone,
        "items": [_item_to_json(line) for line in campaign.items],
        "cut_off": campaign.cut_off,
        "delivery": campaign.delivery,
        "regions": list(campaign.regions),
        "commission_kind": campaign.commission.kind.value,
        "commission_percent": campaign.commission.percent,
        "open_to_link": campaign.open_to_link,
        "status": campaign.status.value,
        "ordered": sorted([item, packs] for item, packs in campaign.ordered.items()),
        "supplied": sorted([item, packs] for item, packs in campaign.supplied.items()),
        "created_at": campaign.created_at,
    }


def _from_row(row: CampaignRow) -> Campaign:
    return Campaign(
        operator_id=row.operator_id,
        title=row.title,
        supplier=row.supplier,
        currency=row.currency,
        timezone=row.timezone,
        items=[_item_from_json(data, row.currency) for data in row.items],
        cut_off=row.cut_off,
        delivery=row.delivery,
        regions=tuple(row.regions),
        commission=CommissionRule(CommissionKind(row.commission_kind), row.commission_percent),
        created_at=row.created_at,
        open_to_link=row.open_to_link,
        status=CampaignStatus(row.status),
        id=row.id,
        version=row.version,
        ordered={item: packs for item, packs in row.ordered},
        supplied={item: packs for item, packs in row.supplied},
    )


class SqlCampaigns:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, campaign: Campaign) -> None:
        row = CampaignRow(**_columns(campaign), version=1)
        self._session.add(row)
        await self._session.flush()
        campaign.id, campaign.version = row.id, 1

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await self._session.get(CampaignRow, campaign_id)
        return None if row is None else _from_row(row)

    async def save(self, campaign: Campaign) -> None:
        """Write a campaign changed since it was read: a Conflict if someone else did first."""
        result = await self._session.execute(
            update(CampaignRow)
            .where(CampaignRow.id == campaign.id, CampaignRow.version == campaign.version)
            .values(**_columns(campaign), version=campaign.version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"campaign {campaign.id} changed meanwhile")
        campaign.version += 1

    async def listed(self, status: CampaignStatus | None = None) -> list[Campaign]:
        """Campaigns, the latest cut-off first (all of them, or those of one status)."""
        query = select(CampaignRow).order_by(CampaignRow.cut_off.desc(), CampaignRow.id.desc())
        if status is not None:
            query = query.where(CampaignRow.status == status.value)
        return [_from_row(row) for row in await self._session.scalars(query)]

    async def due(self, now: datetime) -> list[int]:
        """Open campaigns whose cut-off has come."""
        found = await self._session.scalars(
            select(CampaignRow.id).where(
                CampaignRow.status == CampaignStatus.OPEN.value, CampaignRow.cut_off <= now
            )
        )
        return list(found)

    async def is_operator(self, user_id: int) -> bool:
        return await self._session.get(PlatformRoleRow, user_id) is not None

    async def grant_operator(self, user_id: int, granted_by: int, now: datetime) -> bool:
        """Make `user_id` an operator; False when they were one already."""
        if await self.is_operator(user_id):
            return False
        self._session.add(PlatformRoleRow(user_id=user_id, role=OPERATOR, granted_by=granted_by,
                                          granted_at=now))  # fmt: skip
        return True
