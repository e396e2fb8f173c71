"""Storage on SQLite and on a real PostgreSQL: what is saved reads back as it was (a purchase
with every field and its child rows, many at once, communities, the catalog)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from decimal import Decimal

from domain import ledger, services
from domain.payments import EntryKind
from domain.permissions import Actor
from domain.purchase import (
    DeliverySplit,
    Handover,
    Item,
    Moq,
    PaymentMode,
    PickupSlot,
    PriceTier,
    PurchaseStatus,
    ShortPolicy,
    SupplyConfirmation,
)
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, HEAD, NOW, eur, item
from tests.support.stored_purchase import COMMUNITY, load, open_purchase


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


async def test_communities_keep_their_settings(database: Database) -> None:
    await services.register_community(database.unit_of_work(), COMMUNITY)
    other = replace(COMMUNITY, title="Renamed", currency="RUB")
    stored = await services.register_community(database.unit_of_work(), other)
    assert stored == COMMUNITY


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
