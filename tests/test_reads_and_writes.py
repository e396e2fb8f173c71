"""What a unit of work reads, locks and writes: running sums that never drift from a recount of
the order log (also across copies of the aggregate), readers that take no row lock, aggregates
left as loaded that are not written, and conflicts that run the whole unit of work again."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain import services
from domain.order_log import LogSums, Request
from domain.ports import Conflict
from domain.purchase import Purchase, PurchaseStatus
from domain.services.unit import retried
from storage.aggregate_cache import AggregateCache, StoredRows, Tracked
from storage.purchase_tables import purchases
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, NOW, item, purchase
from tests.support.stored_purchase import COMMUNITY

# (member, item, firm delta, tolerance delta), or a copy taken of the aggregate so far
STEPS = st.lists(
    st.one_of(
        st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(-3, 5), st.integers(-1, 2)),
        st.just("copy"),
    ),
    max_size=60,
)


def recount(log: list[Request]) -> LogSums:
    return LogSums(list(log)).catch_up()


def same_sums(sums: LogSums, log: list[Request]) -> None:
    expected = recount(log)
    assert sums.lines == expected.lines
    assert sums.member_units == expected.member_units
    assert sums.item_units == expected.item_units
    assert sums.firm_units == expected.firm_units


@settings(max_examples=200, deadline=None)
@given(STEPS, st.data())
def test_running_sums_equal_a_recount_across_copies(
    steps: list[object], data: st.DataObject
) -> None:
    """Copies share their members' lines until one of them changes: every copy, the original
    and each of its descendants, sums what its own log holds and nothing another appended."""
    logs: list[list[Request]] = [[]]
    sums = [LogSums(logs[0])]
    seq = 0
    for step in steps:
        which = data.draw(st.integers(0, len(logs) - 1))
        if step == "copy":
            sums[which].catch_up()
            logs.append(list(logs[which]))
            sums.append(sums[which].carried_to(logs[-1]))
            continue
        assert isinstance(step, tuple)
        seq += 1
        logs[which].append(Request(seq, step[0], step[1], step[2], step[3], NOW))
        if data.draw(st.booleans()):
            sums[which].catch_up()
    for log, running in zip(logs, sums, strict=True):
        same_sums(running.catch_up(), log)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 4)), min_size=1, max_size=30))
def test_a_copied_purchase_answers_as_a_fresh_count_and_leaves_the_original_alone(
    taps: list[tuple[int, int]],
) -> None:
    original = purchase(items=[item(1), item(2)])
    for member, units in taps[: len(taps) // 2]:
        original.add_units(member, f"M{member}", 1 + member % 2, units, NOW)
    before = original.all_lines()
    copy = original.copy()
    for member, units in taps[len(taps) // 2 :]:
        copy.add_units(member, f"M{member}", 1 + member % 2, units, NOW)
    fresh = replace(copy, requests=list(copy.requests))  # sums counted from nothing
    assert copy.all_lines() == fresh.all_lines()
    assert copy.firm_units() == fresh.firm_units()
    assert copy.participant_ids() == fresh.participant_ids()
    assert original.all_lines() == before


async def open_purchase(db: Database) -> int:
    await services.register_community(db.unit_of_work(), COMMUNITY)
    draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0)
    return await services.publish_purchase(db.unit_of_work(), draft, NOW, Decimal(10))


async def version_of(db: Database, purchase_id: int) -> int:
    async with db.sessions() as session:
        version = await session.scalar(
            select(purchases.c.version).where(purchases.c.id == purchase_id)
        )
    assert version is not None
    return int(version)


async def test_a_purchase_loaded_and_left_as_it_was_is_not_written(database: Database) -> None:
    purchase_id = await open_purchase(database)
    await services.add_units(database.unit_of_work(), purchase_id, 1, "A", 1, 2, NOW, ADMITTED)
    before = await version_of(database, purchase_id)
    for _ in range(3):
        async with database.unit_of_work() as uow:
            loaded = await uow.purchases.get(purchase_id)
            shown = await uow.purchases.read(purchase_id)
            assert loaded is not None and loaded is shown
            assert loaded.quantity(1, 1) == 2
            await uow.commit()
    assert await version_of(database, purchase_id) == before
    await services.add_units(database.unit_of_work(), purchase_id, 2, "B", 1, 1, NOW, ADMITTED)
    assert await version_of(database, purchase_id) == before + 1


async def test_what_was_read_and_changed_after_all_is_written_under_its_version(
    postgres_url: str,
) -> None:
    """No lock is no licence: a change made to a purchase loaded for reading, over a change
    another unit of work committed meanwhile, is a Conflict, never a lost update."""
    database = Database(postgres_url)
    try:
        purchase_id = await open_purchase(database)
        async with database.unit_of_work() as uow:
            shown = await uow.purchases.read(purchase_id)
            assert shown is not None
            shown.add_units(1, "A", 1, 1, NOW)
            await services.add_units(
                database.unit_of_work(), purchase_id, 2, "B", 1, 1, NOW, ADMITTED
            )
            with pytest.raises(Conflict):  # a change over a stale read is never written
                await uow.commit()
        async with database.unit_of_work() as uow:
            seen = await uow.purchases.read(purchase_id)
        assert seen is not None and seen.participant_ids() == [2]
    finally:
        await database.dispose()


async def test_a_reader_does_not_wait_for_a_changer_s_row_lock(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        purchase_id = await open_purchase(database)
        async with database.unit_of_work() as changer:
            locked = await changer.purchases.get(purchase_id)  # FOR UPDATE, held till the end
            assert locked is not None
            locked.add_units(1, "A", 1, 1, NOW)

            async def read() -> list[int]:
                async with database.unit_of_work() as reader:
                    shown = await reader.purchases.read(purchase_id)
                assert shown is not None
                return shown.participant_ids()

            # Were the reader to wait for the lock, it would wait for this very block: the
            # time-out turns that into a failure instead of a hang.
            assert await asyncio.wait_for(read(), timeout=30) == []
            await changer.commit()
    finally:
        await database.dispose()


async def test_units_that_lock_two_purchases_in_opposite_orders_both_finish(
    postgres_url: str,
) -> None:
    """A deadlock met while waiting for a row lock (not at the commit) runs the whole unit
    again, so both changes land and nobody sees an error."""
    database = Database(postgres_url)
    try:
        first, second = await open_purchase(database), await open_purchase(database)
        both_hold_one = asyncio.Barrier(2)
        attempts: list[int] = []

        async def change(member_id: int, order: tuple[int, int]) -> None:
            async def work() -> None:
                attempts.append(member_id)
                async with database.unit_of_work() as uow:
                    for number, purchase_id in enumerate(order):
                        loaded = await uow.purchases.get(purchase_id)
                        assert isinstance(loaded, Purchase)
                        loaded.add_units(member_id, f"M{member_id}", 1, 1, NOW)
                        if number == 0 and attempts.count(member_id) == 1:
                            await both_hold_one.wait()
                    await uow.commit()

            await retried(work)

        await asyncio.gather(change(1, (first, second)), change(2, (second, first)))
        assert len(attempts) == 3, attempts  # one of the two ran again after the deadlock
        async with database.unit_of_work() as uow:
            for purchase_id in (first, second):
                seen = await uow.purchases.read(purchase_id)
                assert seen is not None and sorted(seen.participant_ids()) == [1, 2]
    finally:
        await database.dispose()


async def test_many_purchases_written_at_once_are_each_checked_against_their_version(
    database: Database,
) -> None:
    """Several changed aggregates go out in one statement: a stale one among them is still a
    Conflict, and none of them is written."""
    first, second = await open_purchase(database), await open_purchase(database)
    async with database.unit_of_work() as uow:
        for purchase_id in (first, second):
            loaded = await uow.purchases.get(purchase_id)
            assert loaded is not None
            loaded.add_units(1, "A", 1, 1, NOW)
        # The other writer's commit, played in this very transaction (a second connection
        # would wait for the lock this one holds).
        await uow.purchases._session.execute(
            purchases.update().where(purchases.c.id == second).values(version=99)
        )
        with pytest.raises(Conflict):  # a change over a stale copy is never written
            await uow.commit()
    async with database.unit_of_work() as uow:
        for purchase_id in (first, second):
            seen = await uow.purchases.read(purchase_id)
            assert seen is not None and seen.participant_ids() == []
    await services.add_units(database.unit_of_work(), first, 1, "A", 1, 1, NOW, ADMITTED)
    before = await version_of(database, first)
    async with database.unit_of_work() as uow:
        both = await uow.purchases.get_many([second, first])
        for loaded in both:
            loaded.add_units(2, "B", 1, 2, NOW)
        await uow.commit()
    assert await version_of(database, first) == before + 1
    async with database.unit_of_work() as uow:
        seen_first, seen_second = await uow.purchases.read_many([first, second])
    assert seen_first.all_lines() == {1: {1: (1, 0)}, 2: {1: (2, 0)}}
    assert seen_second.all_lines() == {2: {1: (2, 0)}}


def test_the_cache_keeps_the_latest_commit_and_gives_readers_a_newer_one() -> None:
    """A reader whose snapshot is a commit older than what a writer just cached takes the
    newer copy, and never puts its older one back over it (the next writer would then have
    to read what came since)."""
    cache = AggregateCache()
    newer = purchase()
    newer.id, newer.version = 5, 8
    older = newer.copy()
    older.version = 7
    cache.put(Tracked(newer, StoredRows()))
    cache.put(Tracked(older, StoredRows()))
    assert cache.get(5, 8) is not None
    assert cache.get(5, 7) is None  # a writer (row locked at 7) never gets another version
    read = cache.get(5, 7, newer=True)
    assert read is not None and read.purchase.version == 8
    assert cache.get(5, 9, newer=True) is None  # nothing older than the row is handed out


def test_the_cache_keeps_the_purchases_used_lately_and_lets_the_others_go() -> None:
    """At its limit the cache drops the purchase used longest ago, not the one just read."""
    cache = AggregateCache(limit=2)
    for purchase_id in (1, 2):
        kept = purchase()
        kept.id, kept.version = purchase_id, 1
        cache.put(Tracked(kept, StoredRows()))
    assert cache.get(1, 1) is not None  # 1 is used again: 2 is the one used longest ago
    third = purchase()
    third.id, third.version = 3, 1
    cache.put(Tracked(third, StoredRows()))
    assert cache.get(2, 1) is None
    assert cache.get(1, 1) is not None and cache.get(3, 1) is not None


def test_what_members_get_is_worked_out_once_while_only_read_and_anew_after() -> None:
    shown = purchase(items=[item(1), item(2)])
    shown.add_units(1, "A", 1, 2, NOW)
    with shown.only_read():
        first = shown.final_lines()
        assert shown.final_lines() is first  # once for the block
        assert first == {1: {1: 2}}
    shown.add_units(2, "B", 2, 1, NOW)  # changed after the block: counted anew
    assert shown.final_lines() == {1: {1: 2}, 2: {2: 1}}
