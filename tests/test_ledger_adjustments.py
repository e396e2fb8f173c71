"""The one step every change after the stop goes through: the amounts before and after, who
is told, those dropped for paying nothing, and a supplier's cut."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import adjustments, events, ledger
from domain.adjustments import Cause
from domain.errors import IllegalTransition, NotFound
from domain.ledger import PaymentStatus, account_of
from tests.support.aggregate import HEAD_ACTOR, SLOT, A, B, gouda
from tests.support.builders import NOW, eur, item, purchase


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
