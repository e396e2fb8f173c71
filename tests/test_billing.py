"""Amounts due: goods + fee + delivery share, adding up exactly, with tiers applied."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.billing import amount_due_of, amounts_due
from domain.purchase import DeliverySplit, PriceTier, PurchaseStatus
from tests.support.builders import NOW, eur, item, purchase

A, B, C = 1, 2, 3


def test_the_worked_example_in_cents() -> None:
    p = purchase(
        [item(1, "12.50")],
        fee_percent=Decimal(5),
        delivery_cost=eur("20.00"),
        delivery_split=DeliverySplit.BY_AMOUNT,
    )
    p.set_quantity(A, "A", 1, 7, NOW)
    p.set_quantity(B, "B", 1, 3, NOW)
    p = replace(p, status=PurchaseStatus.STOPPED)
    due = amounts_due(p)
    assert (due[A].goods, due[A].fee, due[A].delivery, due[A].total) == (
        eur("87.50"), eur("4.38"), eur("14.00"), eur("105.88"),
    )  # fmt: skip
    assert (due[B].goods, due[B].fee, due[B].delivery, due[B].total) == (
        eur("37.50"), eur("1.87"), eur("6.00"), eur("45.37"),
    )  # fmt: skip
    assert not due[A].is_estimate


@pytest.mark.parametrize(
    ("split", "expected_delivery"),
    [
        (DeliverySplit.PER_MEMBER, ["3.34", "3.33", "3.33"]),
        (DeliverySplit.PER_UNIT, ["1.67", "3.33", "5.00"]),
        (DeliverySplit.BY_AMOUNT, ["1.67", "3.33", "5.00"]),
    ],
)
def test_delivery_is_split_by_the_heads_rule(
    split: DeliverySplit, expected_delivery: list[str]
) -> None:
    p = purchase([item(1, "1.00")], delivery_cost=eur("10.00"), delivery_split=split)
    for member, units in ((A, 1), (B, 2), (C, 3)):
        p.set_quantity(member, str(member), 1, units, NOW)
    due = amounts_due(p)
    assert [due[m].delivery for m in (A, B, C)] == [eur(x) for x in expected_delivery]
    assert all(due[m].is_estimate for m in (A, B, C))


def test_everyone_pays_the_final_tier_price() -> None:
    tiered = item(1, "10.00", tiers=(PriceTier(5, eur("9.00")), PriceTier(10, eur("8.00"))))
    p = purchase([tiered])
    p.set_quantity(A, "A", 1, 4, NOW)
    assert amounts_due(p)[A].goods == eur("40.00")
    p.set_quantity(B, "B", 1, 6, NOW)
    due = amounts_due(p)
    assert (due[A].goods, due[B].goods) == (eur("32.00"), eur("48.00"))
    assert tiered.next_tier(10) is None
    assert tiered.next_tier(4) == PriceTier(5, eur("9.00"))


def test_after_the_stop_members_pay_for_what_the_packs_give_them() -> None:
    p = purchase([item(1, "2.00", pack_size=6)])
    p.set_quantity(A, "A", 1, 4, NOW)
    p.set_quantity(B, "B", 1, 3, NOW)
    p = replace(p, status=PurchaseStatus.STOPPED)
    due = amounts_due(p)
    assert due[A].goods == eur("8.00")
    assert due[B].goods == eur("4.00")  # 2 of B's 3 units fit in the one pack


def test_no_delivery_and_no_fee_cost_nothing() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 2, NOW)
    due = amounts_due(p)[A]
    assert (due.fee.minor, due.delivery.minor, due.total) == (0, 0, eur("25.00"))


@given(
    st.lists(st.tuples(st.integers(1, 30), st.integers(1, 2), st.integers(1, 9)), max_size=40),
    st.sampled_from(list(DeliverySplit)),
    st.decimals(0, 10, places=1),
)
def test_one_member_s_amount_is_their_share_of_everyone_s(
    taps: list[tuple[int, int, int]], split: DeliverySplit, fee: Decimal
) -> None:
    p = purchase(
        [item(1, "12.35", pack_size=3), item(2, "0.07")],
        fee_percent=fee, delivery_cost=eur("19.99"), delivery_split=split,
    )  # fmt: skip
    for member, item_id, units in taps:
        p.set_quantity(member, f"M{member}", item_id, units, NOW)
    for status in (PurchaseStatus.OPEN, PurchaseStatus.STOPPED):
        p.status = status
        everyone = amounts_due(p)
        for member in range(1, 32):
            assert amount_due_of(p, member) == everyone.get(member)
