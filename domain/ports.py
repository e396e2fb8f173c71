"""What the use cases need from storage, as protocols; storage/ implements them."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.community import Community
from domain.events import Event
from domain.purchase import Purchase


class Conflict(Exception):
    """Someone else changed the same data at the same moment; the use case is run again."""


class AlreadyProcessed(Exception):
    """This Telegram update was handled before (a redelivery): do nothing, answer nothing new."""


class PurchaseRepository(Protocol):
    async def add(self, purchase: Purchase) -> None:
        """Store a new purchase and give it its id."""

    async def get(self, purchase_id: int) -> Purchase | None:
        """Load a purchase for change; concurrent changers of the same purchase wait or retry."""

    async def remove_draft(self, purchase_id: int) -> None:
        """Delete a purchase that is still a draft (nobody saw it); anything else stays."""

    async def get_many(self, purchase_ids: list[int]) -> list[Purchase]:
        """Load several purchases for change at once (those that exist, in the order asked)."""

    async def list_for_head(self, head_id: int) -> list[Purchase]: ...

    async def last_pay_to(self, head_id: int) -> str:
        """The payment details of the head's latest purchase that had some ("" for none)."""

    async def list_for_member(self, member_id: int) -> list[Purchase]: ...

    async def ids_due(self, now: datetime) -> list[int]:
        """Open purchases whose deadline is at or before `now`."""


class CommunityRepository(Protocol):
    async def get(self, chat_id: int) -> Community | None: ...

    async def add(self, community: Community) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit` was called.

    A unit of work made for a Telegram update records the update id in the same transaction as
    the change, and raises AlreadyProcessed on entry when that update was committed before.
    """

    @property
    def purchases(self) -> PurchaseRepository: ...

    @property
    def communities(self) -> CommunityRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every change of this unit of work durable, with the events it raised."""

    async def rollback(self) -> None: ...

    async def already_processed(self, update_ids: list[int]) -> set[int]:
        """Which of these Telegram updates were committed before (for a unit of work that
        handles several updates together)."""

    async def mark_processed(self, update_ids: list[int]) -> None:
        """Record these updates as handled, in this transaction; raises Conflict when another
        process recorded one of them meanwhile."""

    def collected_events(self) -> list[Event]:
        """The events raised by the aggregates committed in this unit of work."""
