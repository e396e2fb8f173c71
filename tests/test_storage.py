"""Storage on SQLite and on a real PostgreSQL: round-trips, rollback, concurrency, idempotency."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from domain import ledger, services
from domain.community import Community, OpenRule
from domain.errors import OutOfStock
from domain.payments import EntryKind
from domain.permissions import Actor
from domain.ports import AlreadyProcessed, Conflict
from domain.purchase import (
    DeliverySplit,
    Handover,
    Item,
    Moq,
    PaymentMode,
    PickupSlot,
    PriceTier,
    Purchase,
    PurchaseStatus,
    ShortPolicy,
    SupplyConfirmation,
)
from storage.tables import OrderRequestRow, PurchaseRow
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, HEAD, NOW, eur, item, purchase

COMMUNITY = Community(-100, "Block 5", "Europe/Berlin", "EUR", "en", OpenRule.ADMINS)


async def open_purchase(db: Database, **fields: object) -> int:
    await services.register_community(db.unit_of_work(), COMMUNITY)
    draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0, **fields)  # type: ignore[arg-type]
    return await services.publish_purchase(db.unit_of_work(), draft, NOW, Decimal(10))


async def load(db: Database, purchase_id: int) -> Purchase:
    async with db.unit_of_work() as uow:
        loaded = await uow.purchases.get(purchase_id)
    assert loaded is not None
    return loaded


async def test_a_purchase_round_trips_with_every_field(database: Database) -> None:
    slot = PickupSlot("Hall, 5 Main St", NOW + timedelta(days=5), NOW + timedelta(days=5, hours=2))
    purchase_id = await open_purchase(
        database,
        items=[
            item(1, "12.50", unit="kg", pack_size=6, member_max=10, stock=100, moq_units=6,
                 tiers=(PriceTier(60, eur("11.90")), PriceTier(120, eur("11.00")))),
            item(2, "7.00", member_min=2),
        ],
        description="Raw honey, 2025 harvest",
        supplier="Altai Bee Farm",
        moq=Moq(money=eur("500.00")),
        pickup_slots=[slot],
        fee_percent=Decimal("5.5"),
        delivery_cost=eur("20.00"),
        delivery_split=DeliverySplit.PER_UNIT,
        regions=("EU", "CH"),
        payment_mode=PaymentMode.POSTPAY,
        short_policy=ShortPolicy.EXTEND,
        extend_by=timedelta(hours=24),
    )  # fmt: skip
    uow = database.unit_of_work()
    await services.add_units(uow, purchase_id, 1, "Alice", 1, 4, NOW, ADMITTED)
    await services.set_tolerance(uow, purchase_id, 1, 1, 2, NOW, ADMITTED)
    await services.add_units(uow, purchase_id, 2, "Bob ⚡ 王", 2, 1, NOW, ADMITTED)
    await services.offer_transfer(uow, purchase_id, Actor(HEAD), 1)

    # Through a second Database, whose cache is empty: this reads every row back.
    fresh = Database(database.url)
    try:
        loaded = await load(fresh, purchase_id)
    finally:
        await fresh.dispose()
    assert loaded == await load(database, purchase_id)
    assert loaded.items[0].tiers == (PriceTier(60, eur("11.90")), PriceTier(120, eur("11.00")))
    assert loaded.moq == Moq(money=eur("500.00"))
    assert loaded.fee_percent == Decimal("5.5")
    assert loaded.pickup_slots == [slot]
    assert loaded.deadline.tzinfo is UTC
    assert loaded.deadline == NOW + timedelta(days=3)
    assert loaded.lines(1) == {1: (4, 2)}
    assert loaded.lines(2) == {2: (2, 0)}
    assert loaded.members[2].name == "Bob ⚡ 王"
    assert loaded.pending_head_id == 1
    assert loaded.status is PurchaseStatus.OPEN
    assert loaded.version == 6  # published + four changes

    async with database.unit_of_work() as uow2:
        assert await uow2.communities.get(COMMUNITY.chat_id) == COMMUNITY
        assert [p.id for p in await uow2.purchases.list_for_head(HEAD)] == [purchase_id]
        assert [p.id for p in await uow2.purchases.list_for_member(2)] == [purchase_id]
        assert await uow2.purchases.list_for_member(3) == []
        assert await uow2.purchases.ids_due(NOW) == []
        assert await uow2.purchases.ids_due(NOW + timedelta(days=3)) == [purchase_id]
        assert await uow2.purchases.get(404) is None


async def test_headlines_count_the_members_with_units_left(database: Database) -> None:
    busy, empty = await open_purchase(database), await open_purchase(database, title="Walnuts")
    uow = database.unit_of_work()
    for member in (1, 2, 3):
        await services.add_units(uow, busy, member, f"M{member}", 1, 2, NOW, ADMITTED)
    await services.add_units(uow, busy, 3, "M3", 1, -2, NOW, ADMITTED)  # took it all back
    async with database.unit_of_work() as reading:
        lines = await reading.purchases.headlines(10, HEAD)
    assert [(line.id, line.title, line.members) for line in lines] == [
        (empty, "Walnuts", 0),
        (busy, "Wildflower honey", 2),
    ]


async def test_withdrawal_requests_and_new_slots_are_saved(database: Database) -> None:
    purchase_id = await open_purchase(database)
    uow = database.unit_of_work()
    head = Actor(HEAD)
    await services.add_units(uow, purchase_id, 1, "Alice", 1, 1, NOW, ADMITTED)
    await services.add_units(uow, purchase_id, 2, "Bob", 1, 1, NOW, ADMITTED)
    await services.stop_now(uow, purchase_id, head)
    await services.request_withdrawal(uow, purchase_id, 2, NOW)
    requested = await load(database, purchase_id)
    assert (requested.withdrawal_requests, requested.withdrawal_requests_made) == ({2: 1}, 1)
    await services.accept_withdrawal(uow, purchase_id, head, 2, 1, NOW)
    await services.mark_ordered(uow, purchase_id, head)
    slot = PickupSlot("Yard", NOW + timedelta(days=6), NOW + timedelta(days=6, hours=1))
    await services.mark_arrived(uow, purchase_id, head, [slot])
    loaded = await load(database, purchase_id)
    assert loaded.withdrawal_requests == {}
    assert loaded.withdrawal_requests_made == 1
    assert loaded.participant_ids() == [1]
    assert loaded.pickup_slots == [slot]
    assert loaded.status is PurchaseStatus.ARRIVED


async def test_claims_ledger_entries_and_handovers_are_saved(database: Database) -> None:
    purchase_id = await open_purchase(
        database, pay_to="IBAN DE12 3456", pay_by=NOW + timedelta(days=4)
    )
    uow = database.unit_of_work()
    head = Actor(HEAD)
    for member in (1, 2, 3):
        await services.add_units(uow, purchase_id, member, f"M{member}", 1, 1, NOW, ADMITTED)
    await services.stop_now(uow, purchase_id, head)
    await services.claim_payment(uow, purchase_id, 1, NOW)
    await services.claim_payment(uow, purchase_id, 2, NOW)
    await services.reject_claim(uow, purchase_id, head, 2, 2)
    await services.record_money(uow, purchase_id, head, 3, EntryKind.PAYMENT, eur("12.50"), NOW)
    await services.confirm_claim(uow, purchase_id, head, 1, 1, NOW)
    # The supplier's new price: member 1 paid the old amount and owes the rest.
    await services.confirm_supply(uow, purchase_id, head, "1. Item 1: 3 @ 13.00")
    await services.record_money(uow, purchase_id, head, 1, EntryKind.PAYMENT, eur("0.20"), NOW)
    await services.mark_ordered(uow, purchase_id, head)
    slot = PickupSlot("Yard", NOW + timedelta(days=6), NOW + timedelta(days=6, hours=1))
    await services.mark_arrived(uow, purchase_id, head, [slot])
    await services.hand_over(uow, purchase_id, head, 3, NOW, eur("0.50"))
    fresh = Database(database.url)  # an empty cache: read from the rows
    try:
        from_rows = await load(fresh, purchase_id)
    finally:
        await fresh.dispose()
    assert [(c.number, c.member_id, c.amount, c.state.value) for c in from_rows.claims] == [
        (1, 1, eur("12.50"), "received"),
        (2, 2, eur("12.50"), "not_found"),
    ]
    assert [(e.member_id, e.kind.value, e.amount, e.means.value, e.claim)
            for e in from_rows.ledger] == [
        (3, "payment", eur("12.50"), "cash", None),
        (1, "payment", eur("12.50"), "transfer", 1),
        (1, "payment", eur("0.20"), "cash", None),
        (3, "payment", eur("0.50"), "cash", None),
    ]  # fmt: skip
    assert from_rows.handed_over == {3: Handover(NOW, HEAD)}
    assert (from_rows.pay_to, from_rows.pay_by) == ("IBAN DE12 3456", NOW + timedelta(days=4))
    assert from_rows.supply == {1: SupplyConfirmation(3, eur("13.00"))}
    assert {m: a.balance for m, a in ledger.accounts(from_rows).items()} == {
        1: eur("0.30"),
        2: eur("13.00"),
        3: eur("0.00"),
    }
    assert from_rows == await load(database, purchase_id)


async def test_a_new_purchase_takes_the_head_s_last_payment_details(database: Database) -> None:
    first = await open_purchase(database, pay_to="cash at pickup")
    second = await open_purchase(database)
    other_head = await open_purchase(database, head_id=HEAD + 1)
    async with database.unit_of_work() as uow:
        assert await uow.purchases.last_pay_to(HEAD) == "cash at pickup"
        assert await uow.purchases.last_pay_to(HEAD + 1) == ""
    assert (await load(database, first)).pay_to == "cash at pickup"
    assert (await load(database, second)).pay_to == "cash at pickup"
    assert (await load(database, other_head)).pay_to == ""


async def test_many_purchases_load_at_once_and_reach_their_deadlines(database: Database) -> None:
    ids = [await open_purchase(database) for _ in range(3)]
    uow = database.unit_of_work()
    for member, purchase_id in enumerate(ids, 1):
        await services.add_units(uow, purchase_id, member, f"M{member}", 1, member, NOW, ADMITTED)
    fresh = Database(database.url)  # nothing cached: every child table is read for all three
    try:
        async with fresh.unit_of_work() as reader:
            loaded = await reader.purchases.get_many([ids[2], 404, ids[0], ids[1]])
        assert [p.id for p in loaded] == [ids[2], ids[0], ids[1]]
        assert [p.lines(p.participant_ids()[0]) for p in loaded] == [
            {1: (3, 0)},
            {1: (1, 0)},
            {1: (2, 0)},
        ]
        assert loaded == [await load(database, i) for i in (ids[2], ids[0], ids[1])]
        await services.reach_deadlines(fresh.unit_of_work(), ids, NOW + timedelta(days=3))
    finally:
        await fresh.dispose()
    for purchase_id in ids:
        assert (await load(database, purchase_id)).status is PurchaseStatus.STOPPED
    async with database.unit_of_work() as uow2:
        stops = await uow2.events.unhandled(100)
    assert sum(e.kind == "PurchaseStopped" for e in stops) == 3


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


async def test_communities_keep_their_settings(database: Database) -> None:
    await services.register_community(database.unit_of_work(), COMMUNITY)
    other = replace(COMMUNITY, title="Renamed", currency="RUB")
    stored = await services.register_community(database.unit_of_work(), other)
    assert stored == COMMUNITY


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


async def test_the_catalog_round_trips_photos_variants_rows_and_weights(database: Database) -> None:
    shirts = [
        Item(n, "T-shirt", eur("9.90"), variant=size, group=1, in_rows=True, swaps=True,
             photo="PHOTO-SHIRT", stock=n + 3)
        for n, size in enumerate(("S", "M", "L"), 1)
    ]  # fmt: skip
    cheese = Item(4, "Cheese", eur("18.00"), estimate_grams=500, photo="PHOTO-CHEESE")
    purchase_id = await open_purchase(database, items=[*shirts, cheese], photo="PHOTO-0")
    uow = database.unit_of_work()
    await services.add_units(uow, purchase_id, 1, "Alice", 4, 2, NOW, ADMITTED)
    await services.stop_now(database.unit_of_work(), purchase_id, Actor(HEAD))
    await services.enter_weights(database.unit_of_work(), purchase_id, Actor(HEAD), "1: 1.104")
    async with database.unit_of_work() as saving:
        saved = await saving.price_lists.save(HEAD, "Altai", "EUR", ("a | 1", "b | 2"), NOW)
        again = await saving.price_lists.save(HEAD, "Altai", "EUR", ("c | 3",), NOW)
        await saving.commit()
    assert again == saved  # one list per head and supplier: the new file replaces the old

    fresh = Database(database.url)  # an empty cache: every row is read back
    try:
        loaded = await load(fresh, purchase_id)
        async with fresh.unit_of_work() as reading:
            price_list = await reading.price_lists.get(saved, HEAD)
            assert await reading.price_lists.get(saved, HEAD + 1) is None
            assert [p.supplier for p in await reading.price_lists.of_head(HEAD, 3)] == ["Altai"]
    finally:
        await fresh.dispose()
    assert loaded.items == [*shirts, cheese]
    assert loaded.photo == "PHOTO-0"
    assert loaded.weights == {(1, 4): 1104}
    assert price_list is not None and price_list.lines == ("c | 3",)
