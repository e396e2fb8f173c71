"""Money is exact: minor units, one currency at a time, shares that add up to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import CurrencyMismatch, InvalidAmount, Money, check_currency


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.50", "EUR", 1250), ("12,5", "EUR", 1250), ("1000", "JPY", 1000), ("1.234", "BHD", 1234)],
)
def test_amounts_are_read_exactly_in_minor_units(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize("text", ["12.505", "abc", "", "NaN", "Infinity", "1e400000000000", "1e13"])
def test_a_bad_amount_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(InvalidAmount):
        Money.parse(text, "EUR")


def test_yen_has_no_cents() -> None:
    with pytest.raises(InvalidAmount, match="more than 0 decimal places for JPY"):
        Money.parse("10.5", "JPY")


def test_amounts_in_different_currencies_never_mix() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(100, "EUR") + Money(100, "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "EUR") < Money(100, "RUB")


def test_money_is_never_built_from_a_float() -> None:
    with pytest.raises(InvalidAmount):
        Money(12.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        Money(100, "EUR") * 1.5  # type: ignore[operator]


def test_arithmetic_and_comparison() -> None:
    price = Money.parse("12.50", "EUR")
    assert price * 3 == Money(3750, "EUR")
    assert 2 * price == Money(2500, "EUR")
    assert price - Money(50, "EUR") == Money(1200, "EUR")
    assert Money(1, "EUR") < price <= price
    assert price > Money.zero("EUR")
    assert price >= price
    assert price.amount == Decimal("12.50")


def test_percent_rounds_half_up_to_the_cent() -> None:
    assert Money(1250, "EUR").percent(Decimal("5")) == Money(63, "EUR")  # 62.5 cents
    assert Money(1000, "EUR").percent(Decimal("7.5")) == Money(75, "EUR")


def test_split_by_largest_remainder_worked_example() -> None:
    # 10.00 in three equal shares: 3.333... each; the one cent left goes to the first.
    assert Money(1000, "EUR").split([1, 1, 1]) == [
        Money(334, "EUR"),
        Money(333, "EUR"),
        Money(333, "EUR"),
    ]
    # 20.00 by amounts 50.00, 30.00, 20.00: exact shares 10.00, 6.00, 4.00.
    assert [share.minor for share in Money(2000, "EUR").split([5000, 3000, 2000])] == [
        1000,
        600,
        400,
    ]


def test_split_edge_cases() -> None:
    assert Money(100, "EUR").split([]) == []
    assert Money(100, "EUR").split([0, 0]) == [Money(50, "EUR"), Money(50, "EUR")]
    assert Money(-100, "EUR").split([1, 2]) == [Money(-33, "EUR"), Money(-67, "EUR")]
    with pytest.raises(InvalidAmount):
        Money(100, "EUR").split([1, -1])


def test_unknown_currency_codes_are_refused() -> None:
    assert check_currency("eur") == "EUR"
    with pytest.raises(InvalidAmount):
        check_currency("ABC")


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=50),
)
def test_shares_always_add_up_to_the_total_and_differ_by_at_most_a_cent_from_exact(
    total: int, weights: list[int]
) -> None:
    shares = Money(total, "EUR").split(weights)
    assert sum(share.minor for share in shares) == total
    weight_sum = sum(weights) or len(weights)
    effective = weights if sum(weights) else [1] * len(weights)
    for share, weight in zip(shares, effective, strict=True):
        exact = Decimal(total) * weight / weight_sum
        assert abs(Decimal(share.minor) - exact) < 1
