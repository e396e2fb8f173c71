"""The outbox on both databases: dedup by key, claims, leases after a crash, concurrent claimers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.outbox import OutboxStatus, Urgency
from storage.unit_of_work import Database
from tests.support.builders import NOW

LEASE = timedelta(seconds=30)


async def enqueue(db: Database, count: int, prefix: str = "notice") -> None:
    async with db.unit_of_work() as uow:
        for n in range(count):
            await uow.outbox.enqueue(f"{prefix}:{n}", 1000 + n, {"text": f"hello {n}"}, NOW)
        await uow.commit()


async def claim(db: Database, limit: int, now: object = NOW) -> list[int]:
    async with db.unit_of_work() as uow:
        claimed = await uow.outbox.claim_due(now, limit, LEASE)  # type: ignore[arg-type]
        await uow.commit()
    return [message.id for message in claimed]


async def test_a_key_is_enqueued_once(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.outbox.enqueue("stop:7:1001", 1001, {"text": "stopped"}, NOW)
        assert not await uow.outbox.enqueue("stop:7:1001", 1001, {"text": "again"}, NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        claimed = await uow.outbox.claim_due(NOW, 10, LEASE)
    assert [(m.key, m.payload, m.attempts) for m in claimed] == [
        ("stop:7:1001", {"text": "stopped"}, 1)
    ]


async def test_an_uncommitted_enqueue_is_lost_with_its_change(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.outbox.enqueue("k", 1, {}, NOW)
    assert await claim(database, 10) == []


async def test_sent_rescheduled_and_failed_messages(database: Database) -> None:
    await enqueue(database, 3)
    first, second, third = await claim(database, 10)
    assert await claim(database, 10) == []  # all leased
    async with database.unit_of_work() as uow:
        await uow.outbox.mark_sent(first, NOW)
        await uow.outbox.reschedule(second, NOW + timedelta(seconds=5), "429: retry after 5")
        await uow.outbox.give_up(third, "403: bot was blocked by the user")
        await uow.commit()
    assert await claim(database, 10, NOW + timedelta(seconds=4)) == []
    assert await claim(database, 10, NOW + timedelta(seconds=5)) == [second]
    async with database.unit_of_work() as uow:
        assert await uow.outbox.status_of("notice:0") == (OutboxStatus.SENT, 1, "")
        assert await uow.outbox.status_of("notice:1") == (
            OutboxStatus.SENDING, 2, "429: retry after 5",
        )  # fmt: skip
        assert await uow.outbox.status_of("notice:2") == (
            OutboxStatus.FAILED, 1, "403: bot was blocked by the user",
        )  # fmt: skip
        assert await uow.outbox.status_of("missing") is None


async def test_a_crash_after_claiming_leaves_the_row_claimable_after_the_lease(
    database: Database,
) -> None:
    await enqueue(database, 1)
    crashed = await claim(database, 10)  # the sender dies here without sending
    assert await claim(database, 10, NOW + LEASE - timedelta(seconds=1)) == []
    assert await claim(database, 10, NOW + LEASE) == crashed


async def test_concurrent_claimers_never_get_the_same_row(database: Database) -> None:
    await enqueue(database, 40)
    other = Database(database.url)  # a second process's connection pool
    try:
        batches = await asyncio.gather(
            *(claim(db, 7) for db in (database, other, database, other, database, other))
        )
    finally:
        await other.dispose()
    claimed = [message_id for batch in batches for message_id in batch]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40


async def test_the_most_urgent_due_message_is_claimed_first_then_the_longest_due(
    database: Database,
) -> None:
    minute = timedelta(minutes=1)
    async with database.unit_of_work() as uow:
        outbox = uow.outbox
        await outbox.enqueue("remind24h:1:1", 1, {}, NOW - 2 * minute, urgency=Urgency.LATER)
        await outbox.enqueue("digest:1:9", 2, {}, NOW - minute, urgency=Urgency.LATER)
        await outbox.enqueue("card-refused:1", 3, {}, NOW - minute)
        await outbox.enqueue("stopped:1:4", 4, {}, NOW, urgency=Urgency.URGENT)
        await outbox.enqueue("arrived:1:chat", -5, {}, NOW - minute, urgency=Urgency.URGENT)
        await outbox.enqueue(
            "stopped:2:4", 4, {}, NOW, not_before=NOW + minute, urgency=Urgency.URGENT
        )  # not due yet
        await uow.commit()
    async with database.unit_of_work() as uow:
        claimed = await uow.outbox.claim_due(NOW, 10, LEASE)
        await uow.commit()
    assert [m.key for m in claimed] == [
        "arrived:1:chat", "stopped:1:4", "card-refused:1", "remind24h:1:1", "digest:1:9",
    ]  # fmt: skip


async def test_an_urgent_message_whose_sender_died_goes_before_a_waiting_reminder(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.outbox.enqueue("pickup:1:7", 7, {}, NOW, urgency=Urgency.URGENT)
        await uow.commit()
    [crashed] = await claim(database, 10)  # the sender dies here without sending
    async with database.unit_of_work() as uow:
        await uow.outbox.enqueue("remind1h:1:8", 8, {}, NOW, urgency=Urgency.LATER)
        await uow.commit()
    assert await claim(database, 1, NOW + LEASE) == [crashed]


async def test_a_stopped_purchase_s_deadline_reminders_still_waiting_are_withdrawn(
    database: Database,
) -> None:
    """Reminders go after a stop (urgent first), so those still waiting when the purchase
    stops are withdrawn rather than telling members to hurry after it; nobody else's go."""
    keys = [
        "remind1h:7:d:101", "remind24h:7:d:102", "hour-left:7:d", "head-short:7:d",
        "remind1h:70:d:101", "stopped:7:chat", "pay-remind:7:x:101",
    ]  # fmt: skip
    async with database.unit_of_work() as uow:
        for key in keys:
            uow.outbox.enqueue_soon(key, 101, {"text": key}, NOW, urgency=Urgency.LATER)
        assert await uow.outbox.withdraw_deadline_reminders(7) == 4
        await uow.commit()
    async with database.unit_of_work() as uow:
        statuses = {key: await uow.outbox.status_of(key) for key in keys}
    withdrawn = {k for k, found in statuses.items() if found and found[0] is OutboxStatus.FAILED}
    assert withdrawn == set(keys[:4])
    assert all(statuses[k] == (OutboxStatus.PENDING, 0, "") for k in keys[4:])
