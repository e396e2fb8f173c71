"""The one rule of when two item lines are one item (`domain.item_identity`)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.item_identity import DuplicateItem, already_listed, ensure_new, identity
from domain.item_line import parse_item_line
from domain.money import Money
from domain.permissions import Actor
from domain.purchase import Item
from tests.support.builders import HEAD, NOW, purchase


def items(line: str) -> list[Item]:
    return parse_item_line(line, "EUR")


def test_case_spaces_and_unicode_forms_make_no_new_item() -> None:
    (plain,) = items("Honey 1 kg | 12.50")
    for twin in ("honey   1 KG | 12.50", "Ｈｏｎｅｙ 1 kg | 12.50", "Honey 1kg | 13.00"):
        assert identity(items(twin)[0]) == identity(plain)
    (half,) = items("Milk 0,5 l | 1.20")
    assert identity(items("milk 0.5l | 1.20")[0]) == identity(half)
    # Numbers that differ, or a number that is part of a name, still make other items.
    for other in ("Honey 1.5 kg | 12.50", "Honey 11 kg | 12.50", "Honey kg 1 | 12.50"):
        assert identity(items(other)[0]) != identity(plain)
    assert identity(items("Tea 2, green | 3.00")[0]) != identity(items("Tea 2 green | 3.00")[0])


def test_a_variant_is_its_own_item_and_a_size_twice_is_caught() -> None:
    shirts = items("T-shirt | 10 | variants S, M")
    ensure_new(shirts, items("T-shirt | 10 | variants L, XL"))
    with pytest.raises(DuplicateItem) as caught:
        ensure_new(shirts, items("t-shirt | 10 | variants m, L"))
    assert caught.value.values["item"] == "T-shirt, M"


def test_two_prices_are_both_named() -> None:
    with pytest.raises(DuplicateItem) as caught:
        ensure_new(items("Honey | 12.50"), items("HONEY | 13"))
    values = caught.value.values
    assert (values["first"], values["second"]) == (Money.parse("12.50", "EUR"),
                                                   Money.parse("13.00", "EUR"))  # fmt: skip


def test_a_saved_line_met_again_is_left_out_unless_its_price_differs() -> None:
    listed = items("Honey | 12.50") + items("Wax | 3")
    assert already_listed(listed, items("honey | 12.50"))
    assert not already_listed(listed, items("Jam | 4"))
    with pytest.raises(DuplicateItem):
        already_listed(listed, items("Honey | 12"))


def test_a_line_naming_a_variant_is_that_variant() -> None:
    """ "T-shirt, M" written as a line is the M of "T-shirt | variants S, M": listed twice in a
    form, and the one line an edit changes."""
    shirts = items("T-shirt | 10 | variants S, M")
    with pytest.raises(DuplicateItem) as caught:
        ensure_new(shirts, items("t-shirt, m | 10"))
    assert caught.value.values["item"] == "T-shirt, M"

    p = purchase([replace(item, item_id=n, group=1) for n, item in enumerate(shirts, 1)])
    assert p.edit(Actor(HEAD), NOW, items=items("t-shirt, M | 11")) == ("items",)
    assert [(i.label, i.unit_price) for i in p.items] == [
        ("T-shirt, S", Money.parse("10", "EUR")), ("T-shirt, M", Money.parse("11", "EUR")),
    ]  # fmt: skip
