"""Every notice renders in each language as valid Telegram HTML, within 4096 characters, with
no placeholder left unfilled — also for a rush of members and a hostile title."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain import ledger
from domain.adjustments import Cause
from domain.billing import amounts_due
from domain.events import AmountsChanged, MemberAmounts
from domain.geo import GeoPoint, PickupPoint
from domain.ledger import Account
from domain.money import Money
from domain.permissions import Actor
from domain.purchase import (
    Moq,
    PaymentMode,
    PickupSlot,
    Purchase,
    PurchaseStatus,
    SupplyConfirmation,
)
from domain.routes import Stop, Unload
from domain.views import member_order
from runtime.event_notices import digest_text
from sandbox.formatting import parse_html, utf16_length
from storage.event_log import LoggedEvent
from tests.support.builders import NOW, item, purchase
from texts import notices
from texts.i18n import Translator
from texts.logistics_view import unload_text
from texts.order_view import editor_text

LANGUAGES = ["en", "ru", "zh_Hans"]
LEFTOVER = re.compile(r"\{\w*\}")


def arrived(members: int = 60) -> object:
    p = purchase(
        [item(1, pack_size=2, name="<b>Honey</b> & wax"), item(2)],
        moq=Moq(units=10),
        delivery_cost=Money(2000, "EUR"),
        pickup_slots=[PickupSlot("Hall <1>", NOW + timedelta(days=5), NOW + timedelta(days=6))],
    )
    for member in range(1, members + 1):
        p.set_quantity(member, f"Neighbour <{member}>", 1, 1 + member % 3, NOW)
    p = replace(p, status=PurchaseStatus.ARRIVED, title='Tea <script> & "co"')
    p.pickup_codes = {member: f"C{member:03d}" for member in p.final_lines()}
    return p


def check(text: str) -> None:
    assert not LEFTOVER.search(text), text
    assert utf16_length(parse_html(text)) <= 4096
    assert "<script>" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_notice_renders(language: str) -> None:
    t = Translator(language, "Europe/Berlin")
    p = arrived()
    member = next(iter(p.pickup_codes))  # type: ignore[attr-defined]
    slot = p.pickup_slots[0]  # type: ignore[attr-defined]
    rendered = [
        notices.stopped_in_chat(t, p, "bot"),  # type: ignore[arg-type]
        notices.stopped_to_member(t, p, member, amounts_due(p)),  # type: ignore[arg-type]
        notices.stopped_to_member(t, p, 3, amounts_due(p)),  # type: ignore[arg-type]
        notices.supplier_summary(t, p, [f"Name {n}" for n in range(100)]),  # type: ignore[arg-type]
        notices.failed_text(t, p),  # type: ignore[arg-type]
        notices.cancelled_text(t, p, "supplier <closed>"),  # type: ignore[arg-type]
        notices.extended_text(t, p),  # type: ignore[arg-type]
        notices.decision_needed(t, p)["text"],  # type: ignore[arg-type]
        notices.arrived_in_chat(t, p, "bot"),  # type: ignore[arg-type]
        notices.pickup_open_in_chat(t, p, slot),  # type: ignore[arg-type]
        notices.pickup_reminder(t, p, member, slot, slot.starts_at - timedelta(hours=1)),  # type: ignore[arg-type]
        notices.pickup_reminder(t, p, member, slot, slot.starts_at - timedelta(minutes=3)),  # type: ignore[arg-type]
        notices.pickup_reminder(t, p, member, slot, slot.starts_at),  # type: ignore[arg-type]
        notices.pickup_qr_caption(t, p, member),  # type: ignore[arg-type]
        notices.handover_undone_text(t, p, member),  # type: ignore[arg-type]
        notices.pickup_over_to_head(t, p, list(p.pickup_codes)),  # type: ignore[arg-type, attr-defined]
        notices.pickup_over_to_head(t, p, [member]),  # type: ignore[arg-type]
        notices.pickup_over_to_member(t, p, member),  # type: ignore[arg-type]
        notices.completed_to_head(t, p, list(p.pickup_codes)),  # type: ignore[arg-type, attr-defined]
        notices.completed_to_head(t, p, []),  # type: ignore[arg-type]
        notices.completed_to_member(t, p, member),  # type: ignore[arg-type]
        notices.handed_over_text(t, p, member),  # type: ignore[arg-type]
        notices.member_reminder(t, p, 1, 24),  # type: ignore[arg-type]
        notices.member_reminder(t, p, 1, 1),  # type: ignore[arg-type]
        notices.hour_left_in_chat(t, p),  # type: ignore[arg-type]
        notices.head_hour_left_short(t, p),  # type: ignore[arg-type]
        notices.moq_reached(t, p),  # type: ignore[arg-type]
        notices.moq_lost(t, p),  # type: ignore[arg-type]
        notices.sold_out(t, p, 1),  # type: ignore[arg-type]
        notices.ordered_text(t, p),  # type: ignore[arg-type]
    ]
    # Money: a member who paid more than they now owe (1), one who paid less (2), one who
    # paid nothing (3), in a prepaid and a postpaid purchase with payment details.
    typed: Purchase = p  # type: ignore[assignment]
    typed.pay_to = "IBAN <DE12> & co"
    typed.helpers = {77: "Carol <helper>"}
    typed.pay_by = NOW + timedelta(days=4)
    dues = amounts_due(typed)
    head = Actor(typed.head_id)
    ledger.record_payment(typed, head, 2, Money(100, "EUR"), NOW)
    ledger.record_payment(typed, head, 1, dues[1].total, NOW)
    ledger.record_refund(typed, head, 1, Money(50, "EUR"), NOW)
    claim = ledger.claim_payment(typed, 3, NOW)
    zero = Money.zero("EUR")
    names = {m: f"<N{m}>" for m in typed.members}
    for mode in (PaymentMode.PREPAY, PaymentMode.POSTPAY):
        typed.payment_mode = mode
        every = ledger.accounts(typed)
        for member in (1, 2, 3):
            account = every[member]
            rendered += [
                notices.stopped_to_member(t, typed, member, dues),
                notices.pickup_notice(t, typed, member, account),
                notices.payment_claimed(t, typed, member, "<Ann>", dues[member].total, 7)["text"],
                notices.payment_confirmed(t, typed, Money(100, "EUR"), account),
                notices.payment_confirmed(t, typed, Money(100, "EUR"), account, 77),
                notices.payment_rejected(t, typed, claim.amount),
                notices.refund_recorded(t, typed, Money(50, "EUR"), account),
                notices.refund_recorded(t, typed, Money(50, "EUR"), account, 77),
                notices.unpaid_reminder(t, typed, account),
                notices.pay_by_reminder(t, typed, account),
                notices.cancelled_to_member(t, typed, "supplier <closed>", account),
            ]
        owed_back = Account(1, zero, Money(300, "EUR"), zero)
        rendered.append(notices.pickup_notice(t, typed, 1, owed_back))
        owing = {m: every[m] for m in (2, 3, 4)}
        rendered.append(notices.pay_by_passed(t, typed, names, [3, 4], owing)["text"])
        # A change after the stop that moves a price, units and a share, for many members.
        changes = tuple(
            MemberAmounts(m, ((1, 2), (2, 1)), ((1, 1),) if m % 2 else (), 2500, 125, 300,
                          1250, 60, 400, 2000 if m < 10 else 0, 100 if m == 1 else 0)
            for m in range(1, 61)
        )  # fmt: skip
        tier_price = typed.items[0].unit_price.minor
        for cause in Cause:
            impact = AmountsChanged(
                typed.id, cause.value, (2, 4), changes, ((1, tier_price - 50, tier_price),),
                ((1, 3, 2),),
            )  # fmt: skip
            rendered += [
                notices.amounts_changed_to_member(t, typed, impact, change)
                for change in changes[:5]
            ]
            rendered.append(notices.amounts_changed_to_head(t, typed, impact, names))
            rendered.append(
                notices.change_preview(t, typed, impact, names, "<b>Heading</b>", {2: 500})
            )
    rendered += [
        notices.supplier_summary(t, typed, [], updated=True),
        notices.transfer_offer(t, typed, 3)["text"],
        notices.new_head_to_member(t, typed, "<Ann>", NOW),
        notices.new_head_in_chat(t, typed, "<Ann>"),
        notices.terms_changed(t, typed, ["deadline", "pickup", "pay_to", "pay_by"], 2),
    ]
    for text in rendered:
        check(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_digest_of_a_rush_stays_one_message(language: str) -> None:
    p = arrived(300)
    events = [
        LoggedEvent(n, 7, "MemberJoined", {"purchase_id": 7, "member_id": n}, NOW)
        for n in range(1, 301)
    ]
    text = digest_text(Translator(language), p, events)  # type: ignore[arg-type]
    check(text)
    assert "300" in text


@pytest.mark.parametrize(
    ("language", "one_day", "two_days"),
    [
        ("en", "Dec 7, 2026 10:00 AM – 12:00 PM", "Dec 7, 2026 10:00 AM – Dec 8, 2026 12:00 PM"),
        ("ru", "7 дек. 2026 г. 10:00–12:00", "7 дек. 2026 г. 10:00 – 8 дек. 2026 г. 12:00"),
        ("zh_Hans", "2026年12月7日 10:00–12:00", "2026年12月7日 10:00 – 2026年12月8日 12:00"),
    ],
)
def test_a_window_says_its_date_once_when_it_is_one_day(
    language: str, one_day: str, two_days: str
) -> None:
    t = Translator(language, "Europe/Berlin")
    starts = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    plain = re.compile(r"[\u2009\u202f]")  # Babel's thin and narrow spaces, as plain ones
    assert plain.sub(" ", t.window(starts, starts + timedelta(hours=2))) == one_day
    assert plain.sub(" ", t.window(starts, starts + timedelta(days=1, hours=2))) == two_days


def test_after_a_change_of_head_only_those_who_still_can_are_told_they_may_withdraw() -> None:
    t = Translator("en", "Europe/Berlin")
    until = NOW + timedelta(hours=24)
    running = purchase(status=PurchaseStatus.ORDERED)
    assert "you may withdraw" in notices.new_head_to_member(t, running, "Ann", until)
    collected = notices.new_head_to_member(t, running, "Ann", until, collected=True)
    arrived = purchase(status=PurchaseStatus.ARRIVED)
    for text in (collected, notices.new_head_to_member(t, arrived, "Ann", until)):
        assert text == "🤝 Ann now leads <b>Wildflower honey</b>."


def test_a_number_next_to_a_word_agrees_with_it() -> None:
    t = Translator("en", "Europe/Berlin")
    p = purchase([item(1, "6.00", name="Butter", pack_size=6)], moq=Moq(units=1))
    p.set_quantity(1, "A", 1, 7, NOW)
    assert "1 waits for the next pack: 5 more units fill it" in editor_text(
        t, p, member_order(p, 1), NOW
    )
    p.set_quantity(1, "A", 1, 11, NOW)
    assert "5 wait for the next pack: 1 more unit fills it" in editor_text(
        t, p, member_order(p, 1), NOW
    )
    # Chinese joins the two with its own colon, not the ASCII one.
    zh = Translator("zh_Hans", "Europe/Berlin")
    assert "5 件在等下一箱：再有 1 件就能凑满" in editor_text(zh, p, member_order(p, 1), NOW)
    assert notices.progress(t, p) == "11/1 unit"
    p.stop_now(Actor(p.head_id))
    assert "Butter: 6 (1 pack of 6)" in notices.supplier_summary(t, p, [])


def test_a_member_dropped_by_an_items_minimum_is_told_why() -> None:
    t = Translator("en", "Europe/Berlin")
    p = purchase(
        [item(1, "3.10", name="Butter", moq_units=10), item(2, "6.00", name="Cheese", pack_size=6)],
        moq=Moq(units=1),
    )
    p.set_quantity(1, "A", 1, 2, NOW)
    p.set_quantity(1, "A", 2, 1, NOW)
    p.stop_now(Actor(p.head_id))
    text = notices.stopped_to_member(t, p, 1, amounts_due(p))
    assert "You get nothing this time." in text
    assert "Butter did not reach its minimum of 10 in total, so it is not ordered." in text
    assert "Not filled: 1 × Cheese" in text and "did not fill a pack" not in text


@pytest.mark.parametrize(
    ("language", "units", "said"),
    [
        ("en", 1, "Now 1 member, 1 unit."),
        ("en", 5, "Now 1 member, 5 units."),
        ("ru", 1, "Сейчас 1 участник, 1 штука."),
        ("ru", 3, "Сейчас 1 участник, 3 штуки."),
        ("ru", 5, "Сейчас 1 участник, 5 штук."),
        ("ru", 21, "Сейчас 1 участник, 21 штука."),
    ],
)
def test_a_digest_counts_units_with_the_noun_agreeing(language: str, units: int, said: str) -> None:
    t = Translator(language, "Europe/Berlin")
    p = purchase([item(1, "1.00", member_max=30)])
    p.set_quantity(1, "A", 1, units, NOW)
    event = LoggedEvent(1, p.id, "MemberJoined", {"member_id": 1}, NOW)
    assert digest_text(t, p, [event]).endswith(said)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Gouda: 1 pack (1 unit); Brie: 2 packs (8 units)"),
        ("ru", "Gouda: 1 упаковка (1 штука); Brie: 2 упаковки (8 штук)"),
        ("zh_Hans", "Gouda：1 箱（1件）; Brie：2 箱（8件）"),
    ],
)
def test_a_drivers_unload_line_counts_packs_and_units_in_words_that_agree(
    language: str, said: str
) -> None:
    """Not "1 pack (1 units)": each count has its own noun, in the reader's language."""
    stop = Stop(
        1, "Block 5", 7, PickupPoint(GeoPoint(52.5, 13.4)), (1,),
        (Unload("Gouda", 1, 1), Unload("Brie", 8, 2)),
    )  # fmt: skip
    assert unload_text(Translator(language), stop) == said


def test_after_a_supplier_cut_the_editor_names_the_supplier_not_the_packs() -> None:
    t = Translator("en", "Europe/Berlin")
    p = purchase([item(1, "6.00", name="Butter", pack_size=2)], moq=Moq(units=1))
    p.set_quantity(1, "A", 1, 4, NOW)
    p.stop_now(Actor(p.head_id))
    p.supply[1] = SupplyConfirmation(2)
    text = editor_text(t, p, member_order(p, 1), NOW)
    assert "2 not sent: the supplier confirmed fewer" in text and "did not fit" not in text
