"""The card's text for 0, 1 and many members, in each language, as valid Telegram HTML."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.purchase import Moq, PickupSlot, PriceTier, PurchaseStatus
from domain.views import card_summary
from sandbox.formatting import parse_html
from tests.support.builders import NOW, eur, item, purchase
from texts.callback_data import decode
from texts.card_view import card_keyboard, card_text, progress_bar, time_left
from texts.i18n import Translator

EN = Translator("en", "Europe/Berlin")


def honey(members: int) -> object:
    p = purchase(
        [item(1, "12.50", name="Honey 1 kg", pack_size=6, tiers=(PriceTier(60, eur("11.90")),)),
         item(2, "7.00", name="Honey <0.5 kg> & wax", stock=40)],
        moq=Moq(units=30),
        description="Raw honey",
        pickup_slots=[PickupSlot("Hall", NOW + timedelta(days=5), NOW + timedelta(days=6))],
    )  # fmt: skip
    for member in range(members):
        p.set_quantity(member + 1, f"Member {member}", 1, 2, NOW)
    return p


@pytest.mark.parametrize(
    ("members", "count_line", "progress"),
    [(0, "0 members", "0/30 units (0%)"), (1, "1 member", "2/30 units (6%)"),
     (20, "20 members", "40/30 units (100%)")],
)  # fmt: skip
def test_card_for_zero_one_and_many_members(members: int, count_line: str, progress: str) -> None:
    p = honey(members)
    text = card_text(EN, p, card_summary(p), NOW)  # type: ignore[arg-type]
    plain = parse_html(text)  # Telegram would accept it
    assert count_line in plain
    assert progress in plain
    assert "€12.50 (pack of 6) · €11.90 from 60 units" in plain
    assert "Honey <0.5 kg> & wax — €7.00 · 40 left" in plain
    assert "stops in 3 d 0 h" in plain
    assert "Member" not in plain


def test_without_a_minimum_the_card_counts_units_without_a_bar() -> None:
    p = replace(honey(3), moq=None)  # type: ignore[type-var]
    plain = parse_html(card_text(EN, p, card_summary(p), NOW))
    assert "📦 6 units\n👥 3 members" in plain
    assert "░" not in plain and "▓" not in plain and "units (" not in plain


def test_text_a_head_typed_is_escaped() -> None:
    p = replace(honey(0), title="<script>Tea & Co</script>")  # type: ignore[type-var]
    text = card_text(EN, p, card_summary(p), NOW)
    assert "&lt;script&gt;Tea &amp; Co&lt;/script&gt;" in text
    parse_html(text)


def test_russian_card_uses_three_plural_forms_and_local_time() -> None:
    ru = Translator("ru", "Europe/Moscow")
    for members, expected in ((1, "1 участник"), (3, "3 участника"), (5, "5 участников")):
        p = honey(members)
        assert expected in card_text(ru, p, card_summary(p), NOW)  # type: ignore[arg-type]
    p = honey(0)
    # Babel puts a narrow no-break space before "г." as CLDR says
    assert "25 нояб. 2026\u202fг. 15:00" in card_text(ru, p, card_summary(p), NOW)  # type: ignore[arg-type]


def test_keyboard_has_plus_one_for_four_items_and_links() -> None:
    p = purchase([item(n, name=f"Item {n}") for n in range(1, 7)])
    keyboard = card_keyboard(EN, p, "groupbuy_bot")
    assert keyboard is not None
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["+1 Item 1", "+1 Item 2", "+1 Item 3", "+1 Item 4",
                                         "My order", "Details"]  # fmt: skip
    assert decode(buttons[0].callback_data) is not None  # type: ignore[arg-type]
    assert buttons[4].url == "https://t.me/groupbuy_bot?start=o7"
    assert card_keyboard(EN, replace(p, status=PurchaseStatus.STOPPED), "groupbuy_bot") is None


@pytest.mark.parametrize(
    ("status", "shown"),
    [(PurchaseStatus.STOPPED, "Stopped"), (PurchaseStatus.FAILED, "Failed"),
     (PurchaseStatus.CANCELLED, "Cancelled"), (PurchaseStatus.ARRIVED, "Arrived")],
)  # fmt: skip
def test_status_lines(status: PurchaseStatus, shown: str) -> None:
    p = replace(honey(1), status=status)  # type: ignore[type-var]
    assert shown in card_text(EN, p, card_summary(p), NOW)


def test_time_left_and_progress_bar() -> None:
    # Rounded down to the countdown's step: ten minutes in the last day, a minute in the last
    # hour (the card is edited at each step, so it is never behind by more).
    assert time_left(EN, NOW + timedelta(hours=5, minutes=17), NOW) == "stops in 5 h 10 min"
    assert time_left(EN, NOW + timedelta(hours=5, minutes=7), NOW) == "stops in 5 h"
    assert time_left(EN, NOW + timedelta(minutes=59, seconds=59), NOW) == "stops in 59 min"
    assert time_left(EN, NOW + timedelta(days=2, hours=3, minutes=59), NOW) == "stops in 2 d 3 h"
    assert time_left(EN, NOW + timedelta(seconds=20), NOW) == "stops in 1 min"
    assert time_left(EN, NOW, NOW) == "the deadline has passed"
    assert progress_bar(0) == "░" * 10
    assert progress_bar(55) == "▓" * 5 + "░" * 5
    assert progress_bar(250) == "▓" * 10


def test_the_card_shows_the_rules_members_need() -> None:
    p = purchase(
        [item(1, "8.40", name="Gouda", pack_size=4, member_max=8,
              tiers=(PriceTier(20, eur("7.90")),)),
         item(2, "3.10", name="Butter", member_min=2, moq_units=10)],
        moq=Moq(units=30),
    )  # fmt: skip
    before = parse_html(card_text(EN, p, card_summary(p), NOW))
    assert "at most 8 each" in before and "at least 2 each · needs 10 in total" in before
    assert "more fill" not in before  # nothing ordered yet: no pack to fill
    assert "Prepay" in before and "If short at the deadline: the purchase is cancelled" in before
    p.set_quantity(1, "A", 1, 3, NOW)
    after = parse_html(card_text(EN, p, card_summary(p), NOW))
    assert "at most 8 each · 1 more fills the next pack · 17 more for €7.90" in after
    p.set_quantity(2, "B", 1, 2, NOW)
    full = parse_html(card_text(EN, p, card_summary(p), NOW))
    assert "3 more fill the next pack" in full and "15 more for €7.90" in full


def test_a_card_waiting_for_the_heads_decision_has_no_plus_one() -> None:
    p = replace(honey(1), awaiting_head_decision=True)  # type: ignore[type-var]
    markup = card_keyboard(EN, p, "bot")
    assert markup is not None
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == ["My order", "Details"]
    assert "the head decides what happens next" in card_text(EN, p, card_summary(p), NOW)
