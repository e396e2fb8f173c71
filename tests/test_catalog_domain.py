"""The catalog's domain: variants, size rows (property-tested like the pack rule), goods sold
by weight settled through the ledger, and the item lines that make them."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import adjustments, weights
from domain.allocation import QueueEntry, build_queue
from domain.billing import amounts_due
from domain.errors import DomainError, IllegalTransition, InvalidPurchase, NotFound
from domain.form_fields import FormError, parse_item_line
from domain.ledger import account_of
from domain.money import Money
from domain.permissions import Actor
from domain.purchase import Item, Purchase, PurchaseStatus
from domain.purchase_form import PurchaseForm, item_template
from domain.reports import head_report
from domain.rows import allocate_rows, rows_state
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
    assert [(line.item.label, line.units) for line in report.supplier] == [
        ("T-shirt, S", 0), ("T-shirt, M", 2), ("T-shirt, L", 1), ("T-shirt, XL", 0),
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
