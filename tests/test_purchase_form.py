"""The one parser behind the wizard and the template: every field, right and wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.form_fields import (
    FormError,
    parse_deadline,
    parse_delivery,
    parse_duration,
    parse_fee,
    parse_if_short,
    parse_moq,
    parse_payment,
    parse_pickup,
    parse_regions,
    parse_text,
)
from domain.item_line import parse_item
from domain.purchase import DeliverySplit, Moq, PaymentMode, PriceTier, ShortPolicy
from domain.purchase_form import (
    PurchaseEdit,
    PurchaseForm,
    TemplateContext,
    parse_edit,
    parse_template,
)
from domain.template_lines import item_template
from tests.support.builders import NOW, eur

TZ = "Europe/Berlin"
CONTEXT = TemplateContext("EUR", TZ, NOW)


def test_an_item_with_every_option_and_tiers() -> None:
    spec = parse_item("Honey 1 kg | 12.50; 11.90 from 60; 11.00 from 120 | pack 6 | min 2 | "
                      "max 10 | stock 100 | moq 12", "EUR")  # fmt: skip
    assert spec.name == "Honey 1 kg"
    assert spec.unit_price == eur("12.50")
    assert spec.tiers == (PriceTier(60, eur("11.90")), PriceTier(120, eur("11.00")))
    assert (spec.pack_size, spec.member_min, spec.member_max, spec.stock, spec.moq_units) == (
        6, 2, 10, 100, 12,
    )  # fmt: skip


def test_item_options_in_russian_and_chinese() -> None:
    assert parse_item("Мёд | 900 | упаковка 6 | макс 3", "RUB").pack_size == 6
    assert parse_item("蜂蜜 | 68 | 每箱 6 | 库存 50", "CNY").stock == 50


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Honey", "write an item as: name | price"),
        (" | 12.50", "write an item as"),
        ("Honey | ", "give the item a price"),
        ("Honey | 12.50; 11.90 at 60", "write a price tier as: 11.90 from 60"),
        ("Honey | 12.50; 13.00 from 60", "cheaper than the one before"),
        ("Honey | 12.50 | pack six", "pack must be a whole number"),
        ("Honey | 12.50 | pack 0", "pack must be at least 1"),
        ("Honey | 12.50 | min 5 | max 2", "minimum is above the maximum"),
        ("Honey | 12.50 | colour red", "unknown item option"),
        ("Honey | 12.50 | pack", "unknown item option"),
    ],
)
def test_item_errors(text: str, problem: str) -> None:
    with pytest.raises(FormError, match=problem):
        parse_item(text, "EUR")


def test_moq_in_units_or_money() -> None:
    assert parse_moq("30", "EUR") == Moq(units=30)
    assert parse_moq("30 шт", "RUB") == Moq(units=30)
    assert parse_moq("500 eur", "EUR") == Moq(money=eur("500"))
    for bad in ("lots", "500 USD", "0 units"):
        with pytest.raises(FormError):
            parse_moq(bad, "EUR")


def test_deadline_is_local_time_in_the_future_within_a_year() -> None:
    assert parse_deadline("2026-11-25 18:00", TZ, NOW) == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert parse_deadline("25.11.2026 18:00", "Europe/Moscow", NOW) == datetime(
        2026, 11, 25, 15, 0, tzinfo=UTC
    )
    with pytest.raises(FormError, match="more than a year away"):
        parse_deadline("2028-01-01 10:00", TZ, NOW)


def test_pickup_window_and_place() -> None:
    slot = parse_pickup("2026-11-27 10:00-12:00 | Community hall", TZ, NOW)
    assert (slot.place, slot.starts_at.hour, slot.ends_at.hour) == ("Community hall", 9, 11)
    with pytest.raises(FormError, match="write the pickup as"):
        parse_pickup("2026-11-27 10:00 | Hall", TZ, NOW)
    with pytest.raises(FormError, match="end after it starts"):
        parse_pickup("2026-11-27 12:00-10:00 | Hall", TZ, NOW)


def test_fee() -> None:
    assert parse_fee("5%") == Decimal(5)
    assert parse_fee("2,5 %") == Decimal("2.5")
    for bad in ("five", "-1%", "1.234%", "NaN"):
        with pytest.raises(FormError):
            parse_fee(bad)


def test_delivery() -> None:
    assert parse_delivery("20.00 split per member", "EUR") == (eur("20"), DeliverySplit.PER_MEMBER)
    assert parse_delivery("20", "EUR") == (eur("20"), DeliverySplit.BY_AMOUNT)
    assert parse_delivery("2000 по штукам", "RUB")[1] is DeliverySplit.PER_UNIT
    assert parse_delivery("none", "EUR") == (None, DeliverySplit.BY_AMOUNT)
    with pytest.raises(FormError, match="write delivery as"):
        parse_delivery("free shipping", "EUR")


def test_regions_text_and_payment() -> None:
    assert parse_regions("EU, CH; UK") == ("EU", "CH", "UK")
    with pytest.raises(FormError):
        parse_regions(" , ")
    assert parse_text("  Wildflower   honey ", "title") == "Wildflower honey"
    with pytest.raises(FormError, match="longer than 120"):
        parse_text("x" * 121, "title")
    assert parse_payment("postpay") is PaymentMode.POSTPAY
    assert parse_payment("Предоплата") is PaymentMode.PREPAY
    with pytest.raises(FormError):
        parse_payment("later")


def test_short_policy_and_durations() -> None:
    assert parse_if_short("extend 1d12h") == (ShortPolicy.EXTEND, timedelta(days=1, hours=12))
    assert parse_if_short("продлить 24ч") == (ShortPolicy.EXTEND, timedelta(hours=24))
    assert parse_if_short("ask") == (ShortPolicy.ASK, None)
    assert parse_if_short("fail") == (ShortPolicy.FAIL, None)
    assert parse_duration("90m") == timedelta(minutes=90)
    for bad in ("soon", "0h", "40d"):
        with pytest.raises(FormError):
            parse_duration(bad)


def test_a_full_template_and_its_purchase() -> None:
    text = "\n".join([
        "title: Tea", "Item: Green tea | 4.00", "Deadline: 2026-11-25 18:00",
        "Payment: postpay", "Supplier: Tea House", "Description: Spring harvest",
        "Fee: 3%", "Regions: EU", "If short: ask", "Min order: 10",
        "Delivery: 5.00 split per unit", "Pickup: 2026-11-27 10:00-12:00 | Hall",
    ])  # fmt: skip
    form = parse_template(text, CONTEXT)
    purchase = form.to_purchase(-1, 1000, "EUR", NOW, Decimal(10))
    assert purchase.title == "Tea"
    assert purchase.payment_mode is PaymentMode.POSTPAY
    assert purchase.items[0].item_id == 1
    assert purchase.pickup_slots[0].place == "Hall"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * 8001, "longer than 8000 characters"),
        ("Title: A\nTitle: B", "line 2: Title is given twice"),
        ("Just text", 'line 1: "Just text" is not a known key'),
        ("Title: Tea\nItem: Tea | 1", "the Deadline: line is missing"),
        ("Title: Tea\nDeadline: 2026-11-25 18:00", "the Item: line is missing"),
    ],
)
def test_template_errors(text: str, problem: str) -> None:
    with pytest.raises(FormError, match=problem):
        parse_template(text, CONTEXT)


def test_an_incomplete_form_says_what_is_missing() -> None:
    with pytest.raises(FormError, match="needs a title"):
        PurchaseForm().to_purchase(-1, 1, "EUR", NOW, Decimal(10))
    with pytest.raises(FormError, match="at least one item"):
        PurchaseForm(title="Tea").to_purchase(-1, 1, "EUR", NOW, Decimal(10))
    form = parse_template("Title: Tea\nItem: Tea | 1\nDeadline: 2026-11-25 18:00", CONTEXT)
    form.deadline = None
    with pytest.raises(FormError, match="needs a deadline"):
        form.to_purchase(-1, 1, "EUR", NOW, Decimal(10))


def test_an_edit_takes_only_what_may_change_once_open() -> None:
    edit = parse_edit(
        "Title: Walnuts\nВыдача: 2026-11-30 10:00-12:00 | Hall\nItem: Wax | 6.50 | pack 2",
        CONTEXT,
    )
    assert edit.title == "Walnuts" and edit.deadline is None
    assert edit.pickups is not None and [s.place for s in edit.pickups] == ["Hall"]
    assert [(i.name, i.unit_price, i.pack_size) for i in edit.items] == [("Wax", eur("6.50"), 2)]
    with pytest.raises(FormError, match="line 2: Fee cannot change once the purchase is open"):
        parse_edit("Title: Walnuts\nFee: 3%", CONTEXT)
    with pytest.raises(FormError, match=r"line 1 \(Deadline\): the deadline is in the past"):
        parse_edit("Deadline: 2020-01-01 10:00", CONTEXT)
    with pytest.raises(FormError, match="at least one line"):
        parse_edit("\n ", CONTEXT)
    assert parse_edit("Description: Raw", CONTEXT) == PurchaseEdit(description="Raw")


def test_an_item_written_back_as_a_template_reads_the_same() -> None:
    item = parse_item("Honey 1 kg | 12.50; 11.90 from 60 | pack 6 | min 2 | max 10 | stock 90 "
                      "| moq 12", "EUR")  # fmt: skip
    assert item_template(item) == (
        "Honey 1 kg | 12.50; 11.90 from 60 | pack 6 | min 2 | max 10 | stock 90 | moq 12"
    )
    assert parse_item(item_template(item), "EUR") == item


@pytest.mark.parametrize(
    ("text", "pack", "most"),
    [
        ("Gouda | 8.40 | 箱 4", 4, None),
        ("奶酪 | 8.40 | 每箱6个 | 限购 3", 6, 3),
        ("Сыр | 8.40 | ящик 6 | максимум 10", 6, 10),
        ("Gouda | 8.40 | box 6 | max 10 pcs", 6, 10),
    ],
)
def test_item_options_in_each_languages_own_words(text: str, pack: int, most: int | None) -> None:
    item = parse_item(text, "EUR")
    assert (item.pack_size, item.member_max) == (pack, most)


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("20.00 按件分摊", DeliverySplit.PER_UNIT),
        ("20 平摊", DeliverySplit.PER_MEMBER),
        ("20,00 разделить по сумме", DeliverySplit.BY_AMOUNT),
        ("20 на человека", DeliverySplit.PER_MEMBER),
        ("20.00 split per unit", DeliverySplit.PER_UNIT),
    ],
)
def test_delivery_splits_in_each_languages_own_words(text: str, split: DeliverySplit) -> None:
    assert parse_delivery(text, "EUR") == (eur("20.00"), split)


def test_a_title_needs_a_letter_or_digit() -> None:
    for title in (".", "!!!", "— —"):
        with pytest.raises(FormError, match="at least one letter or digit"):
            parse_text(title, "title")
    assert parse_text("蜂蜜", "title") == "蜂蜜"


def test_the_if_short_words() -> None:
    assert parse_if_short("спросить меня")[0] is ShortPolicy.ASK
    assert parse_if_short("失败")[0] is ShortPolicy.FAIL
