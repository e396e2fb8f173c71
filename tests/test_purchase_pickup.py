"""Pickup: a code for each member who receives goods, handovers and their undoing, and the
head's helpers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain import events, ledger
from domain.errors import IllegalTransition, LimitExceeded, NotAllowed, NotFound
from domain.permissions import Actor
from domain.purchase import MAX_HELPERS, Handover, Purchase, PurchaseStatus
from tests.support.aggregate import ADMIN, HEAD_ACTOR, LATER, SLOT, A, B, C, codes, kinds
from tests.support.builders import HEAD, NOW, item, purchase


def test_arrival_gives_each_receiving_member_a_unique_code_and_hand_over_uses_it() -> None:
    p = purchase([item(1, pack_size=6)])
    p.set_quantity(A, "A", 1, 6, NOW)
    p.set_quantity(B, "B", 1, 2, NOW)  # does not fit in a pack: gets nothing, so no code
    p.set_quantity(C, "C", 1, 0, NOW)
    p.stop_now(HEAD_ACTOR)
    with pytest.raises(IllegalTransition, match="once they arrive"):
        p.hand_over(HEAD_ACTOR, A, NOW)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], codes("ACDE"))
    assert p.pickup_codes == {A: "ACDE"}
    with pytest.raises(NotFound, match="no member has the pickup code ZZZZ"):
        p.member_with_code("zz zz")
    assert p.member_with_code(" ac de ") == A  # any case, spaces anywhere
    with pytest.raises(NotAllowed):
        p.hand_over(Actor(A), A, NOW)
    with pytest.raises(NotFound, match="no goods to pick up"):
        p.hand_over(HEAD_ACTOR, B, NOW)
    p.hand_over(HEAD_ACTOR, A, NOW)
    p.hand_over(ADMIN, A, LATER)  # a second time changes nothing: when and who stay
    assert kinds(p).count(events.HandedOver) == 1
    assert p.handed_over == {A: Handover(NOW, HEAD)}


def test_pickup_codes_never_repeat_within_a_purchase() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 1, NOW)
    p.set_quantity(B, "B", 1, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], codes("ACDE", "ACDE", "FGHJ"))
    assert sorted(p.pickup_codes.values()) == ["ACDE", "FGHJ"]


def arrived_with(*members: int) -> Purchase:
    p = purchase()
    for member in members:
        p.set_quantity(member, f"N{member}", 1, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], codes("ACDE", "FGHJ", "KMNP"))
    return p


def test_a_handover_is_undone_by_the_head_on_the_pickup_day_only() -> None:
    p = arrived_with(A, B)
    with pytest.raises(NotFound, match="not been handed over"):
        p.undo_handover(HEAD_ACTOR, A, NOW)
    p.hand_over(HEAD_ACTOR, A, NOW)
    with pytest.raises(NotAllowed):
        p.undo_handover(Actor(A), A, NOW)
    p.undo_handover(HEAD_ACTOR, A, NOW + timedelta(hours=2))
    assert A not in p.handed_over and kinds(p).count(events.HandoverUndone) == 1
    p.hand_over(HEAD_ACTOR, B, NOW)
    with pytest.raises(NotAllowed, match="on the day it was recorded"):
        p.undo_handover(HEAD_ACTOR, B, NOW + timedelta(hours=25))
    p.complete(HEAD_ACTOR)
    with pytest.raises(IllegalTransition, match="while goods are handed out"):
        p.undo_handover(HEAD_ACTOR, B, NOW)


def test_helpers_hand_over_and_take_cash_and_only_the_head_names_them() -> None:
    p = arrived_with(A, B)
    helper = Actor(C)
    with pytest.raises(NotAllowed, match="or their helpers can hand goods over"):
        p.hand_over(helper, A, NOW)
    with pytest.raises(NotAllowed):
        p.add_helper(Actor(A), C, "C")
    with pytest.raises(NotAllowed, match="hands goods over already"):
        p.add_helper(HEAD_ACTOR, HEAD, "Head")
    p.add_helper(HEAD_ACTOR, C, "C")
    p.add_helper(HEAD_ACTOR, C, "C")  # twice is once
    assert p.helpers == {C: "C"} and kinds(p).count(events.HelperAdded) == 1
    p.hand_over(helper, A, NOW)
    assert p.handed_over[A] == Handover(NOW, C)
    due = ledger.account_of(p, B).to_pay
    ledger.record_payment(p, helper, B, due, NOW, expected=due, at_pickup=True)
    with pytest.raises(NotAllowed):  # outside a handover, money is the head's
        ledger.record_refund(p, helper, B, due, NOW)
    with pytest.raises(NotAllowed):
        p.undo_handover(helper, A, NOW)
    for extra in range(MAX_HELPERS - 1):
        p.add_helper(HEAD_ACTOR, 5000 + extra, "x")
    with pytest.raises(LimitExceeded, match="at most 10 helpers"):
        p.add_helper(HEAD_ACTOR, 6000, "y")
    p.remove_helper(HEAD_ACTOR, C)
    p.remove_helper(HEAD_ACTOR, C)
    assert kinds(p).count(events.HelperRemoved) == 1
    with pytest.raises(NotAllowed):
        p.hand_over(helper, B, NOW)
    finished = replace(p, status=PurchaseStatus.COMPLETED)
    with pytest.raises(IllegalTransition, match="the purchase is completed"):
        finished.add_helper(HEAD_ACTOR, C, "C")
