"""Who leads a purchase and who may do what: the head's transfer, an admin's reassignment,
members refused the head's actions, and communities where only admins open purchases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import events, ledger
from domain.community import Community, OpenRule
from domain.errors import IllegalTransition, InvalidPurchase, NotAllowed, NotFound, OrdersClosed
from domain.permissions import Actor
from domain.views import participants
from tests.support.aggregate import ADMIN, HEAD_ACTOR, LATER, A, B, C
from tests.support.builders import HEAD, NOW, eur, purchase


def test_head_transfer_needs_acceptance_and_opens_a_withdrawal_window() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 1, NOW)
    p.set_quantity(B, "B", 1, 1, NOW)
    with pytest.raises(NotFound, match="participant"):
        p.offer_transfer(HEAD_ACTOR, C)
    with pytest.raises(InvalidPurchase):
        p.offer_transfer(HEAD_ACTOR, HEAD)
    p.offer_transfer(HEAD_ACTOR, A)
    with pytest.raises(NotAllowed):
        p.accept_transfer(B, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    p.accept_transfer(A, 1, NOW)
    assert p.head_id == A
    assert p.events[-1] == events.HeadChanged(7, HEAD, A, NOW + timedelta(hours=24))
    # even after the stop, a member may leave within 24 h of the change
    p.withdraw(B, NOW + timedelta(hours=23))
    with pytest.raises(NotAllowed):
        p.mark_ordered(HEAD_ACTOR)
    p.mark_ordered(Actor(A))


def test_an_offer_to_lead_can_be_declined_and_goes_stale() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 1, NOW)
    p.set_quantity(B, "B", 1, 1, NOW)
    p.offer_transfer(HEAD_ACTOR, A)
    with pytest.raises(NotAllowed):
        p.decline_transfer(B, 1)
    p.decline_transfer(A, 1)
    assert p.pending_head_id is None
    assert p.events[-1] == events.TransferDeclined(7, A)
    with pytest.raises(NotAllowed, match="nobody offered you"):
        p.accept_transfer(A, 1, NOW)
    p.offer_transfer(HEAD_ACTOR, B)
    p.withdraw(B, NOW)  # the candidate left meanwhile
    with pytest.raises(NotFound, match="must be a participant"):
        p.accept_transfer(B, 2, NOW)
    p.offer_transfer(HEAD_ACTOR, A)
    # The buttons under the first offer to A do not answer the third.
    with pytest.raises(NotAllowed, match="replaced by a later one"):
        p.accept_transfer(A, 1, NOW)
    p.cancel(HEAD_ACTOR, "")
    with pytest.raises(IllegalTransition, match="cannot change heads"):
        p.accept_transfer(A, 3, NOW)
    assert p.head_id == HEAD


def test_the_window_closes_after_24_hours() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 1, NOW)
    p.set_quantity(B, "B", 1, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    p.reassign(ADMIN, A, NOW)
    with pytest.raises(OrdersClosed):
        p.withdraw(B, NOW + timedelta(hours=25))


def test_only_admins_reassign_and_finished_purchases_keep_their_head() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 1, NOW)
    with pytest.raises(NotAllowed):
        p.reassign(HEAD_ACTOR, A, NOW)
    p.reassign(ADMIN, HEAD, NOW)
    assert not p.events or not isinstance(p.events[-1], events.HeadChanged)
    p.cancel(ADMIN, "abandoned")
    with pytest.raises(IllegalTransition):
        p.offer_transfer(ADMIN, A)


@pytest.mark.parametrize(
    "action",
    [
        lambda p, who: p.stop_now(who),
        lambda p, who: p.go_ahead_anyway(who),
        lambda p, who: p.cancel(who, "x"),
        lambda p, who: p.extend(who, LATER, NOW),
        lambda p, who: p.mark_ordered(who),
        lambda p, who: p.offer_transfer(who, A),
        lambda p, who: participants(p, who),
        lambda p, who: ledger.record_payment(p, who, A, eur("12.50"), NOW),
        lambda p, who: ledger.confirm_claim(p, who, A, 1, NOW),
        lambda p, who: ledger.reject_claim(p, who, A, 1),
        lambda p, who: ledger.record_refund(p, who, A, eur("1.00"), NOW),
        lambda p, who: ledger.remind_unpaid(p, who),
        lambda p, who: p.drop(who, A, NOW),
    ],
)
def test_members_cannot_manage_a_purchase(action: object) -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 1, NOW)
    with pytest.raises(NotAllowed):
        action(p, Actor(A))  # type: ignore[operator]


def test_communities_may_restrict_who_opens_purchases() -> None:
    open_to_all = Community(-1, "Block 5", "Europe/Berlin", "EUR", "en")
    admins_only = Community(-2, "Block 6", "Europe/Berlin", "EUR", "en", OpenRule.ADMINS)
    assert open_to_all.may_open_purchases(is_chat_admin=False)
    assert not admins_only.may_open_purchases(is_chat_admin=False)
    assert admins_only.may_open_purchases(is_chat_admin=True)
