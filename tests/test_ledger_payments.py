"""Money per member and purchase: claims, payments, refunds and balances, who is reminded,
and completing while money is open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain import adjustments, events, ledger
from domain.errors import DomainError, IllegalTransition, InvalidPurchase, NotAllowed, NotFound
from domain.ledger import OpenBalances, PaymentStatus, account_of
from domain.money import Money
from domain.payments import ClaimState, EntryKind, PaymentClaim
from domain.permissions import Actor
from domain.purchase import PaymentMode, PurchaseStatus
from tests.support.aggregate import HEAD_ACTOR, SLOT, A, B, C, gouda, kinds
from tests.support.builders import HEAD, NOW, eur, purchase
from texts.i18n import Translator

LATER = NOW + timedelta(hours=1)


def refusal(error: type[DomainError], action: Callable[[], object]) -> str:
    """What the head reads when the rules refuse `action` (amounts formatted as shown)."""
    with pytest.raises(error) as raised:
        action()
    return Translator("en").reason(raised.value)


def test_a_claim_is_answered_once_and_records_what_the_member_said_they_sent() -> None:
    p = gouda()
    claim = ledger.claim_payment(p, A, NOW)
    assert ledger.claim_payment(p, A, LATER) == claim  # a second tap changes nothing
    assert (claim.number, claim.amount) == (1, eur("17.80"))
    assert account_of(p, A).status is PaymentStatus.CLAIMED
    ledger.reject_claim(p, HEAD_ACTOR, A, 1)
    assert account_of(p, A).status is PaymentStatus.NOT_FOUND
    with pytest.raises(IllegalTransition, match="marked as not received already"):
        ledger.confirm_claim(p, HEAD_ACTOR, A, 1, NOW)  # the old button under claim 1
    second = ledger.claim_payment(p, A, LATER)  # after a rejection the member may say so again
    entry = ledger.confirm_claim(p, HEAD_ACTOR, A, second.number, LATER)
    assert (entry.amount, entry.kind, entry.claim, entry.recorded_by) == (
        eur("17.80"), EntryKind.PAYMENT, 2, HEAD,
    )  # fmt: skip
    assert account_of(p, A).status is PaymentStatus.PAID
    with pytest.raises(IllegalTransition, match="recorded as received already"):
        ledger.reject_claim(p, HEAD_ACTOR, A, 2)  # never undoes the later decision
    with pytest.raises(IllegalTransition, match="you owe nothing"):
        ledger.claim_payment(p, A, LATER)
    assert account_of(p, A).paid == eur("17.80")
    assert kinds(p).count(events.PaymentClaimed) == 2
    assert kinds(p).count(events.PaymentConfirmed) == 1


def test_a_claim_keeps_its_amount_when_the_amount_due_moves_before_the_head_looks() -> None:
    p = gouda()
    ledger.claim_payment(p, A, NOW)  # she sent 17.80
    p.request_withdrawal(B, NOW)
    adjustments.accept_withdrawal(p, HEAD_ACTOR, B, 1, NOW)  # now she owes 20.80
    ledger.confirm_claim(p, HEAD_ACTOR, A, 1, LATER)
    account = account_of(p, A)
    assert (account.due, account.paid, account.balance) == (
        eur("20.80"), eur("17.80"), eur("3.00"),
    )  # fmt: skip
    assert account.status is PaymentStatus.PARTLY_PAID


def test_a_claim_kept_without_an_amount_records_what_is_owed_when_confirmed() -> None:
    p = gouda()
    p.claims.append(PaymentClaim(1, A, None, NOW))  # carried over from before the ledger
    entry = ledger.confirm_claim(p, HEAD_ACTOR, A, 1, NOW)
    assert entry.amount == eur("17.80")


def test_cash_settles_an_open_claim_and_stale_amounts_are_refused() -> None:
    p = gouda()
    ledger.claim_payment(p, A, NOW)
    assert "Alice now has €17.80" in refusal(
        IllegalTransition,
        lambda: ledger.record_payment(p, HEAD_ACTOR, A, eur("10.00"), NOW, eur("10.00")),
    )
    ledger.record_payment(p, HEAD_ACTOR, A, eur("17.80"), NOW, expected=eur("17.80"))
    assert p.claims[0].state is ClaimState.SETTLED
    with pytest.raises(IllegalTransition, match="settled this one already"):
        ledger.confirm_claim(p, HEAD_ACTOR, A, 1, NOW)
    assert account_of(p, A).paid == eur("17.80")  # not twice


@pytest.mark.parametrize(
    ("member", "amount", "error", "message"),
    [
        (A, "0.00", InvalidPurchase, "more than zero"),
        (A, "-5.00", InvalidPurchase, "more than zero"),
        (A, "99.00", InvalidPurchase, "Alice owes €17.80; €99.00 is more than that"),
        (C, "1.00", IllegalTransition, "3 owes nothing"),
    ],
)
def test_impossible_payments_are_refused_and_change_nothing(
    member: int, amount: str, error: type[DomainError], message: str
) -> None:
    p = gouda()
    amount_paid = Money.parse(amount, "EUR")
    reason = refusal(error, lambda: ledger.record_payment(p, HEAD_ACTOR, member, amount_paid, NOW))
    assert message in reason
    assert p.ledger == []


@pytest.mark.parametrize(
    ("member", "amount", "error", "message"),
    [
        (A, "-1.00", InvalidPurchase, "more than zero"),
        (A, "0", InvalidPurchase, "more than zero"),
        (A, "17.81", InvalidPurchase, "Alice paid €17.80 in all; a refund of €17.81"),
        (B, "1.00", IllegalTransition, "Bob has paid nothing, so there is nothing to give back"),
    ],
)
def test_impossible_refunds_are_refused_and_change_nothing(
    member: int, amount: str, error: type[DomainError], message: str
) -> None:
    p = gouda()
    ledger.record_payment(p, HEAD_ACTOR, A, eur("17.80"), NOW)
    back = Money.parse(amount, "EUR")
    assert message in refusal(error, lambda: ledger.record_refund(p, HEAD_ACTOR, member, back, NOW))
    assert [e.kind for e in p.ledger] == [EntryKind.PAYMENT]


def test_a_refund_follows_the_balance_and_a_stale_refund_button_is_refused() -> None:
    p = gouda()
    ledger.record_payment(p, HEAD_ACTOR, B, eur("65.20"), NOW)  # 8 × 7.90 + 2.00
    p.request_withdrawal(B, NOW)
    adjustments.accept_withdrawal(p, HEAD_ACTOR, B, 1, NOW)
    assert account_of(p, B).owed_back == eur("65.20")
    ledger.record_refund(p, HEAD_ACTOR, B, eur("20.00"), NOW, expected=eur("65.20"))
    assert "Bob now has €45.20" in refusal(
        IllegalTransition,
        lambda: ledger.record_refund(p, HEAD_ACTOR, B, eur("65.20"), NOW, eur("65.20")),
    )
    ledger.record_refund(p, HEAD_ACTOR, B, eur("45.20"), NOW)
    account = account_of(p, B)
    assert (account.due, account.paid, account.refunded, account.balance) == (
        eur("0.00"), eur("65.20"), eur("65.20"), eur("0.00"),
    )  # fmt: skip
    assert kinds(p).count(events.RefundRecorded) == 2


def test_only_the_head_records_money_and_only_while_it_is_collected() -> None:
    p = purchase(payment_mode=PaymentMode.POSTPAY)
    p.set_quantity(A, "Alice", 1, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    with pytest.raises(IllegalTransition, match="not collected while the purchase is stopped"):
        ledger.claim_payment(p, A, NOW)
    with pytest.raises(NotAllowed):
        ledger.record_payment(p, Actor(A), A, eur("12.50"), NOW)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], lambda: "ACDE")
    ledger.record_payment(p, HEAD_ACTOR, A, eur("12.50"), NOW)  # cash at pickup
    assert account_of(p, A).status is PaymentStatus.PAID


def test_reminders_go_to_whoever_still_owes_but_not_to_those_who_say_they_paid() -> None:
    p = gouda()
    ledger.record_payment(p, HEAD_ACTOR, A, eur("17.80"), NOW)
    assert ledger.remind_unpaid(p, HEAD_ACTOR) == [B]
    ledger.claim_payment(p, B, NOW)
    with pytest.raises(NotFound, match="everyone has paid or says so"):
        ledger.remind_unpaid(p, HEAD_ACTOR)
    assert ledger.unpaid(p) == [B]


def test_complete_is_refused_while_money_is_open_unless_the_head_says_so() -> None:
    p = gouda()
    ledger.record_payment(p, HEAD_ACTOR, A, eur("17.80"), NOW)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], iter(["ACDE", "FGHJ"]).__next__)
    assert refusal(OpenBalances, lambda: ledger.complete(p, HEAD_ACTOR)) == (
        "€65.20 is still to collect"
    )
    assert p.status is PurchaseStatus.ARRIVED
    ledger.complete(p, HEAD_ACTOR, with_open_balances=True)
    assert p.status is PurchaseStatus.COMPLETED
    assert account_of(p, B).balance == eur("65.20")  # still on record


def test_the_totals_count_everyone_who_paid_even_those_who_now_get_nothing() -> None:
    p = gouda()
    ledger.record_payment(p, HEAD_ACTOR, A, eur("17.80"), NOW)
    ledger.record_payment(p, HEAD_ACTOR, B, eur("65.20"), NOW)
    p.request_withdrawal(B, NOW)
    adjustments.accept_withdrawal(p, HEAD_ACTOR, B, 1, NOW)
    figures = ledger.totals(p, ledger.accounts(p))
    assert figures == ledger.Totals(
        due=eur("20.80"), collected=eur("83.00"), to_collect=eur("3.00"),
        to_give_back=eur("65.20"), paying=2, settled=0, paid_anything=2,
    )  # fmt: skip
