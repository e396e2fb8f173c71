"""What several processes share on PostgreSQL (storage/cluster.py), each "process" here being
its own set of connections: lanes, the leader's lock, the send pace; and the lane of an
update."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from domain import services
from domain.community import Community
from domain.permissions import Actor
from domain.purchase import Moq, PurchaseStatus
from runtime.leadership import Leadership
from storage.cluster import LEADER, LaneLocks, SendPace, SingletonLock
from storage.inbox import LANES, lane_of
from storage.migrate import is_up_to_date
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, item, purchase


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    return postgres_url


def test_an_update_s_lane_is_its_sender_else_its_chat() -> None:
    tap = {"update_id": 1, "callback_query": {"id": "9", "from": {"id": 42}, "data": "x"}}
    assert lane_of(tap) == 42
    message = {"update_id": 2, "message": {"chat": {"id": -100_123}, "from": {"id": 7}}}
    assert lane_of(message) == 7
    channel_post = {"update_id": 3, "message": {"chat": {"id": -100_123}}}
    assert lane_of(channel_post) == -100_123 % LANES
    big = {"update_id": 4, "message": {"from": {"id": 8_000_000_001}}}
    assert 0 <= lane_of(big) < LANES
    assert lane_of({"update_id": 5}) == 0


async def keep(url: str, update_id: int, sender: int) -> None:
    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            update = {"update_id": update_id, "message": {"from": {"id": sender}, "text": "hi"}}
            await uow.inbox.store([(update_id, update)], datetime.now(UTC))
            await uow.commit()
    finally:
        await database.dispose()


async def test_a_lane_is_one_process_s_at_a_time_and_its_holder_hears_what_came_meanwhile(
    pg_url: str,
) -> None:
    first, second = LaneLocks(pg_url, connections=2), LaneLocks(pg_url, connections=2)
    await first.open()
    await second.open()
    try:
        await keep(pg_url, 1, sender=42)
        taken = await first.take(42)
        assert taken is not None and [update_id for update_id, _ in taken] == [1]
        assert await second.take(42) is None  # the first one has it
        await keep(pg_url, 2, sender=42)  # kept by the second, left to the holder
        await first.mark_handled([1], datetime.now(UTC))
        assert [u for u, _ in await first.waiting(42)] == [2]
        assert await first.release(42) is True  # something waits: whoever looks takes it
        taken = await second.take(42)
        assert taken is not None and [u for u, _ in taken] == [2]
        await second.mark_handled([2], datetime.now(UTC))
        assert await second.release(42) is False
        # A process that dies loses its lanes with its connections.
        again = await first.take(42)
        assert again == []
        await first.close()
        assert await second.take(42) == []
        await second.release(42)
        assert await second.lanes_waiting(datetime.now(UTC) + timedelta(seconds=1)) == []
    finally:
        await first.close()
        await second.close()


async def test_one_leader_and_the_next_takes_over_when_its_connection_goes(pg_url: str) -> None:
    first, second = SingletonLock(pg_url, LEADER), SingletonLock(pg_url, LEADER)
    await first.open()
    await second.open()
    try:
        assert await first.try_take() is True
        assert await second.try_take() is False
        assert await first.still_held() is True
        await first.close()  # as a killed process's connection closes
        assert await second.try_take() is True
    finally:
        await first.close()
        await second.close()


async def test_two_processes_sending_share_one_pace_for_the_bot_and_for_each_chat(
    pg_url: str,
) -> None:
    pacers = [SendPace(pg_url), SendPace(pg_url)]
    for pacer in pacers:
        await pacer.open()
    try:
        interval = 1 / 29.4
        opens = [(await pacers[n % 2].reserve(0, interval, 1))[0] for n in range(40)]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(opens)]
        # The slots the two took interleave, each exactly one interval after the last:
        # together they never send faster than the bot may.
        assert all(gap >= interval - 1e-6 for gap in gaps), gaps
        chat = 10_001  # a private chat: one a second after a burst of two
        slots = [await pacers[n % 2].reserve(chat, 1.0, 2) for n in range(4)]
        waits = [wait for _, wait in slots]
        assert waits[0] == 0 and waits[1] == 0
        assert 0.9 < waits[2] <= 1.0 and 1.9 < waits[3] <= 2.0
        assert [(b[0] - a[0]).total_seconds() for a, b in itertools.pairwise(slots)] == [
            pytest.approx(1.0, abs=1e-6)
        ] * 3
    finally:
        for pacer in pacers:
            await pacer.close()


async def test_health_knows_whether_the_migrations_are_applied(pg_url: str) -> None:
    database = Database(pg_url)
    try:
        async with database.engine.connect() as connection:
            assert await is_up_to_date(connection) is True
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '0012'"))
        async with database.engine.connect() as connection:
            assert await is_up_to_date(connection) is False
    finally:
        await database.dispose()


async def test_a_copy_cached_by_one_process_catches_up_with_another_s_taps(pg_url: str) -> None:
    """Two processes tap on one card in turns: each one's cached copy is brought up by reading
    only the taps added since, and ends up as a fresh load would; a change beyond taps (the
    cancellation here) makes it load the whole purchase again."""
    now = datetime.now(UTC)
    first, second = Database(pg_url), Database(pg_url)
    try:
        await services.register_community(
            first.unit_of_work(), Community(-100, "Block 5", "UTC", "EUR", "en")
        )
        draft = replace(
            purchase([item(1), item(2)], status=PurchaseStatus.DRAFT, moq=Moq(units=1)),
            id=0, community_id=-100, head_id=1, deadline=now + timedelta(days=1),
        )  # fmt: skip
        purchase_id = await services.publish_purchase(first.unit_of_work(), draft, now, Decimal(10))
        for n in range(6):
            database = (first, second)[n % 2]
            await services.add_units(
                database.unit_of_work(), purchase_id, 100 + n, f"M{n}", 1 + n % 2, 1, now, ADMITTED
            )
        await services.add_units(first.unit_of_work(), purchase_id, 100, "M0", 1, 2, now, ADMITTED)
        fresh = Database(pg_url)
        try:
            async with fresh.unit_of_work() as uow:
                loaded = await uow.purchases.get(purchase_id)
            async with first.unit_of_work() as uow:
                cached = await uow.purchases.get(purchase_id)
        finally:
            await fresh.dispose()
        assert loaded is not None and cached is not None
        assert cached.requests == loaded.requests and cached.members == loaded.members
        assert cached.version == loaded.version and cached.firm_units() == loaded.firm_units()
        assert cached.firm_units() == 8
        # A change beyond taps: the other process's copy is not caught up but loaded again.
        await services.cancel(second.unit_of_work(), purchase_id, Actor(1), "supplier gone")
        async with first.unit_of_work() as uow:
            again = await uow.purchases.get(purchase_id)
        assert again is not None and again.status is PurchaseStatus.CANCELLED
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_leader_whose_lock_connection_breaks_stops_and_does_not_lead_again(
    pg_url: str,
) -> None:
    led: list[str] = []
    lock = SingletonLock(pg_url, LEADER)

    async def lead() -> None:
        led.append("lead")

    leadership = Leadership(lock, lead, lambda: led.append("lost"))
    await leadership.open()
    other = SingletonLock(pg_url, LEADER)
    await other.open()
    try:
        await leadership.run_once()
        assert leadership.leading and led == ["lead"]
        database = Database(pg_url)
        try:
            async with database.engine.begin() as connection:  # as if the network broke
                await connection.execute(
                    text(
                        # This test's database only: the server is shared with tests that
                        # run at the same time, whose processes hold advisory locks too.
                        "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                )
        finally:
            await database.dispose()
        await leadership.run_once()
        assert not leadership.leading and led == ["lead", "lost"]
        assert await other.try_take() is True  # another process leads now
        await other.close()
        await leadership.run_once()  # the lock is free again, yet this process stops
        assert led == ["lead", "lost"] and not leadership.leading
    finally:
        await other.close()
        await lock.close()
