"""Paying in Telegram, as rules: the invoice asks for what is owed now, the checkout is allowed
only for that exact amount still due from the member it was made for, and a payment Telegram
reports is recorded once per charge, whatever changed since the checkout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import checkout, events, ledger
from domain.checkout import Checkout, check_checkout, invoice_for, parse_payload, record_charge
from domain.community import Community
from domain.errors import IllegalTransition, InvalidPurchase, NotAllowed
from domain.ledger import PaymentStatus, account_of
from domain.payments import ClaimState, Means
from domain.permissions import Actor
from domain.purchase import DeliverySplit, PaymentMode, PriceTier, Purchase, PurchaseStatus
from tests.support.builders import HEAD, NOW, eur, item, purchase
from tests.test_ledger_payments import refusal

A, B = 1, 2
LATER = NOW + timedelta(hours=1)


def gouda(mode: PaymentMode = PaymentMode.PREPAY) -> Purchase:
    """A owes 17.80 (2 × 7.90 and 2.00 of delivery), B 65.20, once stopped."""
    p = purchase(
        [item(1, "8.40", name="Gouda", tiers=(PriceTier(10, eur("7.90")),))],
        delivery_cost=eur("4.00"),
        delivery_split=DeliverySplit.PER_MEMBER,
        payment_mode=mode,
    )
    p.set_quantity(A, "Alice", 1, 2, NOW)
    p.set_quantity(B, "Bob", 1, 8, NOW)
    p.stop_now(Actor(HEAD))
    p.events.clear()
    return p


def paying(p: Purchase, member: int = A, **changed: object) -> Checkout:
    invoice = invoice_for(p, member)
    fields: dict[str, object] = {
        "payer_id": member, "payload": invoice.payload, "currency": "EUR",
        "total": invoice.amount.minor,
    } | changed  # fmt: skip
    return Checkout(**fields)  # type: ignore[arg-type]


def test_the_invoice_asks_for_what_is_owed_now_and_its_payload_names_it() -> None:
    p = gouda()
    invoice = invoice_for(p, A)
    assert (invoice.member_id, invoice.amount) == (A, eur("17.80"))
    assert invoice.payload == "gb1:7:1:1780"
    assert parse_payload(invoice.payload) == (7, A, 1780)
    for forged in ("", "gb1:7:1", "gb2:7:1:1780", "gb1:7:1:-5", "gb1:7:1:17.80", "x" * 200):
        assert parse_payload(forged) is None
    ledger.record_payment(p, Actor(HEAD), A, eur("5.00"), NOW)
    assert invoice_for(p, A).amount == eur("12.80")  # the rest, after a part paid in cash


def test_no_invoice_when_nothing_may_be_paid_in_telegram() -> None:
    assert refusal(IllegalTransition, lambda: invoice_for(gouda(PaymentMode.POSTPAY), A)) == (
        "this purchase is paid to the head at pickup"
    )
    open_one = purchase()
    open_one.set_quantity(A, "Alice", 1, 1, NOW)
    assert refusal(IllegalTransition, lambda: invoice_for(open_one, A)) == (
        "payments are not collected while the purchase is open"
    )
    p = gouda()
    assert refusal(IllegalTransition, lambda: invoice_for(p, 99)) == (
        "you owe nothing for this purchase now"
    )
    assert checkout.payable(p, account_of(p, A)) and not checkout.payable(p, account_of(p, 99))
    assert not checkout.payable(open_one, account_of(open_one, A))
    ledger.claim_payment(p, A, NOW)
    assert not checkout.payable(p, account_of(p, A))
    assert refusal(IllegalTransition, lambda: invoice_for(p, A)) == (
        "you said you paid €17.80 already; the head will confirm it"
    )


def test_a_checkout_passes_only_for_the_exact_amount_still_due() -> None:
    p = gouda()
    attempt = paying(p)
    check_checkout(p, attempt)  # as invoiced: allowed
    other = "this invoice is for another member: tap Pay in your own /orders"
    not_ours = "this invoice is not one of this purchase"
    not_invoiced = "the amount charged is not the amount of the invoice"
    cases: list[tuple[type[Exception], Checkout, str]] = [
        (NotAllowed, paying(p, payer_id=B), other),
        (InvalidPurchase, paying(p, currency="USD"), "this purchase is paid in EUR, not in USD"),
        (InvalidPurchase, paying(p, total=1779), not_invoiced),
        (NotAllowed, paying(p, payload="gb1:8:1:1780"), not_ours),
        (NotAllowed, paying(p, payload="nonsense"), not_ours),
        (InvalidPurchase, paying(p, payload="gb1:7:1:0", total=0), not_invoiced),
    ]
    for error, wrong, reason in cases:
        assert refusal(error, lambda wrong=wrong: check_checkout(p, wrong)) == reason  # type: ignore[misc]
    ledger.record_payment(p, Actor(HEAD), A, eur("5.00"), NOW)
    assert refusal(IllegalTransition, lambda: check_checkout(p, attempt)) == (
        "the amount due is now €12.80, not €17.80: tap Pay again for a new invoice"
    )
    ledger.record_payment(p, Actor(HEAD), A, eur("12.80"), NOW)
    assert refusal(IllegalTransition, lambda: check_checkout(p, attempt)) == (
        "you owe nothing for this purchase now"
    )
    p.cancel(Actor(HEAD), "gone")
    assert refusal(IllegalTransition, lambda: check_checkout(p, paying(gouda(), B))) == (
        "payments are not collected while the purchase is cancelled"
    )


def test_a_payment_is_recorded_once_per_charge_with_its_ids() -> None:
    p = gouda()
    attempt = paying(p)
    entry = record_charge(p, attempt, "tg-1", "ch-1", LATER)
    assert entry is not None
    assert (entry.member_id, entry.amount, entry.means, entry.recorded_by) == (
        A, eur("17.80"), Means.TELEGRAM, A,
    )  # fmt: skip
    assert (entry.charge, entry.provider_charge, entry.at) == ("tg-1", "ch-1", LATER)
    assert p.events == [events.PaidInTelegram(7, A, entry.number)]
    assert account_of(p, A).status is PaymentStatus.PAID
    assert record_charge(p, attempt, "tg-1", "ch-1", LATER) is None  # reported again
    assert len(p.ledger) == 1 and len(p.events) == 1
    assert checkout.charges_of(p, A) == [entry] and checkout.charges_of(p, B) == []
    assert refusal(InvalidPurchase, lambda: record_charge(p, attempt, "", "ch-2", LATER)) == (
        "a payment without its charge id cannot be recorded"
    )
    wrong = paying(p, member=B, currency="USD")
    assert refusal(InvalidPurchase, lambda: record_charge(p, wrong, "tg-2", "ch-2", LATER)) == (
        "this purchase is paid in EUR, not in USD"
    )
    assert len(p.ledger) == 1


def test_money_taken_is_recorded_even_when_the_purchase_moved_since_the_checkout() -> None:
    p = gouda()
    attempt = paying(p)
    ledger.record_payment(p, Actor(HEAD), A, eur("5.00"), NOW)  # cash, after the checkout
    record_charge(p, attempt, "tg-1", "", LATER)
    account = account_of(p, A)
    assert account.status is PaymentStatus.OWED_BACK and account.owed_back == eur("5.00")
    assert p.ledger[-1].provider_charge is None

    cancelled = gouda()
    late = paying(cancelled, B)
    cancelled.cancel(Actor(HEAD), "gone")
    assert cancelled.status is PurchaseStatus.CANCELLED
    record_charge(cancelled, late, "tg-9", "ch-9", LATER)
    assert account_of(cancelled, B).owed_back == eur("65.20")


def test_a_payment_settles_an_open_claim_only_when_it_covers_what_is_owed() -> None:
    p = gouda()
    attempt = paying(p)
    ledger.claim_payment(p, A, NOW)
    record_charge(p, attempt, "tg-1", "ch-1", LATER)
    assert [c.state for c in p.claims] == [ClaimState.SETTLED]

    part = gouda()
    smaller = paying(part, B)
    ledger.record_payment(part, Actor(HEAD), B, eur("60.00"), NOW)
    ledger.claim_payment(part, B, NOW)  # says they sent the remaining 5.20 meanwhile
    record_charge(part, smaller, "tg-2", "ch-2", LATER)  # 65.20 taken: more than the 5.20
    assert [c.state for c in part.claims] == [ClaimState.SETTLED]


@pytest.mark.parametrize("minor", [1, 1780, 10**18])
def test_every_invoice_payload_reads_back(minor: int) -> None:
    assert parse_payload(f"gb1:7:{A}:{minor}") == (7, A, minor)


def test_a_provider_token_has_the_shape_botfather_gives_and_the_community_s_comes_first() -> None:
    assert checkout.provider_token(" 284685063:TEST:NThlNjJhZDU4YjYx \n") == (
        "284685063:TEST:NThlNjJhZDU4YjYx"
    )
    assert checkout.provider_token("350862534:LIVE:ZTA0-x_y=") == "350862534:LIVE:ZTA0-x_y="
    for wrong in ("", "my password", "123:PROD:abc", "123:TEST:", "123:TEST:a b", "x:TEST:abc"):
        assert refusal(InvalidPurchase, lambda wrong=wrong: checkout.provider_token(wrong)) == (  # type: ignore[misc]
            "that is not a payment provider token: @BotFather gives one like 123456:TEST:abc"
        )
    own = Community(-100, "Block 5", "UTC", "EUR", "en", payment_token="1:TEST:own")
    plain = Community(-101, "Block 6", "UTC", "EUR", "en")
    assert checkout.token_for(own, "2:TEST:platform") == "1:TEST:own"
    assert checkout.token_for(plain, "2:TEST:platform") == "2:TEST:platform"
    assert checkout.token_for(None, None) is None and checkout.token_for(plain, None) is None
    assert "1:TEST:own" not in repr(own)
