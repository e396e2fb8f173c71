"""Storage on SQLite and on a real PostgreSQL: commit and rollback, each update processed once,
version conflicts and concurrent joins, the cached purchase, pruning, and the event log's order."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from domain import services
from domain.errors import OutOfStock
from domain.ports import AlreadyProcessed, Conflict
from domain.purchase import PurchaseStatus
from storage.purchase_tables import OrderRequestRow, PurchaseRow
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, HEAD, NOW, item, purchase
from tests.support.stored_purchase import COMMUNITY, load, open_purchase


async def test_taps_written_together_record_their_updates_once(database: Database) -> None:
    purchase_id = await open_purchase(database, items=[item(1, member_max=1)])
    taps = [
        services.Tap(100 + member, member, f"M{member}", 1, 1, NOW, ADMITTED)
        for member in (1, 2, 3)
    ]
    taps.append(
        services.Tap(200, 1, "M1", 1, 1, NOW, ADMITTED)
    )  # over the max: refused, not recorded
    outcomes = await services.add_units_together(database.unit_of_work(), purchase_id, taps)
    assert [type(o).__name__ for o in outcomes] == ["MemberOrderView"] * 3 + ["LimitExceeded"]
    again = await services.add_units_together(database.unit_of_work(), purchase_id, taps)
    assert [type(o).__name__ for o in again] == ["AlreadyProcessed"] * 3 + ["LimitExceeded"]
    assert (await load(database, purchase_id)).item_units(1) == 3
    async with database.unit_of_work() as uow:
        assert await uow.already_processed([101, 102, 103, 200, 999]) == {101, 102, 103}
        with pytest.raises(Conflict):  # another process recorded 101 meanwhile
            await uow.mark_processed([300, 101])


async def test_nothing_is_written_without_commit_or_on_error(database: Database) -> None:
    await services.register_community(database.unit_of_work(), COMMUNITY)
    async with database.unit_of_work() as uow:
        await uow.purchases.add(replace(purchase(status=PurchaseStatus.DRAFT), id=0))
        # leaving without commit

    async def crash_before_commit() -> None:
        async with database.unit_of_work() as uow:
            await uow.purchases.add(replace(purchase(status=PurchaseStatus.DRAFT), id=0))
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        await crash_before_commit()
    async with database.unit_of_work() as uow:
        assert await uow.purchases.list_for_head(HEAD) == []


async def test_a_refused_change_leaves_the_database_as_it_was(database: Database) -> None:
    purchase_id = await open_purchase(database, items=[item(1, stock=1), item(2)])
    uow = database.unit_of_work()
    await services.add_units(uow, purchase_id, 1, "Alice", 1, 1, NOW, ADMITTED)
    with pytest.raises(OutOfStock):
        await services.add_units(uow, purchase_id, 2, "Bob", 1, 1, NOW, ADMITTED)
    loaded = await load(database, purchase_id)
    assert loaded.participant_ids() == [1]
    assert loaded.version == 3  # stored, published, one change


async def test_the_same_update_processed_twice_changes_state_once(database: Database) -> None:
    purchase_id = await open_purchase(database)
    await services.add_units(
        database.unit_of_work(update_id=501), purchase_id, 1, "A", 1, 1, NOW, ADMITTED
    )
    with pytest.raises(AlreadyProcessed):
        await services.add_units(
            database.unit_of_work(update_id=501), purchase_id, 1, "A", 1, 1, NOW, ADMITTED
        )
    assert (await load(database, purchase_id)).quantity(1, 1) == 1


async def test_a_refused_update_can_be_redelivered_and_is_refused_again(database: Database) -> None:
    purchase_id = await open_purchase(database, items=[item(1, member_max=1)])
    uow = database.unit_of_work
    await services.add_units(uow(update_id=1), purchase_id, 1, "A", 1, 1, NOW, ADMITTED)
    for _ in range(2):  # the refusal committed nothing, so the claim was rolled back too
        with pytest.raises(Exception, match="at most 1"):
            await services.add_units(uow(update_id=2), purchase_id, 1, "A", 1, 1, NOW, ADMITTED)


async def test_a_stale_version_is_a_conflict_not_a_lost_update(database: Database) -> None:
    purchase_id = await open_purchase(database)

    async def change_while_another_writer_got_there_first() -> None:
        async with database.unit_of_work() as uow:
            loaded = await uow.purchases.get(purchase_id)
            assert loaded is not None
            loaded.add_units(1, "A", 1, 1, NOW)
            # The other writer's commit, played in this very transaction: a second connection
            # would wait on the lock this one holds instead.
            await uow.purchases._session.execute(
                text("UPDATE purchases SET version = version + 1 WHERE id = :id"),
                {"id": purchase_id},
            )
            await uow.commit()

    with pytest.raises(Conflict):
        await change_while_another_writer_got_there_first()
    assert (await load(database, purchase_id)).participant_ids() == []


async def test_200_concurrent_joins_on_stock_150_sell_exactly_150(
    database: Database, record_property: object
) -> None:
    purchase_id = await open_purchase(database, items=[item(1, stock=150), item(2)])

    async def join(member_id: int) -> str:
        try:
            await services.add_units(
                database.unit_of_work(update_id=10_000 + member_id),
                purchase_id, member_id, f"Member {member_id}", 1, 1, NOW, ADMITTED,
            )  # fmt: skip
        except OutOfStock as refusal:
            return str(refusal)
        return "ok"

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(join(member) for member in range(1, 201)))
    elapsed = time.perf_counter() - started
    print(f"\n200 concurrent joins on {database.engine.dialect.name}: {elapsed:.2f} s")
    assert outcomes.count("ok") == 150
    assert outcomes.count("Item 1 is sold out") == 50
    loaded = await load(database, purchase_id)
    assert loaded.item_units(1) == 150
    assert len(loaded.participant_ids()) == 150
    async with database.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(OrderRequestRow))
        version = await session.scalar(select(PurchaseRow.version))
    assert rows == 150
    assert version == 152  # stored, published, 150 changes


async def test_another_process_writing_makes_the_cached_purchase_stale(database: Database) -> None:
    purchase_id = await open_purchase(database)
    await services.add_units(database.unit_of_work(), purchase_id, 1, "A", 1, 1, NOW, ADMITTED)
    other = Database(database.url)  # another bot process on the same database
    try:
        await services.add_units(other.unit_of_work(), purchase_id, 2, "B", 1, 2, NOW, ADMITTED)
    finally:
        await other.dispose()
    seen = await load(database, purchase_id)
    assert seen.lines(2) == {1: (2, 0)}
    await services.add_units(database.unit_of_work(), purchase_id, 1, "A", 1, 1, NOW, ADMITTED)
    assert (await load(database, purchase_id)).item_units(1) == 4


def test_a_copy_shares_no_mutable_container() -> None:
    original = purchase()
    original.set_quantity(1, "A", 1, 1, NOW)
    copy = original.copy()
    for field in dataclasses.fields(original):
        value = getattr(original, field.name)
        if isinstance(value, list | set | dict):
            assert getattr(copy, field.name) is not value, field.name
    copy.set_quantity(2, "B", 1, 1, NOW)
    assert original.participant_ids() == [1]


async def test_old_update_ids_sent_messages_and_handled_events_are_pruned(
    database: Database,
) -> None:
    purchase_id = await open_purchase(database)
    await services.add_units(
        database.unit_of_work(update_id=7), purchase_id, 1, "A", 1, 1, NOW, ADMITTED
    )
    async with database.unit_of_work() as uow:
        await uow.outbox.enqueue("old", 1, {"text": "x"}, NOW)
        await uow.outbox.enqueue("pending", 2, {"text": "x"}, NOW)
        [old, _pending] = await uow.outbox.claim_due(NOW, 10, timedelta(seconds=30))
        await uow.outbox.mark_sent(old.id, NOW)
        events = await uow.events.unhandled(100)
        await uow.events.mark_handled([e.id for e in events], NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.prune(NOW + timedelta(days=6)) == 0
        gone = await uow.prune(datetime.now(UTC) + timedelta(days=31))
        await uow.commit()
    # the update id, the sent message, and every handled event; the pending message stays
    assert gone == 2 + len(events)
    async with database.unit_of_work() as uow:
        assert await uow.outbox.status_of("pending") is not None
        assert await uow.outbox.status_of("old") is None


async def test_events_a_notifier_may_defer_come_after_the_others(database: Database) -> None:
    purchase_id = await open_purchase(database)
    for member in range(1, 6):  # five joins, then the stop
        await services.add_units(
            database.unit_of_work(), purchase_id, member, "A", 1, 1, NOW, ADMITTED
        )
    await services.reach_deadline(database.unit_of_work(), purchase_id, NOW + timedelta(days=30))
    joins = frozenset({"MemberJoined", "OrderChanged"})
    async with database.unit_of_work() as uow:
        oldest = await uow.events.unhandled(3)
        first = await uow.events.unhandled(3, after_the_rest=joins)
        everything = await uow.events.unhandled(100, after_the_rest=joins)
    assert "PurchaseStopped" not in [e.kind for e in oldest]
    assert "PurchaseStopped" in [e.kind for e in first]
    assert [e.kind in joins for e in everything] == sorted(e.kind in joins for e in everything)
    assert len(everything) == len({e.id for e in everything})
