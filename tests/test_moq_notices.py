"""What the head is told of the minimum, decided by the notifier from the event log and what
she was told last (kept apart from the outbox, which forgets): crossings that undo each other
before a round say nothing, "no longer reached" only follows a "reached", a round run again
repeats nothing, and a month's pruning of the outbox changes none of that — on SQLite and
PostgreSQL. Through the sandbox, in two languages: tests/test_unusual_orders.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from domain import services
from domain.community import Community, OpenRule
from domain.purchase import Moq, PurchaseStatus
from runtime.event_notices import NotifierTiming
from runtime.notifier import Notifier
from storage.telegram_tables import OutboxRow
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


class Minimum:
    """A purchase with a minimum of 2 units, its members' taps and the notifier's rounds."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.notifier = Notifier(database, lambda: NOW, NotifierTiming())
        self.pid = 0

    async def publish(self) -> None:
        await services.register_community(self.database.unit_of_work(), COMMUNITY)
        draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0, moq=Moq(units=2))
        uow = self.database.unit_of_work()
        self.pid = await services.publish_purchase(uow, draft, NOW, Decimal(10))

    async def units(self, member: int, delta: int) -> None:
        await services.add_units(
            self.database.unit_of_work(), self.pid, member, f"M{member}", 1, delta, NOW, ADMITTED
        )

    async def rounds(self) -> None:
        while await self.notifier.run_once():
            pass


async def test_the_head_is_told_where_the_minimum_stands_once_per_crossing(
    database: Database,
) -> None:
    minimum = Minimum(database)
    await minimum.publish()
    units, rounds = minimum.units, minimum.rounds

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


async def sent_and_pruned_a_month_later(db: Database) -> None:
    """Every message is delivered now, and the outbox's monthly pruning drops them all."""
    async with db.unit_of_work() as uow:
        for message in await uow.outbox.claim_due(NOW, 100, timedelta(minutes=1)):
            await uow.outbox.mark_sent(message.id, NOW)
        await uow.prune(NOW + timedelta(days=31))
        await uow.commit()
    async with db.sessions() as session:
        assert list(await session.scalars(select(OutboxRow.key))) == []


async def test_a_purchase_open_past_the_outbox_s_month_tells_the_next_crossing_once(
    database: Database,
) -> None:
    minimum = Minimum(database)
    await minimum.publish()
    await minimum.units(A, 1)
    await minimum.units(B, 1)  # reached, told
    await minimum.rounds()
    await sent_and_pruned_a_month_later(database)

    await minimum.units(B, -1)
    await minimum.units(B, 1)  # lost and reached again within a round: she knows already
    await minimum.rounds()
    assert await told_head(database) == []

    await minimum.units(B, -1)  # below the minimum: she hears it, a month after "reached"
    await minimum.rounds()
    assert [text.split()[0] for text in await told_head(database)] == ["↩️"]
    await sent_and_pruned_a_month_later(database)

    await minimum.units(B, 1)
    await minimum.rounds()
    assert [text.split()[0] for text in await told_head(database)] == ["🎉"]
