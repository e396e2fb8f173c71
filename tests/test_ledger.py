"""Money per member and purchase: claims, payments, refunds and balances; the one step every
change after the stop goes through; and a property test over random sequences of both."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import adjustments, events, ledger
from domain.adjustments import Cause
from domain.billing import amounts_due
from domain.errors import DomainError, IllegalTransition, InvalidPurchase, NotAllowed, NotFound
from domain.ledger import OpenBalances, PaymentStatus, account_of
from domain.money import Money
from domain.payments import ClaimState, EntryKind, PaymentClaim
from domain.permissions import Actor
from domain.purchase import (
    DeliverySplit,
    PaymentMode,
    PickupSlot,
    PriceTier,
    Purchase,
    PurchaseStatus,
)
from domain.supply import SupplyLine, confirm_supply
from tests.support.builders import HEAD, NOW, eur, item, purchase
from texts.i18n import Translator

A, B, C = 1, 2, 3
HEAD_ACTOR = Actor(HEAD)
LATER = NOW + timedelta(hours=1)
SLOT = PickupSlot("Hall", NOW + timedelta(days=5), NOW + timedelta(days=5, hours=2))


def gouda() -> Purchase:
    """The issue's scenario: Gouda at 8.40, 7.90 from 10 units; delivery 4.00 per member.
    A takes 2, B 8: the tier is reached and each owes 2.00 of delivery. A owes 17.80."""
    p = purchase(
        [item(1, "8.40", name="Gouda", tiers=(PriceTier(10, eur("7.90")),))],
        delivery_cost=eur("4.00"),
        delivery_split=DeliverySplit.PER_MEMBER,
    )
    p.set_quantity(A, "Alice", 1, 2, NOW)
    p.set_quantity(B, "Bob", 1, 8, NOW)
    p.stop_now(HEAD_ACTOR)
    return p


def kinds(p: Purchase) -> list[type[events.Event]]:
    return [type(e) for e in p.events]


def refusal(error: type[DomainError], action: Callable[[], object]) -> str:
    """What the head reads when the rules refuse `action` (amounts formatted as shown)."""
    with pytest.raises(error) as raised:
        action()
    return Translator("en").reason(raised.value)


# --- claims, payments, refunds --------------------------------------------------------------


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


# --- the one step ---------------------------------------------------------------------------


def test_the_issue_s_scenario_tells_alice_her_new_amount_and_the_tier_lost() -> None:
    p = gouda()
    ledger.record_payment(p, HEAD_ACTOR, A, eur("17.80"), NOW)
    p.request_withdrawal(B, NOW)
    preview = adjustments.withdrawal_preview(p, HEAD_ACTOR, B, 1, NOW)
    assert p.participant_ids() == [A, B]  # the preview changed nothing
    assert not any(isinstance(e, events.AmountsChanged) for e in p.events)
    impact = adjustments.accept_withdrawal(p, HEAD_ACTOR, B, 1, NOW)
    assert impact is not None and p.events[-1] == impact
    assert (preview.members, preview.prices) == (impact.members, impact.prices)
    assert impact.cause == Cause.WITHDRAWAL and impact.members_out == (B,)
    assert impact.prices == ((1, 790, 840),)
    alice = next(m for m in impact.members if m.member_id == A)
    assert (alice.goods_before, alice.delivery_before) == (1580, 200)
    assert (alice.goods_after, alice.delivery_after, alice.paid) == (1680, 400, 1780)
    account = account_of(p, A)
    assert (account.balance, account.status) == (eur("3.00"), PaymentStatus.PARTLY_PAID)
    assert ledger.remind_unpaid(p, HEAD_ACTOR) == [A]


def test_nothing_is_recorded_before_the_stop_when_amounts_are_estimates() -> None:
    p = purchase()
    p.set_quantity(A, "Alice", 1, 1, NOW)
    adjustments.withdraw(p, A, NOW)
    assert not any(isinstance(e, events.AmountsChanged) for e in p.events)


def test_dropping_those_who_paid_nothing_shows_them_first_and_refuses_a_stale_list() -> None:
    p = gouda()
    ledger.record_payment(p, HEAD_ACTOR, A, eur("17.80"), NOW)
    preview = adjustments.drop_preview(p, HEAD_ACTOR, NOW)
    assert preview.members_out == (B,)
    assert [m.member_id for m in preview.members] == [A, B]
    stale = ledger.fingerprint([A, B])
    with pytest.raises(IllegalTransition, match="changed meanwhile"):
        adjustments.drop_unpaid(p, HEAD_ACTOR, NOW, stale)
    impact = adjustments.drop_unpaid(p, HEAD_ACTOR, NOW, ledger.fingerprint([B]))
    assert impact is not None and impact.cause == Cause.DROPPED
    assert p.participant_ids() == [A]
    with pytest.raises(NotFound, match="nobody to drop"):
        adjustments.drop_preview(p, HEAD_ACTOR, NOW)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], lambda: "ACDE")
    with pytest.raises(IllegalTransition, match="before the goods arrive"):
        adjustments.drop_preview(p, HEAD_ACTOR, NOW)


def test_a_supplier_cut_tells_who_gets_less_and_the_packs() -> None:
    p = purchase([item(1, "10.00", pack_size=6, name="Honey")], fee_percent=Decimal(5))
    p.set_quantity(A, "A", 1, 6, NOW)
    p.set_quantity(B, "B", 1, 6, NOW)
    p.stop_now(HEAD_ACTOR)
    impact = adjustments.confirm_supply(p, HEAD_ACTOR, "1. Honey: 6")
    assert impact is not None
    assert [(m.member_id, m.lines_before, m.lines_after) for m in impact.members] == [
        (B, ((1, 6),), ()),
    ]
    assert impact.packs == ((1, 2, 1),)


# --- the property ---------------------------------------------------------------------------

MEMBERS = (1, 2, 3, 4)
JOIN = st.tuples(st.just("join"), st.sampled_from(MEMBERS), st.integers(1, 2), st.integers(1, 9))
# After the stop: values of money and packs are shares (in percent, thirds) of what is owed,
# paid or ordered, so that most steps are ones a head could really take.
AFTER_STOP = st.one_of(
    st.tuples(st.just("withdraw"), st.sampled_from(MEMBERS), st.just(0), st.just(0)),
    st.tuples(st.just("supply"), st.just(0), st.integers(1, 2), st.integers(0, 3)),
    st.tuples(st.just("price"), st.just(0), st.integers(1, 2), st.integers(100, 2000)),
    st.tuples(st.just("claim"), st.sampled_from(MEMBERS), st.just(0), st.just(0)),
    st.tuples(st.just("confirm"), st.sampled_from(MEMBERS), st.just(0), st.just(0)),
    st.tuples(st.just("reject"), st.sampled_from(MEMBERS), st.just(0), st.just(0)),
    st.tuples(st.just("cash"), st.sampled_from(MEMBERS), st.just(0), st.integers(1, 100)),
    st.tuples(st.just("refund"), st.sampled_from(MEMBERS), st.just(0), st.integers(1, 100)),
    st.tuples(st.just("order"), st.just(0), st.just(0), st.just(0)),
)
# Dropping the unpaid (at the pay-by time) and a cancellation end most of the collecting, so
# they come (or not) last, with what may still follow them.
ENDING = st.lists(
    st.one_of(
        st.tuples(st.just("drop"), st.just(0), st.just(0), st.just(0)),
        st.tuples(st.just("cancel"), st.just(0), st.just(0), st.just(0)),
        st.tuples(st.just("cash"), st.sampled_from(MEMBERS), st.just(0), st.integers(1, 100)),
        st.tuples(st.just("refund"), st.sampled_from(MEMBERS), st.just(0), st.integers(1, 100)),
    ),
    max_size=4,
)
STEPS = st.builds(
    lambda joins, rest, ending: [*joins, ("stop", 0, 0, 0), *rest, *ending],
    st.lists(JOIN, min_size=3, max_size=12),
    st.lists(AFTER_STOP, max_size=25),
    ENDING,
)


def sandbox_purchase() -> Purchase:
    return purchase(
        [
            item(1, "4.10", pack_size=3, tiers=(PriceTier(6, eur("3.70")),)),
            item(2, "2.35", tiers=(PriceTier(5, eur("2.05")), PriceTier(9, eur("1.99")))),
        ],
        fee_percent=Decimal("3.5"),
        delivery_cost=eur("10.01"),
        delivery_split=DeliverySplit.BY_AMOUNT,
    )


def _share(amount: Money, percent: int) -> Money:
    return Money(max(1, amount.minor * percent // 100), amount.currency)


def apply(p: Purchase, step: tuple[str, int, int, int]) -> None:
    kind, member, item_id, value = step
    account = account_of(p, member)
    latest = next((c.number for c in reversed(p.claims) if c.member_id == member), 0)

    def supply(units: int, price: Money | None = None) -> object:
        lines = [SupplyLine(item_id, units, price)]
        return adjustments.settle(p, Cause.SUPPLY, lambda: confirm_supply(p, HEAD_ACTOR, lines))

    action: dict[str, Callable[[], object]] = {
        "join": lambda: p.set_quantity(member, f"M{member}", item_id, value, NOW),
        "stop": lambda: p.go_ahead_anyway(HEAD_ACTOR),
        "withdraw": lambda: (
            p.request_withdrawal(member, NOW),
            adjustments.accept_withdrawal(
                p, HEAD_ACTOR, member, p.withdrawal_requests.get(member, 0), NOW
            ),
        ),
        "supply": lambda: supply(
            p.ordered_units(item_id)
            // p.item(item_id).pack_size
            * value
            // 3
            * p.item(item_id).pack_size
        ),
        "price": lambda: supply(p.ordered_units(item_id), Money(value, "EUR")),
        "claim": lambda: ledger.claim_payment(p, member, NOW),
        "confirm": lambda: ledger.confirm_claim(p, HEAD_ACTOR, member, latest, NOW),
        "reject": lambda: ledger.reject_claim(p, HEAD_ACTOR, member, latest),
        "cash": lambda: ledger.record_payment(
            p, HEAD_ACTOR, member, _share(account.to_pay, value), NOW
        ),
        "refund": lambda: ledger.record_refund(
            p, HEAD_ACTOR, member, _share(account.paid - account.refunded, value), NOW
        ),
        "drop": lambda: adjustments.drop_unpaid(
            p, HEAD_ACTOR, NOW, ledger.fingerprint(ledger.never_paid(p))
        ),
        "order": lambda: p.mark_ordered(HEAD_ACTOR),
        "cancel": lambda: p.cancel(HEAD_ACTOR, "gone"),
    }
    with contextlib.suppress(DomainError):
        action[kind]()


@settings(max_examples=400, deadline=None)
@given(STEPS)
def test_money_always_adds_up_and_every_member_whose_amount_moved_is_told(
    steps: list[tuple[str, int, int, int]],
) -> None:
    p = sandbox_purchase()
    for step in steps:
        before = adjustments.snapshot(p) if p.status not in adjustments.ESTIMATED else None
        told_before = len(p.events)
        apply(p, step)
        dues = amounts_due(p)
        every = ledger.accounts(p)
        # The members' amounts add up exactly to goods + fee + delivery.
        estimates = p.status in adjustments.ESTIMATED
        goods = 0
        for it in p.items:
            units = (
                p.item_units(it.item_id)
                if estimates
                else sum(lines.get(it.item_id, 0) for lines in p.final_lines().values())
            )
            price = it.price_for(units) if estimates else p.unit_price(it.item_id, units)
            goods += price.minor * units
        assert sum(d.goods.minor for d in dues.values()) == goods
        fee = Money(goods, "EUR").percent(p.fee_percent).minor
        assert sum(d.fee.minor for d in dues.values()) == fee
        delivery = p.delivery_cost.minor if p.delivery_cost and dues else 0
        assert sum(d.delivery.minor for d in dues.values()) == delivery
        # Each balance is due − paid + refunded, from the ledger's own entries.
        for member, account in every.items():
            entries = [e for e in p.ledger if e.member_id == member]
            paid = sum(e.amount.minor for e in entries if e.kind is EntryKind.PAYMENT)
            refunded = sum(e.amount.minor for e in entries if e.kind is EntryKind.REFUND)
            due = dues.get(member)
            owed = 0 if due is None or p.status in ledger.NOTHING_DUE else due.total.minor
            assert account.balance.minor == owed - paid + refunded
            assert 0 <= refunded <= paid
        # Every member whose lines or amount moved is told, in the change's own event (or,
        # for a cancellation, in the cancellation's notice to every participant).
        if before is not None:
            after = adjustments.snapshot(p)
            moved = {
                m
                for m in {*before.dues, *after.dues, *before.lines, *after.lines}
                if before.dues.get(m) != after.dues.get(m)
                or before.lines.get(m) != after.lines.get(m)
            }
            new = p.events[told_before:]
            told = {
                change.member_id
                for event in new
                if isinstance(event, events.AmountsChanged)
                for change in event.members
            }
            if any(isinstance(event, events.PurchaseCancelled) for event in new):
                told |= set(p.participant_ids())
            assert moved <= told, (step, moved, told)
