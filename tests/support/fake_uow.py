"""An in-memory unit of work for service-layer tests: same protocol, no database."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Self

from domain.campaign import Campaign, CampaignStatus
from domain.community import Community, CommunityChange
from domain.events import Event
from domain.ports import AlreadyProcessed, Conflict
from domain.purchase import Purchase, PurchaseStatus


class FakePurchases:
    def __init__(self) -> None:
        self.committed: dict[int, Purchase] = {}
        self.seen: dict[int, Purchase] = {}
        self._next_id = 1

    async def add(self, purchase: Purchase) -> None:
        purchase.id = self._next_id
        self._next_id += 1
        self.seen[purchase.id] = purchase

    async def get(self, purchase_id: int) -> Purchase | None:
        if purchase_id in self.seen:
            return self.seen[purchase_id]
        stored = self.committed.get(purchase_id)
        if stored is None:
            return None
        # A copy, like a fresh load from a database: uncommitted changes never leak back.
        self.seen[purchase_id] = copy.deepcopy(stored)
        return self.seen[purchase_id]

    async def get_many(self, purchase_ids: list[int]) -> list[Purchase]:
        found = [await self.get(purchase_id) for purchase_id in purchase_ids]
        return [purchase for purchase in found if purchase is not None]

    # The fake has no locks: reading is loading.
    read = get
    read_many = get_many

    async def list_for_head(self, head_id: int) -> list[Purchase]:
        return [p for p in self.committed.values() if p.head_id == head_id]

    async def last_pay_to(self, head_id: int) -> str:
        led = [p for p in self.committed.values() if p.head_id == head_id and p.pay_to]
        return max(led, key=lambda p: p.id).pay_to if led else ""

    async def list_for_member(self, member_id: int) -> list[Purchase]:
        return [p for p in self.committed.values() if member_id in p.participant_ids()]

    async def of_campaign(self, campaign_id: int) -> list[Purchase]:
        ids = [p.id for p in self.committed.values() if p.campaign_id == campaign_id]
        return await self.get_many(sorted(ids))

    async def taken_out(self, purchase_id: int) -> frozenset[int]:
        return frozenset()  # the service tests take nobody out through the event log

    async def ids_due(self, now: datetime) -> list[int]:
        return [
            p.id
            for p in self.committed.values()
            if p.status is PurchaseStatus.OPEN and p.deadline <= now
        ]


class FakeCommunities:
    def __init__(self) -> None:
        self.rows: dict[int, Community] = {}

    async def get(self, chat_id: int) -> Community | None:
        return self.rows.get(chat_id)

    async def add(self, community: Community) -> None:
        self.rows[community.chat_id] = community

    async def change(self, chat_id: int, changes: CommunityChange) -> None:
        self.rows[chat_id] = replace(self.rows[chat_id], **changes)


class FakeCampaigns:
    def __init__(self) -> None:
        self.stored: dict[int, Campaign] = {}
        self.operators: set[int] = set()

    async def add(self, campaign: Campaign) -> None:
        campaign.id = len(self.stored) + 1
        self.stored[campaign.id] = campaign

    async def get(self, campaign_id: int) -> Campaign | None:
        found = self.stored.get(campaign_id)
        return None if found is None else copy.deepcopy(found)

    async def save(self, campaign: Campaign) -> None:
        campaign.version += 1
        self.stored[campaign.id] = copy.deepcopy(campaign)

    async def listed(self, status: CampaignStatus | None = None) -> list[Campaign]:
        return [c for c in self.stored.values() if status is None or c.status is status]

    async def due(self, now: datetime) -> list[int]:
        return [
            c.id
            for c in self.stored.values()
            if c.status is CampaignStatus.OPEN and c.cut_off <= now
        ]

    async def is_operator(self, user_id: int) -> bool:
        return user_id in self.operators

    async def grant_operator(self, user_id: int, granted_by: int, now: datetime) -> bool:
        fresh = user_id not in self.operators
        self.operators.add(user_id)
        return fresh


class FakePersonalData:
    """Nobody waits to be forgotten: what the service tests of ending a purchase need."""

    async def waiting_in(self, purchase_id: int) -> list[int]:
        return []

    async def ended_waiting(self) -> list[int]:
        return []


class FakeUnitOfWork:
    def __init__(self, conflicts_to_raise: int = 0) -> None:
        self.purchases = FakePurchases()
        self.communities = FakeCommunities()
        self.campaigns = FakeCampaigns()
        self.personal_data = FakePersonalData()
        self.commits = 0
        self.processed_updates: set[int] = set()
        self.update_id: int | None = None
        self.events: list[Event] = []
        self.conflicts_to_raise = conflicts_to_raise

    def for_update(self, update_id: int) -> Self:
        """Use this unit of work for one Telegram update."""
        self.update_id = update_id
        return self

    async def __aenter__(self) -> Self:
        if self.update_id is not None and self.update_id in self.processed_updates:
            raise AlreadyProcessed(self.update_id)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        if self.conflicts_to_raise:
            self.conflicts_to_raise -= 1
            raise Conflict("changed meanwhile")
        if self.update_id is not None:
            self.processed_updates.add(self.update_id)
        for purchase in self.purchases.seen.values():
            self.events.extend(purchase.events)
            purchase.events.clear()
            purchase.version += 1
            self.purchases.committed[purchase.id] = copy.deepcopy(purchase)
        self.purchases.seen.clear()
        self.commits += 1

    async def rollback(self) -> None:
        self.purchases.seen.clear()

    async def already_processed(self, update_ids: list[int]) -> set[int]:
        return self.processed_updates & set(update_ids)

    async def mark_processed(self, update_ids: list[int]) -> None:
        if self.processed_updates & set(update_ids):
            raise Conflict("recorded meanwhile")
        self.processed_updates.update(update_ids)

    def collected_events(self) -> list[Event]:
        return list(self.events)
