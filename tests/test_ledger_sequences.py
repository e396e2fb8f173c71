"""A property test over random sequences of joins, the stop, withdrawals, supplier changes,
payments, refunds and drops: after every step the amounts add up and everyone whose amount
moved is told."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import adjustments, events, ledger
from domain.adjustments import Cause
from domain.billing import amounts_due
from domain.errors import DomainError
from domain.ledger import account_of
from domain.money import Money
from domain.payments import EntryKind
from domain.purchase import DeliverySplit, PriceTier, Purchase
from domain.supply import SupplyLine, confirm_supply
from tests.support.aggregate import HEAD_ACTOR
from tests.support.builders import NOW, eur, item, purchase

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
