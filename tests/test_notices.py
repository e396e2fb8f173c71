"""Every notice renders in each language as valid Telegram HTML, within 4096 characters, with
no placeholder left unfilled — also for a rush of members and a hostile title."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from bot import notices
from bot.i18n import Translator
from bot.notifier import digest_text
from domain.billing import amounts_due
from domain.money import Money
from domain.purchase import Moq, PickupSlot, Purchase, PurchaseStatus
from sandbox.formatting import parse_html, utf16_length
from storage.event_log import LoggedEvent
from tests.support.builders import NOW, item, purchase

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
        notices.pickup_notice(t, p, member),  # type: ignore[arg-type]
        notices.arrived_in_chat(t, p, "bot"),  # type: ignore[arg-type]
        notices.pickup_open_in_chat(t, p, slot),  # type: ignore[arg-type]
        notices.pickup_reminder(t, p, member, slot),  # type: ignore[arg-type]
        notices.handed_over_text(t, p, member),  # type: ignore[arg-type]
        notices.member_reminder(t, p, 1, 24),  # type: ignore[arg-type]
        notices.member_reminder(t, p, 1, 1),  # type: ignore[arg-type]
        notices.hour_left_in_chat(t, p),  # type: ignore[arg-type]
        notices.head_hour_left_short(t, p),  # type: ignore[arg-type]
        notices.moq_reached(t, p),  # type: ignore[arg-type]
        notices.sold_out(t, p, 1),  # type: ignore[arg-type]
        notices.ordered_text(t, p),  # type: ignore[arg-type]
    ]
    # Payments, the supplier's change, transfer and edits: a member who paid more than they
    # now owe (1), one who paid less (2), one who paid nothing (3).
    typed: Purchase = p  # type: ignore[assignment]
    dues = amounts_due(typed)
    typed.paid = {1: dues[1].total + Money(500, "EUR"), 2: Money(100, "EUR")}
    for member in (1, 2, 3):
        rendered += [
            notices.payment_claimed(t, typed, member, "<Ann>", dues)["text"],
            notices.payment_confirmed(t, typed, member, dues),
            notices.payment_rejected(t, typed, member, dues),
            notices.unpaid_reminder(t, typed, member, dues),
            notices.supply_changed(t, typed, member, dues),
            notices.cancelled_to_member(t, typed, "supplier <closed>", member),
        ]
    rendered += [
        notices.supply_changed(t, typed, 999, dues),  # nothing supplied, nothing paid
        notices.transfer_offer(t, typed)["text"],
        notices.new_head_to_member(t, typed, "<Ann>", NOW),
        notices.new_head_in_chat(t, typed, "<Ann>"),
        notices.terms_changed(t, typed, ["deadline", "pickup"]),
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
