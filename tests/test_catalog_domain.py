"""The catalog's domain: variants, size rows (property-tested like the pack rule), goods sold
by weight settled through the ledger, and the item lines that make them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import adjustments, weights
from domain.allocation import QueueEntry, build_queue
from domain.billing import amounts_due
from domain.errors import DomainError, IllegalTransition, InvalidPurchase, NotFound
from domain.form_fields import FormError
from domain.item_line import parse_item_line
from domain.ledger import account_of
from domain.money import Money
from domain.permissions import Actor
from domain.price_list import PriceListError, read_rows, split_line
from domain.purchase import Item, PickupSlot, Purchase, PurchaseStatus, numbered_slots
from domain.purchase_form import PurchaseForm, TemplateContext, parse_template
from domain.reports import head_report
from domain.rows import allocate_rows, rows_state
from domain.template_lines import again_of, item_template
from tests.support.builders import HEAD, NOW, eur, purchase

SIZES = ("S", "M", "L", "XL")
HEAD_ACTOR = Actor(HEAD)


def shirts(in_rows: bool = True, **fields: object) -> list[Item]:
    return [
        Item(n, "T-shirt", eur("9.90"), variant=size, group=1, in_rows=in_rows, **fields)  # type: ignore[arg-type]
        for n, size in enumerate(SIZES, 1)
    ]


def test_the_worked_example_orders_one_row_and_leaves_the_second_short() -> None:
    p = purchase(shirts())
    p.set_quantity(1, "A", 1, 1, NOW)  # A: S
    p.set_quantity(1, "A", 2, 1, NOW)  # A: M
    p.set_quantity(2, "B", 1, 1, NOW)  # B: S
    p.set_quantity(3, "C", 3, 1, NOW)  # C: L
    p.set_quantity(4, "D", 2, 1, NOW)  # D: M
    state = p.rows_state(1)
    assert state.full == 0 and state.missing == [4]  # nobody took an XL: no row is full
    p.set_quantity(5, "E", 4, 1, NOW)  # E: XL completes row 1
    state = p.rows_state(1)
    assert state.full == 1 and state.missing == [3, 4]  # row 2 has S (B) and M (D)
    allocation = p.allocation()
    assert {i: allocation[i].units for i in range(1, 5)} == {1: 1, 2: 1, 3: 1, 4: 1}
    assert allocation[1].firm == {1: 1} and allocation[1].short == {2: 1}
    assert allocation[2].firm == {1: 1} and allocation[2].short == {4: 1}
    assert p.ordered_units(1) == 1


def test_rows_with_a_supplier_sending_fewer_rows_cut_the_latest_requests() -> None:
    queues = {1: [QueueEntry(1, 2), QueueEntry(2, 1)], 2: [QueueEntry(3, 3)]}
    result = allocate_rows(queues, [1, 2], supplied_rows=2)
    assert result[1].firm == {1: 2} and result[1].short == {2: 1}
    assert result[2].firm == {3: 2} and result[2].short == {3: 1}


changes = st.lists(st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(-3, 4)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(changes)
def test_no_row_is_ever_ordered_incomplete_and_each_variant_is_served_in_order(
    taps: list[tuple[int, int, int]],
) -> None:
    p = purchase(shirts())
    for member, item_id, delta in taps:
        p.add_units(member, f"M{member}", item_id, delta, NOW)
    allocation = p.allocation()
    totals = {i: p.item_units(i) for i in range(1, 5)}
    rows = min(totals.values())
    assert rows == rows_state(totals, [1, 2, 3, 4]).full
    for item_id in range(1, 5):
        got = allocation[item_id]
        # every variant sends exactly the full rows: never a row with a size missing
        assert sum(got.firm.values()) == rows == got.units
        assert got.tolerance == {}
        # served + short is what each member asked for
        for member in {m for m, _i, _d in taps}:
            asked = p.quantity(member, item_id)
            assert got.firm.get(member, 0) + got.short.get(member, 0) == asked
        # first come, first served: the served units are the queue's first `rows` units
        requests = [r for r in p.requests if r.item_id == item_id and r.firm_delta]
        queue = build_queue((r.member_id, r.firm_delta) for r in requests)
        left, expected = rows, {}
        for entry in queue:
            taken = min(entry.units, left)
            left -= taken
            if taken:
                expected[entry.member_id] = expected.get(entry.member_id, 0) + taken
        assert got.firm == expected


@settings(max_examples=100, deadline=None)
@given(changes, st.integers(0, 10), st.sampled_from(["0", "20.00"]))
def test_money_of_rows_adds_up_to_the_cent_after_the_stop(
    taps: list[tuple[int, int, int]], fee: int, delivery: str
) -> None:
    p = purchase(
        shirts(),
        fee_percent=Decimal(fee),
        delivery_cost=None if delivery == "0" else eur(delivery),
    )
    for member, item_id, delta in taps:
        p.add_units(member, f"M{member}", item_id, delta, NOW)
    stopped = replace(p, status=PurchaseStatus.STOPPED)
    dues = amounts_due(stopped)
    rows = min(p.item_units(i) for i in range(1, 5))
    goods = sum(d.goods.minor for d in dues.values())
    assert goods == rows * 4 * 990
    assert (
        sum(d.fee.minor for d in dues.values()) == Money(goods, "EUR").percent(Decimal(fee)).minor
    )
    if rows and delivery != "0":
        assert sum(d.delivery.minor for d in dues.values()) == 2000
    # a member short of every unit owes nothing
    for member, lines in stopped.final_lines().items():
        assert sum(lines.values()) > 0
        assert dues[member].goods.minor == sum(lines.values()) * 990


def test_variants_without_rows_are_lines_of_their_own_with_their_own_stock() -> None:
    p = purchase(shirts(in_rows=False, stock=2))
    p.set_quantity(1, "A", 2, 2, NOW)
    with pytest.raises(DomainError):
        p.set_quantity(2, "B", 2, 1, NOW)  # M sold out
    p.set_quantity(2, "B", 3, 1, NOW)
    stopped = replace(p, status=PurchaseStatus.STOPPED)
    assert stopped.final_lines() == {1: {2: 2}, 2: {3: 1}}
    report = head_report(stopped, HEAD_ACTOR)
    # Sizes nobody gets are no lines of the supplier order ("0 × €9.90" orders nothing).
    assert [(line.item.label, line.units) for line in report.supplier] == [
        ("T-shirt, M", 2), ("T-shirt, L", 1),
    ]  # fmt: skip


# --- item lines ------------------------------------------------------------------------------


def test_an_item_line_with_variants_makes_a_line_per_variant() -> None:
    items = parse_item_line("T-shirt | 9.90 | variants S, M, L, XL | max 3", "EUR")
    assert [i.label for i in items] == ["T-shirt, S", "T-shirt, M", "T-shirt, L", "T-shirt, XL"]
    assert all(i.member_max == 3 and not i.in_rows for i in items)
    rows = parse_item_line("Футболка | 9.90 | ряд S, M, L", "EUR")
    assert [i.variant for i in rows] == ["S", "M", "L"] and all(i.in_rows for i in rows)
    chinese = parse_item_line("T恤 | 9.90 | 尺码S、M、L", "EUR")
    assert [i.variant for i in chinese] == ["S", "M", "L"]
    own = parse_item_line("Socks | 2.00 | variants red:5, blue | stock 3", "EUR")
    assert [(i.variant, i.stock) for i in own] == [("red", 5), ("blue", 3)]
    form = PurchaseForm()
    form.add_items(parse_item_line("Honey | 5.00", "EUR"))
    form.add_items(items)
    assert [i.group for i in form.items] == [0, 2, 2, 2, 2]


def test_an_item_sold_by_weight_has_a_price_per_kg_and_an_estimate() -> None:
    (cheese,) = parse_item_line("Cheese | 18.00 per kg | about 0.5 kg", "EUR")
    assert cheese.unit_price == eur("18.00") and cheese.estimate_grams == 500
    (meat,) = parse_item_line("Мясо | 12,50 за кг | около 700 г", "EUR")
    assert meat.estimate_grams == 700
    assert parse_item_line(item_template(cheese), "EUR") == [cheese]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("T-shirt | 9.90 | variants S", "at least two variants"),
        ("T-shirt | 9.90 | variants S, s", "each variant is named once"),
        ("T-shirt | 9.90 | variants S,, M", "at least two variants"),
        ("T-shirt | 9.90 | variants S:0, M", "at least 1"),
        ("T-shirt | 9.90 | row S, M | pack 6", "no pack size"),
        ("T-shirt | 9.90 | row S, M | moq 6", "one full row"),
        ("T-shirt | 9.90 | variants " + ", ".join(str(n) for n in range(13)), "at most 12"),
        ("T-shirt | 9.90 | variants " + "X" * 31 + ", M", "longer than 30"),
        ("Cheese | 18.00 per kg", "what a piece weighs"),
        ("Cheese | 18.00 | about 0.5 kg", "priced per kg"),
        ("Cheese | 18.00 per kg | about 0.0001 kg", "between 0.001 and 100 kg"),
        ("Cheese | 18.00 per kg | about 200 kg", "between 0.001 and 100 kg"),
        ("Cheese | 18.00 per kg; 17.00 from 10 | about 1 kg", "no price tiers"),
        ("Cheese | -18.00 per kg | about 1 kg", "more than zero"),
    ],
)
def test_bad_item_lines_say_what_is_wrong(line: str, says: str) -> None:
    with pytest.raises(FormError) as error:
        parse_item_line(line, "EUR")
    assert says in error.value.message.format(**error.value.values)


def test_a_purchase_refuses_variants_out_of_their_group() -> None:
    broken = [replace(shirts()[0], group=2), *shirts()[1:]]
    with pytest.raises(InvalidPurchase):
        purchase(broken)
    with pytest.raises(InvalidPurchase):
        purchase([Item(1, "T-shirt", eur("9.90"), variant="S", group=1, in_rows=True)])


# --- sold by weight --------------------------------------------------------------------------


def cheese_purchase() -> Purchase:
    cheese = Item(1, "Cheese", eur("18.00"), estimate_grams=500)
    p = purchase([cheese, Item(2, "Bread", eur("3.00"))], fee_percent=Decimal(5))
    p.set_quantity(1, "Alice", 1, 2, NOW)  # about 1 kg: 18.00
    p.set_quantity(2, "Bob", 1, 1, NOW)  # about 0.5 kg: 9.00
    p.set_quantity(2, "Bob", 2, 1, NOW)
    return p


def test_weighed_goods_are_estimates_until_weighed_then_the_ledger_settles_the_difference() -> None:
    p = cheese_purchase()
    assert {m: d.goods for m, d in amounts_due(p).items()} == {1: eur("18.00"), 2: eur("12.00")}
    p = replace(p, status=PurchaseStatus.STOPPED)
    assert all(d.is_estimate for d in amounts_due(p).values())
    lines = weights.weighing_lines(p)
    assert [(line.number, line.member_id, line.estimate_grams) for line in lines] == [
        (1, 1, 1000), (2, 2, 500),
    ]  # fmt: skip
    impact = adjustments.enter_weights(p, HEAD_ACTOR, "1. Alice: 1.104\n2: 455 g")
    assert impact is not None and impact.cause == "weighed"
    dues = amounts_due(p)
    # 18.00 × 1.104 kg = 19.872 → 19.87; 18.00 × 0.455 = 8.19
    assert dues[1].goods == eur("19.87") and not dues[1].is_estimate
    assert dues[2].goods == eur("11.19")
    assert account_of(p, 1).to_pay == dues[1].total
    report = head_report(p, HEAD_ACTOR)
    assert report.supplier[0].grams == 1559 and report.supplier[0].total == eur("28.06")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("3: 1.0", NotFound),
        ("1: 1.0\n1: 2.0", InvalidPurchase),
        ("1: -1", InvalidPurchase),
        ("1: 1.0001", InvalidPurchase),
        ("1: 2000", InvalidPurchase),
        ("Alice one kilo", InvalidPurchase),
        ("", InvalidPurchase),
    ],
)
def test_bad_weights_change_nothing(text: str, error: type[Exception]) -> None:
    p = replace(cheese_purchase(), status=PurchaseStatus.STOPPED)
    with pytest.raises(error):
        adjustments.enter_weights(p, HEAD_ACTOR, text)
    assert p.weights == {}


def test_only_the_head_weighs_and_only_after_the_stop() -> None:
    p = cheese_purchase()
    with pytest.raises(IllegalTransition):
        adjustments.enter_weights(p, HEAD_ACTOR, "1: 1.0")
    stopped = replace(p, status=PurchaseStatus.STOPPED)
    with pytest.raises(DomainError):
        adjustments.enter_weights(stopped, Actor(1), "1: 1.0")
    assert stopped.weights == {}


# --- price lists and opening again ------------------------------------------------------------


def test_a_price_list_s_rows_become_the_item_lines_typing_them_would_give() -> None:
    rows = [
        ["Altai Farm, December", "", ""],
        ["Наименование", "Цена", "Ед.", "Упаковка", "Размеры", "Вес", "Фото", "Артикул"],
        ["Honey", "12.50", "1 kg", "6", "", "", "https://example.org/h.jpg", "A-1"],
        ["T-shirt", "9.90", "", "", "row S, M, L", "", "", "A-2"],
        ["Cheese", "18", "", "", "", "0.5", "", "A-3"],
        ["", "", "", "", "", "", "", ""],
    ]
    read = read_rows(rows, "EUR")
    assert read.problems == ()
    assert read.lines == (
        "https://example.org/h.jpg\nHoney 1 kg | 12.50 | pack 6",
        "T-shirt | 9.90 | row S, M, L",
        "Cheese | 18 per kg | about 0.5 kg",
    )
    assert split_line(read.lines[0]) == ("https://example.org/h.jpg", "Honey 1 kg | 12.50 | pack 6")


def test_every_bad_row_is_named_and_a_whole_file_s_problem_is_refused() -> None:
    read = read_rows(
        [["name", "price", "stock"], ["Honey", "-1", ""], ["Jam", "2", "x"], ["jam", "3", ""]],
        "EUR",
    )
    assert [(p.row, p.reason.message) for p in read.problems] == [
        (2, "{what} must be more than zero"),
        (3, "{what} must be a whole number, e.g. 6"),
    ]  # "jam" is fine: the bad "Jam" row made no item
    with pytest.raises(PriceListError, match="names no"):
        read_rows([["title", "cost"], ["Honey", "1"]], "EUR")
    with pytest.raises(PriceListError, match="5000 items"):
        read_rows([["name", "price"]] + [[f"Item {n}", "1"] for n in range(5000)], "EUR")
    with pytest.raises(PriceListError, match="no items"):
        read_rows([["name", "price"]], "EUR")
    many = [["name", "price", "variants"]] + [
        [f"Shirt {n}", "1", "S, M, L, XL, XXL"] for n in range(11)
    ]
    with pytest.raises(PriceListError, match="make 55 items"):
        read_rows(many, "EUR")


def test_open_again_moves_the_dates_by_whole_weeks_and_keeps_everything_else() -> None:
    slot = PickupSlot("Hall", NOW + timedelta(days=5), NOW + timedelta(days=5, hours=2), 20)
    source = purchase(
        [
            *shirts(in_rows=False, stock=4)[:2],
            Item(3, "Cheese", eur("18.00"), estimate_grams=500, photo="PHOTO-1"),
        ],
        pickup_slots=numbered_slots([], [slot]),
        fee_percent=Decimal("2.5"),
        photo="PHOTO-0",
        supplier="Altai Farm",
        pay_to="IBAN DE12",
    )
    source.items[1] = replace(source.items[1], stock=9)
    later = NOW + timedelta(days=20)  # the old deadline was 17 days ago
    again = again_of(source, "Europe/Berlin", later)
    form = parse_template(again.template, TemplateContext("EUR", "Europe/Berlin", later))
    form.items.clear()
    for line, photo in again.items:
        form.add_items([replace(item, photo=photo) for item in parse_item_line(line, "EUR")])
    form.photo = again.photo
    copy = form.to_purchase(-100, HEAD, "EUR", later, Decimal(10))
    assert copy.deadline - source.deadline == timedelta(weeks=3)
    assert copy.pickup_slots[0].starts_at - slot.starts_at == timedelta(weeks=3)
    assert [(i.label, i.stock, i.group, i.estimate_grams, i.photo) for i in copy.items] == [
        ("T-shirt, S", 4, 1, None, ""), ("T-shirt, M", 9, 1, None, ""),
        ("Cheese", None, 0, 500, "PHOTO-1"),
    ]  # fmt: skip
    assert (copy.fee_percent, copy.photo, copy.supplier, copy.pay_to) == (
        Decimal("2.5"), "PHOTO-0", "Altai Farm", "IBAN DE12",
    )  # fmt: skip


# --- a size that completes a row ------------------------------------------------------------


def swapping(**fields: object) -> Purchase:
    items = [replace(item, swaps=True) for item in shirts()[:3]]
    return purchase(items, **fields)  # type: ignore[arg-type]


def test_a_member_short_of_a_row_may_take_the_size_that_fills_it_when_the_head_allows() -> None:
    p = swapping()
    for member, item_id in ((1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3)):
        p.set_quantity(member, f"M{member}", item_id, 1, NOW)
    assert p.row_moves(3) == []  # while orders are open, anyone may simply order an L
    p = replace(p, status=PurchaseStatus.STOPPED)
    assert p.rows_state(1).full == 1 and p.rows_state(1).missing == [3]
    assert p.row_moves(3) == [(1, 3)] and p.row_moves(2) == [(1, 3)]
    assert p.row_moves(5) == []  # M has one unit beyond the full row: moving it empties its place
    assert p.row_moves(1) == []  # A's S is in the full row
    impact = adjustments.move_in_row(p, 3, 1, 3, NOW)
    assert impact is not None and impact.cause == "row_completed"
    assert p.allocation()[1].units == 2
    assert p.final_lines()[3] == {3: 1}  # C has an L now, in row 2
    assert {m.member_id for m in impact.members} == {2, 3, 5}  # B's S and E's M are in now
    with pytest.raises(DomainError, match="no longer completes a row"):
        adjustments.move_in_row(p, 2, 1, 3, NOW)


def test_without_the_head_s_leave_or_after_the_order_no_size_is_swapped() -> None:
    p = purchase(shirts()[:3])
    for member, item_id in ((1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3)):
        p.set_quantity(member, f"M{member}", item_id, 1, NOW)
    p = replace(p, status=PurchaseStatus.STOPPED)
    assert p.row_moves(3) == []
    with pytest.raises(DomainError):
        p.move_in_row(3, 1, 3, NOW)
    ordered = replace(swapping(), status=PurchaseStatus.ORDERED)
    assert ordered.row_moves(3) == []
    with pytest.raises(FormError, match="only in rows"):
        parse_item_line("T-shirt | 9.90 | variants S, M | swap", "EUR")
    (row, *_rest) = parse_item_line("T-shirt | 9.90 | ряд S, M | замена", "EUR")
    assert row.swaps and row.in_rows


@settings(max_examples=150, deadline=None)
@given(changes)
def test_every_size_offered_fills_one_more_row_and_takes_from_nobody(
    taps: list[tuple[int, int, int]],
) -> None:
    p = swapping()
    for member, item_id, delta in taps:
        p.add_units(member, f"M{member}", item_id % 3 + 1, delta, NOW)
    p = replace(p, status=PurchaseStatus.STOPPED)
    rows = p.rows_state(1).full
    before = p.final_lines()
    for member in {m for m, _i, _d in taps}:
        for source, target in p.row_moves(member):
            trial = p.copy()
            trial.move_in_row(member, source, target, NOW)
            assert trial.rows_state(1).full == rows + 1
            after = trial.final_lines()
            for other, lines in before.items():
                if other != member:
                    for item_id, units in lines.items():
                        assert after.get(other, {}).get(item_id, 0) >= units
