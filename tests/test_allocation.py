"""Packs and tolerance by Foodsoft's rule, first requested first served."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.allocation import QueueEntry, allocate, build_queue
from tests.support.builders import NOW, item, purchase

A, B, C = 1, 2, 3


def test_the_worked_example_gives_a_7_b_3_c_2_in_two_packs() -> None:
    p = purchase([item(pack_size=6)])
    p.set_quantity(A, "A", 1, 4, NOW)
    p.set_tolerance(A, 1, 2, NOW)
    p.set_quantity(B, "B", 1, 3, NOW)
    p.set_quantity(C, "C", 1, 2, NOW)
    p.set_tolerance(C, 1, 3, NOW)
    p.add_units(A, "A", 1, 1, NOW)
    allocation = p.allocation()[1]
    assert allocation.packs == 2
    assert {m: allocation.allocated(m) for m in (A, B, C)} == {A: 7, B: 3, C: 2}
    assert allocation.short == {}


@pytest.mark.parametrize(
    ("firm", "tolerance", "pack", "stock", "packs", "allocated", "short"),
    [
        # full packs only, remainder too small even with tolerance: the last units are short
        ([(A, 4), (B, 3)], [], 6, None, 1, {A: 4, B: 2}, {B: 1}),
        # remainder + tolerance fills the pack
        ([(A, 4)], [(B, 2)], 6, None, 1, {A: 4, B: 2}, {}),
        ([(A, 4)], [(B, 1)], 6, None, 0, {}, {A: 4}),
        ([(A, 5)], [(A, 1)], 6, None, 1, {A: 6}, {}),
        # a pack is never made of tolerance alone
        ([(A, 6)], [(B, 5), (C, 5)], 6, None, 1, {A: 6}, {}),
        # tolerance is served in the order it was asked for
        ([(A, 4), (B, 4)], [(C, 3), (A, 3)], 6, None, 2, {A: 5, B: 4, C: 3}, {}),
        # no pack size: everyone gets what they asked
        ([(A, 3), (B, 1)], [], 1, None, 4, {A: 3, B: 1}, {}),
        # the extra pack must fit the stock
        ([(A, 8)], [(B, 4)], 6, 10, 1, {A: 6}, {A: 2}),
        ([], [], 6, None, 0, {}, {}),
    ],
)
def test_allocation_table(
    firm: list[tuple[int, int]],
    tolerance: list[tuple[int, int]],
    pack: int,
    stock: int | None,
    packs: int,
    allocated: dict[int, int],
    short: dict[int, int],
) -> None:
    result = allocate(
        [QueueEntry(m, u) for m, u in firm], [QueueEntry(m, u) for m, u in tolerance], pack, stock
    )
    assert result.packs == packs
    assert {m: result.allocated(m) for m in (A, B, C) if result.allocated(m)} == allocated
    assert result.short == short


def test_a_pack_size_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="pack size"):
        allocate([], [], 0)


@pytest.mark.parametrize(
    ("firm", "tolerance", "expected"),
    [(0, 0, 6), (4, 0, 2), (4, 1, 1), (4, 3, 0), (6, 0, 6), (7, 0, 5)],
)
def test_units_to_next_pack(firm: int, tolerance: int, expected: int) -> None:
    result = allocate([QueueEntry(A, firm)] if firm else [], [QueueEntry(B, tolerance)], 6)
    assert result.units_to_next_pack == expected


def test_a_decrease_gives_back_the_latest_units_and_keeps_the_earliest_place() -> None:
    queue = build_queue([(A, 2), (B, 3), (A, 4), (A, -5)])
    assert queue == [QueueEntry(A, 1), QueueEntry(B, 3)]


def test_an_increase_joins_the_back_of_the_queue() -> None:
    queue = build_queue([(A, 3), (B, 3), (A, 1)])
    assert queue == [QueueEntry(A, 3), QueueEntry(B, 3), QueueEntry(A, 1)]
    # With one pack of 6, A's late unit is the one left short.
    assert allocate(queue, [], 6).short == {A: 1}


changes = st.lists(
    st.tuples(st.sampled_from([A, B, C]), st.integers(min_value=-5, max_value=8)), max_size=30
)


def _valid(raw: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop decreases below zero, as the aggregate would refuse them."""
    held = {A: 0, B: 0, C: 0}
    kept = []
    for member, delta in raw:
        if delta and held[member] + delta >= 0:
            held[member] += delta
            kept.append((member, delta))
    return kept


@given(
    firm=changes, tolerance=changes, pack=st.integers(1, 8), stock=st.none() | st.integers(1, 40)
)
def test_allocation_never_exceeds_packs_nor_anyones_quantity_plus_tolerance(
    firm: list[tuple[int, int]],
    tolerance: list[tuple[int, int]],
    pack: int,
    stock: int | None,
) -> None:
    firm_queue = build_queue(_valid(firm))
    tolerance_queue = build_queue(_valid(tolerance))
    result = allocate(firm_queue, tolerance_queue, pack, stock)
    asked = {m: sum(e.units for e in firm_queue if e.member_id == m) for m in (A, B, C)}
    tol = {m: sum(e.units for e in tolerance_queue if e.member_id == m) for m in (A, B, C)}
    total = sum(result.allocated(m) for m in (A, B, C))
    assert total <= result.units
    assert (
        total == result.units
        or result.packs == 0
        or total == sum(asked.values()) + sum(tol.values())
    )
    for member in (A, B, C):
        assert result.firm.get(member, 0) + result.short.get(member, 0) == asked[member]
        assert result.allocated(member) <= asked[member] + tol[member]
    # never a pack of tolerance alone
    assert result.packs <= -(-result.firm_total // pack)
    if stock is not None and result.firm_total <= stock:
        assert result.units <= max(stock, (result.firm_total // pack) * pack)
