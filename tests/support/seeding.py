"""Purchases written straight into the database, for tests of what happens after them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain import services
from domain.community import Community
from domain.purchase import Moq, PurchaseStatus
from sandbox.model import SandboxUser
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, item, purchase


async def purchase_stopping_soon(
    url: str,
    title: str,
    chat_id: int,
    head: SandboxUser,
    members: list[SandboxUser],
    seconds: float = 2,
) -> datetime:
    """A published purchase whose deadline is `seconds` away, each member with one unit and
    everyone started the bot; returns the deadline."""
    database = Database(url)
    now = datetime.now(UTC)
    deadline = now + timedelta(seconds=seconds)
    try:
        await services.register_community(
            database.unit_of_work(), Community(chat_id, "Block 5", "UTC", "EUR", "en")
        )
        draft = replace(
            purchase([item(1)], status=PurchaseStatus.DRAFT, moq=Moq(units=1)),
            id=0, title=title, community_id=chat_id, head_id=head.id, deadline=deadline,
        )  # fmt: skip
        purchase_id = await services.publish_purchase(
            database.unit_of_work(), draft, now, Decimal(10)
        )
        for member in members:
            await services.add_units(
                database.unit_of_work(),
                purchase_id,
                member.id,
                member.first_name,
                1,
                1,
                now,
                ADMITTED,
            )
        async with database.unit_of_work() as uow:
            for person in (head, *members):
                await uow.telegram.mark_started(person.id, now, "en")
            await uow.commit()
    finally:
        await database.dispose()
    return deadline
