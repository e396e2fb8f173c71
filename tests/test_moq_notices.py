"""What the head is told of the minimum, decided by the notifier from the event log and what
she was told last (the outbox): crossings that undo each other before a round say nothing,
"no longer reached" only follows a "reached", and a round run again repeats nothing — on
SQLite and PostgreSQL. Through the sandbox, in two languages: tests/test_unusual_orders.py."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from domain import services
from domain.community import Community, OpenRule
from domain.purchase import Moq, PurchaseStatus
from runtime.event_notices import NotifierTiming
from runtime.notifier import Notifier
from storage.tables import OutboxRow
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, HEAD, NOW, purchase

COMMUNITY = Community(-100, "Block 5", "Europe/Berlin", "EUR", "ru", OpenRule.ADMINS)
A, B = 1, 2


async def told_head(db: Database) -> list[str]:
    """The head's notices about the minimum, oldest first."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow).where(OutboxRow.chat_id == HEAD).order_by(OutboxRow.id)
        )
        return [str(r.payload["text"]) for r in rows if r.key.startswith("moq:")]


async def test_the_head_is_told_where_the_minimum_stands_once_per_crossing(
    database: Database,
) -> None:
    await services.register_community(database.unit_of_work(), COMMUNITY)
    draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0, moq=Moq(units=2))
    pid = await services.publish_purchase(database.unit_of_work(), draft, NOW, Decimal(10))
    notifier = Notifier(database, lambda: NOW, NotifierTiming())

    async def units(member: int, delta: int) -> None:
        await services.add_units(
            database.unit_of_work(), pid, member, f"M{member}", 1, delta, NOW, ADMITTED
        )

    async def rounds() -> None:
        while await notifier.run_once():
            pass

    await units(A, 1)
    await units(B, 1)  # reached
    await rounds()
    assert [text.split()[0] for text in await told_head(database)] == ["🎉"]
    assert "набрала минимальный заказ (2/2" in (await told_head(database))[0]  # her language

    await units(B, -1)  # lost...
    await units(B, 1)  # ...and reached again before the notifier looked: nothing to say
    await rounds()
    assert len(await told_head(database)) == 1

    await units(B, -1)  # lost, and it stays so
    await rounds()
    await rounds()  # a round again (a restart) repeats nothing
    told = await told_head(database)
    assert [text.split()[0] for text in told] == ["🎉", "↩️"]
    assert "снова ниже минимального заказа (1/2" in told[1]

    await units(A, -1)
    await rounds()  # still below: nothing new
    await units(A, 1)
    await units(B, 1)  # reached once more
    await rounds()
    assert [text.split()[0] for text in await told_head(database)] == ["🎉", "↩️", "🎉"]
