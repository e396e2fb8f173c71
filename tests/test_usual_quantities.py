"""The bound on what one member would usually order, derived from the purchase itself, and
the minimum's crossings both ways: pure rules, no Telegram (the sandbox tests are in
tests/test_unusual_orders.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import events
from domain.errors import LimitExceeded, OutOfStock, UnusualQuantity
from domain.permissions import Actor
from domain.purchase import MAX_UNITS_PER_LINE, Item, Moq, Purchase, PurchaseStatus
from domain.usual_quantities import (
    CEILING_WITHOUT_MEASURE,
    MULTIPLE,
    check_raise,
    check_step,
    usual_bound,
)
from tests.support.builders import HEAD, NOW, eur, item, purchase

A, B = 1, 2


@pytest.mark.parametrize(
    ("listed", "moq", "others", "bound"),
    [
        (item(), None, 0, CEILING_WITHOUT_MEASURE),  # nothing to measure by
        (item(), Moq(units=20), 0, 200),  # the report: 100013 against a minimum of 20
        (item(pack_size=30), None, 0, 300),  # eggs by the tray
        (item(member_min=2), None, 0, 20),
        (item(member_min=1), None, 0, CEILING_WITHOUT_MEASURE),  # a minimum of 1 is none
        (item(moq_units=12), None, 0, 120),  # the item's own minimum
        (item(price="8.40"), Moq(money=eur("300.00")), 0, 360),  # 36 units make €300
        (item(price="20.00", estimate_grams=500), Moq(money=eur("100.00")), 0, 100),
        (item(), None, 40, 400),  # ten times the most anyone else ordered
        (item(pack_size=6), Moq(units=50), 0, 500),  # the largest measure counts
        (item(member_max=5), Moq(units=1000), 300, 5),  # the head's own maximum decides
        (item(stock=50), None, 0, 50),  # above the stock is refused anyway
    ],
)
def test_the_bound_comes_from_the_purchase_itself(
    listed: Item, moq: Moq | None, others: int, bound: int
) -> None:
    assert usual_bound(listed, moq, others) == bound


items = st.builds(
    lambda price, pack, low, high, stock, item_moq, grams: item(
        price=f"{price}.00",
        pack_size=pack,
        member_min=low,
        member_max=high,
        stock=stock,
        moq_units=item_moq,
        estimate_grams=grams,
    ),
    st.integers(1, 500),
    st.integers(1, 200),
    st.none() | st.integers(1, 50),
    st.none() | st.integers(50, 5000),
    st.none() | st.integers(50, 200_000),
    st.none() | st.integers(1, 1000),
    st.none() | st.integers(1, 100_000),
)
moqs = (
    st.none()
    | st.builds(Moq, units=st.integers(1, 10_000))
    | st.builds(lambda euros: Moq(money=eur(f"{euros}.00")), st.integers(1, 100_000))
)


@given(items, moqs, st.integers(0, MAX_UNITS_PER_LINE))
def test_the_bound_keeps_to_the_hard_limits_and_never_flags_what_others_ordered(
    listed: Item, moq: Moq | None, others: int
) -> None:
    bound = usual_bound(listed, moq, others)
    if listed.member_max is not None:
        assert bound == listed.member_max
        return
    assert (listed.member_min or 1) <= bound <= MAX_UNITS_PER_LINE
    caps = [MAX_UNITS_PER_LINE] + ([listed.stock] if listed.stock is not None else [])
    assert bound >= min(MULTIPLE * others, *caps) or bound == (listed.member_min or 1)
    assert bound >= min(MULTIPLE * listed.pack_size, *caps) or bound == (listed.member_min or 1)
    if listed.stock is not None:
        assert bound <= max(listed.stock, listed.member_min or 1)


@given(items, moqs, st.integers(0, 50_000), st.integers(0, 50_000))
def test_more_ordered_by_others_never_lowers_the_bound(
    listed: Item, moq: Moq | None, fewer: int, more: int
) -> None:
    fewer, more = sorted((fewer, more))
    assert usual_bound(listed, moq, fewer) <= usual_bound(listed, moq, more)


@given(st.integers(1, 20), st.integers(0, 9))
def test_without_minimum_or_packs_the_ceiling_stands_unless_others_order_more(
    price: int, others: int
) -> None:
    assert usual_bound(item(price=f"{price}.00"), None, others) == CEILING_WITHOUT_MEASURE


def test_a_typed_raise_above_the_bound_is_refused_even_from_a_confirmed_line() -> None:
    p = purchase(moq=Moq(units=20))
    with pytest.raises(UnusualQuantity) as refused:
        check_raise(p, A, 1, 100_000)
    assert (refused.value.quantity, refused.value.bound) == (100_000, 200)
    assert isinstance(refused.value, LimitExceeded)
    check_raise(p, A, 1, 200)  # up to the bound: fine
    p.set_quantity(A, "A", 1, 250, NOW)  # confirmed in the chat
    check_raise(p, A, 1, 250)  # unchanged
    check_raise(p, A, 1, 240)  # lowered
    with pytest.raises(UnusualQuantity):
        check_raise(p, A, 1, 2500)


def test_a_step_asks_when_it_crosses_the_bound_and_not_after_it_was_confirmed() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, CEILING_WITHOUT_MEASURE, NOW)
    with pytest.raises(UnusualQuantity):
        check_step(p, A, 1, CEILING_WITHOUT_MEASURE + 1)
    p.set_quantity(A, "A", 1, CEILING_WITHOUT_MEASURE + 1, NOW)  # she confirmed
    check_step(p, A, 1, CEILING_WITHOUT_MEASURE + 2)
    # Bob's large order raises everyone's bound: Alice's next step is no longer unusual.
    p.set_quantity(B, "B", 1, 30, NOW)
    check_step(p, B, 1, 31)


def crossings(p: Purchase) -> list[type[events.Event]]:
    return [type(e) for e in p.events if isinstance(e, events.MoqReached | events.MoqLost)]


def test_the_minimum_is_reached_lost_and_reached_again_once_per_crossing() -> None:
    p = purchase(moq=Moq(units=5))
    p.set_quantity(A, "A", 1, 3, NOW)
    p.set_quantity(B, "B", 1, 2, NOW)  # reached
    p.set_quantity(B, "B", 1, 4, NOW)  # still reached: nothing new
    p.set_quantity(B, "B", 1, 1, NOW)  # lost
    p.set_quantity(B, "B", 1, 0, NOW)  # still lost: nothing new
    p.set_quantity(A, "A", 1, 5, NOW)  # reached again
    p.withdraw(A, NOW)  # lost by a withdrawal
    assert crossings(p) == [
        events.MoqReached, events.MoqLost, events.MoqReached, events.MoqLost,
    ]  # fmt: skip


def test_no_minimum_lost_after_the_stop() -> None:
    p = purchase(moq=Moq(units=2))
    p.set_quantity(A, "A", 1, 1, NOW)
    p.set_quantity(B, "B", 1, 1, NOW)
    p.stop_now(Actor(HEAD))
    assert p.status is PurchaseStatus.STOPPED
    p.request_withdrawal(A, NOW)
    p.accept_withdrawal(Actor(HEAD), A, 1, NOW)
    assert crossings(p) == [events.MoqReached]


def test_above_the_heads_maximum_or_the_stock_the_hard_limit_answers_not_a_question() -> None:
    p = purchase([item(1, member_max=3), item(2, stock=40)])
    check_raise(p, A, 1, 4)  # set_quantity refuses it: "at most 3 of Item 1 per member"
    check_step(p, A, 2, 41)  # and this: "only 40 of Item 2 left"
    with pytest.raises(LimitExceeded, match="at most 3"):
        p.set_quantity(A, "A", 1, 4, NOW)


def test_above_the_units_one_line_may_hold_the_hard_limit_answers_not_a_question() -> None:
    p = purchase()
    p.set_quantity(B, "B", 1, MAX_UNITS_PER_LINE // MULTIPLE, NOW)  # the bound: the limit
    check_step(p, A, 1, MAX_UNITS_PER_LINE + 1)
    check_raise(p, A, 1, MAX_UNITS_PER_LINE + 1)
    with pytest.raises(LimitExceeded, match="at most 100000 units"):
        p.set_quantity(A, "A", 1, MAX_UNITS_PER_LINE + 1, NOW)
    # Where the stock left is the limit, it answers ("only 200 left for you"), not a question.
    p = purchase([item(1, stock=230), item(2)], moq=Moq(units=20))  # the bound: 200
    p.set_quantity(A, "A", 1, 200, NOW)
    p.set_quantity(B, "B", 1, 20, NOW)
    p.set_quantity(3, "C", 1, 10, NOW)  # the stock is gone
    check_step(p, A, 1, 201)
    with pytest.raises(OutOfStock, match="only 200 of Item 1 left for you"):
        p.set_quantity(A, "A", 1, 201, NOW)
    p.set_quantity(B, "B", 1, 10, NOW)  # 10 left: past the bound within them, a question
    with pytest.raises(UnusualQuantity):
        check_step(p, A, 1, 201)
