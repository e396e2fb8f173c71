"""The purchase aggregate: lifecycle, orders within limits, stops and short-MOQ policies,
withdrawals, head transfer and who may do what."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import events, ledger
from domain.community import Community, OpenRule
from domain.errors import (
    IllegalTransition,
    InvalidPurchase,
    LimitExceeded,
    MoqNotReached,
    NotAllowed,
    NotFound,
    OrdersClosed,
    OutOfStock,
    PickupNeeded,
)
from domain.permissions import Actor
from domain.purchase import (
    MAX_HELPERS,
    Handover,
    Moq,
    PickupSlot,
    PriceTier,
    Purchase,
    PurchaseStatus,
    Request,
    ShortPolicy,
    reminder_due,
)
from domain.views import card_summary, member_order, participants
from tests.support.builders import HEAD, NOW, eur, item, purchase

A, B, C = 1, 2, 3
HEAD_ACTOR = Actor(HEAD)
ADMIN = Actor(999, is_admin=True)
LATER = NOW + timedelta(days=4)
SLOT = PickupSlot("Hall", NOW + timedelta(days=5), NOW + timedelta(days=5, hours=2))


def codes(*drawn: str) -> Callable[[], str]:
    """A pickup-code source that gives these codes in turn."""
    sequence = iter(drawn)
    return lambda: next(sequence)


def draw() -> str:
    return "ACDE"


def kinds(p: Purchase) -> list[type[events.Event]]:
    return [type(event) for event in p.events]


# --- creation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": " "}, "needs a title"),
        ({"title": "x" * 121}, "longer than 120"),
        ({"description": "x" * 2001}, "description is longer"),
        ({"items": []}, "at least one item"),
        ({"items": [item(2)]}, "numbered 1, 2, 3"),
        ({"deadline": NOW}, "deadline is in the past"),
        ({"fee_percent": Decimal(11)}, "between 0% and 10%"),
        ({"delivery_cost": eur("-1.00")}, "delivery cost"),
        ({"short_policy": ShortPolicy.EXTEND}, "extend 24h"),
        ({"currency": "USD"}, "not in USD"),
        (
            {"pickup_slots": [PickupSlot("Hall", NOW, NOW + timedelta(hours=1))]},
            "after the deadline",
        ),
        ({"items": [item(1, "0.00")]}, "more than zero"),
        ({"items": [item(1, pack_size=0)]}, "pack size"),
        ({"items": [item(1, stock=0)]}, "at least 1"),
        ({"items": [item(1, member_min=5, member_max=2)]}, "minimum is above"),
        ({"items": [item(1, name=" ")]}, "needs a name"),
        ({"items": [item(1, tiers=(PriceTier(5, eur("13.00")),))]}, "cheaper"),
        ({"items": [item(1, tiers=(PriceTier(1, eur("10.00")),))]}, "rising thresholds"),
        ({"items": [item(i) for i in range(1, 52)]}, "at most 50 items"),
    ],
)
def test_invalid_terms_are_refused_with_the_reason(change: dict[str, object], message: str) -> None:
    p = purchase()
    with pytest.raises(InvalidPurchase, match=message):
        replace(p, **change).validate(NOW, Decimal(10))  # type: ignore[arg-type]


def test_moq_money_must_match_the_purchase_currency() -> None:
    from domain.money import Money

    with pytest.raises(InvalidPurchase, match="minimum order must be in EUR"):
        replace(purchase(), moq=Moq(money=Money(100, "USD"))).validate(NOW, Decimal(10))


@pytest.mark.parametrize(
    "moq", [{}, {"units": 1, "money": eur("1.00")}, {"units": 0}, {"money": eur("0")}]
)
def test_a_moq_is_units_or_money_and_positive(moq: dict[str, object]) -> None:
    with pytest.raises(InvalidPurchase):
        Moq(**moq)  # type: ignore[arg-type]


def test_pickup_slot_needs_place_and_window() -> None:
    with pytest.raises(InvalidPurchase, match="place"):
        PickupSlot(" ", NOW, LATER)
    with pytest.raises(InvalidPurchase, match="end after"):
        PickupSlot("Hall", LATER, NOW)


# --- lifecycle --------------------------------------------------------------------------------


def test_the_whole_lifecycle_goes_one_way_and_repeats_are_no_ops() -> None:
    p = purchase(status=PurchaseStatus.DRAFT)
    p.publish(NOW)
    p.publish(NOW)
    p.set_quantity(A, "A", 1, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    p.stop_now(HEAD_ACTOR)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], draw)
    p.mark_arrived(HEAD_ACTOR, [], draw)
    p.complete(HEAD_ACTOR)
    p.complete(HEAD_ACTOR)
    assert p.status is PurchaseStatus.COMPLETED
    assert p.pickup_slots == [SLOT]
    assert kinds(p).count(events.PurchaseStopped) == 1
    assert kinds(p).count(events.PurchaseCompleted) == 1
    with pytest.raises(IllegalTransition, match="completed; it cannot become open"):
        p.publish(NOW)
    with pytest.raises(IllegalTransition, match="cannot become cancelled"):
        p.cancel(HEAD_ACTOR, "too late")


def test_a_purchase_whose_card_was_refused_goes_back_to_a_draft_unless_someone_ordered() -> None:
    unseen = purchase()
    unseen.return_to_draft()
    unseen.return_to_draft()
    assert unseen.status is PurchaseStatus.DRAFT
    ordered = purchase()
    ordered.set_quantity(A, "A", 1, 1, NOW)
    with pytest.raises(IllegalTransition, match="open; it cannot become draft"):
        ordered.return_to_draft()
    assert ordered.status is PurchaseStatus.OPEN
    with pytest.raises(IllegalTransition, match="stopped; it cannot become draft"):
        purchase(status=PurchaseStatus.STOPPED).return_to_draft()


def test_publishing_after_the_deadline_is_refused() -> None:
    with pytest.raises(InvalidPurchase):
        purchase(status=PurchaseStatus.DRAFT).publish(LATER)


def test_arrival_needs_a_pickup_slot() -> None:
    p = purchase(status=PurchaseStatus.ORDERED)
    with pytest.raises(InvalidPurchase, match="pick up"):
        p.mark_arrived(HEAD_ACTOR, [], draw)


def test_cancel_keeps_the_reason_for_members() -> None:
    p = purchase()
    p.cancel(HEAD_ACTOR, "  supplier closed  ")
    assert p.status is PurchaseStatus.CANCELLED
    assert p.events[-1] == events.PurchaseCancelled(7, "supplier closed")


STEPS = ["publish", "stop", "go_ahead", "deadline", "order", "arrive", "complete", "cancel"]
RANK = {s: i for i, s in enumerate(["draft", "open", "stopped", "ordered", "arrived", "completed"])}


@given(st.lists(st.sampled_from(STEPS), max_size=20))
def test_the_lifecycle_never_goes_backwards(steps: list[str]) -> None:
    p = purchase(status=PurchaseStatus.DRAFT, moq=Moq(units=2), short_policy=ShortPolicy.FAIL)
    p.publish(NOW)
    p.set_quantity(A, "A", 1, 1, NOW)
    actions = {
        "publish": lambda: p.publish(NOW),
        "stop": lambda: p.stop_now(HEAD_ACTOR),
        "go_ahead": lambda: p.go_ahead_anyway(HEAD_ACTOR),
        "deadline": lambda: p.reach_deadline(LATER),
        "order": lambda: p.mark_ordered(HEAD_ACTOR),
        "arrive": lambda: p.mark_arrived(HEAD_ACTOR, [SLOT], draw),
        "complete": lambda: p.complete(HEAD_ACTOR),
        "cancel": lambda: p.cancel(HEAD_ACTOR, "x"),
    }
    seen = [p.status]
    for step in steps:
        with contextlib.suppress(IllegalTransition, MoqNotReached):
            actions[step]()
        seen.append(p.status)
    terminal = {PurchaseStatus.FAILED, PurchaseStatus.CANCELLED, PurchaseStatus.COMPLETED}
    for before, after in itertools.pairwise(seen):
        if before in terminal:
            assert after is before
        elif after not in terminal:
            assert RANK[after] >= RANK[before]


# --- the deadline and the short-MOQ policy ----------------------------------------------------


def test_deadline_with_moq_met_stops_once() -> None:
    p = purchase(moq=Moq(units=2))
    p.set_quantity(A, "A", 1, 2, NOW)
    p.reach_deadline(NOW)  # not yet
    assert p.status is PurchaseStatus.OPEN
    p.reach_deadline(LATER)
    p.reach_deadline(LATER)
    assert p.status is PurchaseStatus.STOPPED
    assert kinds(p).count(events.PurchaseStopped) == 1
    assert events.MoqReached in kinds(p)


def test_short_moq_fails_under_the_fail_policy() -> None:
    p = purchase(moq=Moq(units=5))
    p.set_quantity(A, "A", 1, 2, NOW)
    p.reach_deadline(LATER)
    assert p.status is PurchaseStatus.FAILED


def test_short_moq_extends_once_then_fails() -> None:
    p = purchase(moq=Moq(units=5), short_policy=ShortPolicy.EXTEND, extend_by=timedelta(hours=24))
    first_deadline = p.deadline
    p.reach_deadline(first_deadline)
    assert p.status is PurchaseStatus.OPEN
    assert p.deadline == first_deadline + timedelta(hours=24)
    p.reach_deadline(first_deadline)  # the old instant again: nothing
    assert p.deadline == first_deadline + timedelta(hours=24)
    p.reach_deadline(p.deadline)
    assert p.status is PurchaseStatus.FAILED


def test_short_moq_asks_the_head_once_and_freezes_orders() -> None:
    p = purchase(moq=Moq(money=eur("100.00")), short_policy=ShortPolicy.ASK)
    p.set_quantity(A, "A", 1, 1, NOW)
    p.reach_deadline(LATER)
    p.reach_deadline(LATER)
    assert p.status is PurchaseStatus.OPEN
    assert kinds(p).count(events.HeadDecisionNeeded) == 1
    with pytest.raises(OrdersClosed, match="deadline has passed"):
        p.set_quantity(B, "B", 1, 1, LATER)
    p.go_ahead_anyway(HEAD_ACTOR)
    assert p.status is PurchaseStatus.STOPPED
    assert not p.awaiting_head_decision


def test_the_head_may_extend_after_being_asked() -> None:
    p = purchase(moq=Moq(units=5), short_policy=ShortPolicy.ASK)
    p.reach_deadline(LATER)
    p.extend(HEAD_ACTOR, LATER + timedelta(days=1), LATER)
    assert p.accepts_orders(LATER)
    with pytest.raises(InvalidPurchase, match="past"):
        p.extend(HEAD_ACTOR, NOW, LATER)
    p.cancel(HEAD_ACTOR, "no")
    with pytest.raises(IllegalTransition):
        p.extend(HEAD_ACTOR, LATER + timedelta(days=2), LATER)


def test_the_head_cannot_simply_stop_short_of_the_moq() -> None:
    p = purchase(moq=Moq(units=5))
    with pytest.raises(MoqNotReached):
        p.stop_now(HEAD_ACTOR)


def test_without_a_moq_a_purchase_needs_one_unit_to_stop() -> None:
    p = purchase()
    assert not p.moq_met()
    p.set_quantity(A, "A", 1, 1, NOW)
    assert p.moq_met()


def test_selling_out_every_item_stops_the_purchase() -> None:
    p = purchase([item(1, stock=3), item(2, stock=1)], moq=Moq(units=2))
    p.set_quantity(A, "A", 1, 3, NOW)
    assert p.status is PurchaseStatus.OPEN
    p.set_quantity(B, "B", 2, 1, NOW)
    assert p.status is PurchaseStatus.STOPPED
    assert kinds(p).count(events.SoldOut) == 2


def test_selling_out_short_of_the_moq_asks_the_head_under_ask() -> None:
    p = purchase([item(1, stock=2)], moq=Moq(units=5), short_policy=ShortPolicy.ASK)
    p.set_quantity(A, "A", 1, 2, NOW)
    assert p.status is PurchaseStatus.OPEN
    assert p.awaiting_head_decision


# --- orders -----------------------------------------------------------------------------------


def test_limits_are_enforced_with_clear_reasons() -> None:
    p = purchase([item(1, stock=5, member_max=4, member_min=2), item(2)])
    with pytest.raises(LimitExceeded, match="at most 4"):
        p.set_quantity(A, "A", 1, 5, NOW)
    with pytest.raises(LimitExceeded, match="at least 2"):
        p.set_quantity(A, "A", 1, 1, NOW)
    with pytest.raises(LimitExceeded, match="negative"):
        p.set_quantity(A, "A", 1, -1, NOW)
    with pytest.raises(LimitExceeded, match="at most 100000"):
        p.set_quantity(A, "A", 2, 100_001, NOW)
    p.set_quantity(A, "A", 1, 4, NOW)
    with pytest.raises(OutOfStock, match="only 1 of Item 1 left"):
        p.set_quantity(B, "B", 1, 2, NOW)
    p.set_quantity(B, "B", 1, 0, NOW)  # unchanged: nothing to do
    with pytest.raises(NotFound):
        p.set_quantity(B, "B", 9, 1, NOW)


def test_a_sold_out_item_says_so() -> None:
    p = purchase([item(1, stock=1), item(2)])
    p.set_quantity(A, "A", 1, 1, NOW)
    with pytest.raises(OutOfStock, match="sold out"):
        p.add_units(B, "B", 1, 1, NOW)


def test_the_first_tap_jumps_to_the_minimum_and_the_last_drops_to_zero() -> None:
    p = purchase([item(1, member_min=3)])
    assert p.add_units(A, "A", 1, 1, NOW) == 3
    assert p.add_units(A, "A", 1, -1, NOW) == 0
    assert p.add_units(A, "A", 1, -1, NOW) == 0


def test_tolerance_rules() -> None:
    p = purchase([item(1, pack_size=6), item(2)])
    with pytest.raises(LimitExceeded, match="at least one unit"):
        p.set_tolerance(A, 1, 2, NOW)
    p.set_quantity(A, "A", 1, 2, NOW)
    with pytest.raises(LimitExceeded, match="0 to 5"):
        p.set_tolerance(A, 1, 6, NOW)
    with pytest.raises(LimitExceeded, match="not sold in packs"):
        p.set_tolerance(A, 2, 1, NOW)
    p.set_tolerance(A, 1, 3, NOW)
    p.set_tolerance(A, 1, 3, NOW)
    assert p.lines(A) == {1: (2, 3)}
    p.set_quantity(A, "A", 1, 0, NOW)  # dropping the line drops its tolerance
    assert p.tolerance(A, 1) == 0


def test_orders_freeze_after_the_stop() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    with pytest.raises(OrdersClosed, match="stopped"):
        p.add_units(A, "A", 1, 1, NOW)
    with pytest.raises(OrdersClosed, match="ask the head"):
        p.withdraw(A, NOW)


def test_withdrawal_before_stop_and_by_request_after() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 2, NOW)
    p.set_quantity(B, "B", 1, 1, NOW)
    with pytest.raises(IllegalTransition, match="withdraw yourself"):
        p.request_withdrawal(A, NOW)
    p.withdraw(A, NOW)
    assert p.participant_ids() == [B]
    with pytest.raises(NotFound):
        p.withdraw(A, NOW)
    p.stop_now(HEAD_ACTOR)
    p.request_withdrawal(B, NOW)
    p.request_withdrawal(B, NOW)
    assert kinds(p).count(events.WithdrawalRequested) == 1
    assert p.withdrawal_requests == {B: 1}
    with pytest.raises(NotAllowed):
        p.accept_withdrawal(Actor(A), B, 1, NOW)
    p.decline_withdrawal(HEAD_ACTOR, B, 1)
    with pytest.raises(NotFound, match="answered already"):
        p.accept_withdrawal(HEAD_ACTOR, B, 1, NOW)
    with pytest.raises(NotFound, match="answered already"):
        p.decline_withdrawal(HEAD_ACTOR, B, 1)
    p.request_withdrawal(B, NOW)
    assert p.withdrawal_requests == {B: 2}
    # The Accept under the first, declined request does not accept the second one.
    with pytest.raises(NotFound, match="answered already"):
        p.accept_withdrawal(HEAD_ACTOR, B, 1, NOW)
    assert p.participant_ids() == [B]
    p.accept_withdrawal(HEAD_ACTOR, B, 2, NOW)
    assert p.participant_ids() == []
    with pytest.raises(NotFound):
        p.request_withdrawal(B, NOW)


def test_too_late_to_withdraw_after_arrival() -> None:
    p = purchase()
    p.set_quantity(A, "A", 1, 2, NOW)
    p.stop_now(HEAD_ACTOR)
    p.mark_ordered(HEAD_ACTOR)
    p.mark_arrived(HEAD_ACTOR, [SLOT], draw)
    with pytest.raises(OrdersClosed, match="too late"):
        p.request_withdrawal(A, NOW)


# --- transfer and permissions -----------------------------------------------------------------


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


def test_the_card_shows_aggregates_and_the_head_sees_names() -> None:
    p = purchase([item(1, pack_size=6, tiers=(PriceTier(10, eur("11.00")),))], moq=Moq(units=10))
    p.set_quantity(A, "Alice", 1, 4, NOW)
    p.set_quantity(B, "Bob", 1, 1, NOW)
    card = card_summary(p)
    assert (card.members_count, card.units, card.progress_percent) == (2, 5, 50)
    assert card.items[0].units_to_next_pack == 1
    assert card.items[0].next_tier == PriceTier(10, eur("11.00"))
    assert "Alice" not in repr(card)
    assert "Bob" not in repr(card)
    names = [(v.name, v.order.lines[0].quantity) for v in participants(p, HEAD_ACTOR)]
    assert names == [("Alice", 4), ("Bob", 1)]
    assert [v.member_id for v in participants(p, ADMIN)] == [A, B]


def test_card_progress_in_money_and_without_moq() -> None:
    p = purchase(moq=Moq(money=eur("50.00")))
    p.set_quantity(A, "A", 1, 2, NOW)
    assert card_summary(p).progress_percent == 50
    q = purchase()
    assert card_summary(q).progress_percent == 0
    q.set_quantity(A, "A", 1, 1, NOW)
    assert card_summary(q).progress_percent == 100


def test_a_member_sees_their_place_in_the_packs() -> None:
    p = purchase([item(1, pack_size=6, moq_units=4)])
    p.set_quantity(A, "A", 1, 3, NOW)
    view = member_order(p, A)
    assert (view.lines[0].allocated, view.lines[0].short) == (0, 3)  # below the item's MOQ
    p.set_quantity(B, "B", 1, 4, NOW)
    view = member_order(p, A)
    assert (view.lines[0].allocated, view.lines[0].short, view.lines[0].units_to_next_pack) == (
        3, 0, 5,
    )  # fmt: skip
    assert view.due is not None
    assert view.due.is_estimate


def test_communities_may_restrict_who_opens_purchases() -> None:
    open_to_all = Community(-1, "Block 5", "Europe/Berlin", "EUR", "en")
    admins_only = Community(-2, "Block 6", "Europe/Berlin", "EUR", "en", OpenRule.ADMINS)
    assert open_to_all.may_open_purchases(is_chat_admin=False)
    assert not admins_only.may_open_purchases(is_chat_admin=False)
    assert admins_only.may_open_purchases(is_chat_admin=True)


operations = st.lists(
    st.tuples(
        st.sampled_from(["set", "add", "tol", "withdraw"]),
        st.integers(1, 6),  # member
        st.integers(1, 2),  # item
        st.integers(-3, 9),  # amount
    ),
    max_size=40,
)


@given(operations)
def test_no_sequence_of_operations_oversells_or_breaks_limits(
    ops: list[tuple[str, int, int, int]],
) -> None:
    p = purchase([item(1, stock=12, member_max=5, pack_size=4), item(2, stock=7)])
    for op, member, item_id, amount in ops:
        try:
            if op == "set":
                p.set_quantity(member, str(member), item_id, amount, NOW)
            elif op == "add":
                p.add_units(member, str(member), item_id, amount, NOW)
            elif op == "tol":
                p.set_tolerance(member, item_id, amount, NOW)
            else:
                p.withdraw(member, NOW)
        except (LimitExceeded, OutOfStock, NotFound, OrdersClosed):
            pass
        for it in p.items:
            assert it.stock is None or p.item_units(it.item_id) <= it.stock
            for m in range(1, 7):
                q = p.quantity(m, it.item_id)
                assert 0 <= q <= (it.member_max or q)
                assert (
                    0 <= p.tolerance(m, it.item_id) < it.pack_size
                    or p.tolerance(m, it.item_id) == 0
                )
        allocation = p.allocation()
        for it in p.items:
            assert allocation[it.item_id].units <= (it.stock or 10**9)


def replayed(log: list[Request]) -> dict[int, dict[int, tuple[int, int]]]:
    """member → item → (quantity, tolerance) by summing the whole log, the slow obvious way."""
    lines: dict[int, dict[int, tuple[int, int]]] = {}
    for r in log:
        firm, tolerance = lines.setdefault(r.member_id, {}).get(r.item_id, (0, 0))
        lines[r.member_id][r.item_id] = (firm + r.firm_delta, tolerance + r.tolerance_delta)
    return lines


@given(operations, st.integers(0, 40))
def test_the_running_sums_always_equal_a_replay_of_the_log(
    ops: list[tuple[str, int, int, int]], copy_at: int
) -> None:
    p = purchase([item(1, stock=12, member_max=5, pack_size=4), item(2, stock=7)])
    for step, (op, member, item_id, amount) in enumerate(ops):
        if step == copy_at:
            # A copy sums its own list: changing the copy leaves the original's sums alone.
            original, p = p, replace(p, requests=list(p.requests))
            with contextlib.suppress(OutOfStock):  # item 2 may be sold out by now
                p.add_units(99, "Copy", 2, 1, NOW)
            assert original.quantity(99, 2) == 0
        with contextlib.suppress(LimitExceeded, OutOfStock, NotFound, OrdersClosed):
            if op == "add":
                p.add_units(member, str(member), item_id, amount, NOW)
            elif op == "tol":
                p.set_tolerance(member, item_id, amount, NOW)
            elif op == "withdraw":
                p.withdraw(member, NOW)
            else:
                p.set_quantity(member, str(member), item_id, amount, NOW)
        lines = replayed(p.requests)
        for m in [*range(1, 7), 99]:
            for it in (1, 2):
                assert (p.quantity(m, it), p.tolerance(m, it)) == lines.get(m, {}).get(it, (0, 0))
        assert [p.item_units(it) for it in (1, 2)] == [
            sum(r.firm_delta for r in p.requests if r.item_id == it) for it in (1, 2)
        ]
        assert p.firm_units() == sum(r.firm_delta for r in p.requests)
        joined = [m for m in lines if sum(firm for firm, _ in lines[m].values()) > 0]
        assert p.participant_ids() == joined
        assert all(p.takes_part(m) == (m in joined) for m in [*range(1, 7), 99])
        assert p.all_lines() == {
            m: {it: line for it, line in sorted(lines[m].items()) if line[0] > 0} for m in joined
        }


def test_a_log_put_in_place_of_another_is_summed_anew() -> None:
    p = purchase()
    p.add_units(A, "A", 1, 1, NOW)
    p.add_units(A, "A", 1, 2, NOW)
    assert p.quantity(A, 1) == 3
    p.requests = [*p.requests[:1], Request(2, B, 1, 2, 0, NOW)]  # as a reload would
    assert (p.quantity(A, 1), p.quantity(B, 1), p.participant_ids()) == (1, 2, [A, B])


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


def test_postpone_counts_from_the_deadline_or_from_now_once_it_has_passed() -> None:
    p = purchase()
    deadline = p.deadline
    p.postpone(HEAD_ACTOR, timedelta(hours=24), NOW)
    assert p.deadline == deadline + timedelta(hours=24)
    late = p.deadline + timedelta(hours=5)
    p.postpone(HEAD_ACTOR, timedelta(hours=24), late)
    assert p.deadline == late + timedelta(hours=24)
    with pytest.raises(NotAllowed):
        p.postpone(Actor(A), timedelta(hours=1), NOW)


def test_taking_back_a_unit_needs_one_and_tolerance_moves_by_steps() -> None:
    p = purchase([item(1, pack_size=6)])
    with pytest.raises(LimitExceeded, match="you have none of this item"):
        p.take_back_unit(A, "A", 1, NOW)
    with pytest.raises(LimitExceeded, match="order at least one unit"):
        p.change_tolerance(A, 1, 1, NOW)
    p.add_units(A, "A", 1, 2, NOW)
    p.change_tolerance(A, 1, 1, NOW)
    p.change_tolerance(A, 1, 1, NOW)
    assert p.tolerance(A, 1) == 2
    assert p.take_back_unit(A, "A", 1, NOW) == 1


def test_arrival_without_any_pickup_is_a_pickup_needed_error() -> None:
    p = purchase(status=PurchaseStatus.ORDERED)
    with pytest.raises(PickupNeeded):
        p.mark_arrived(HEAD_ACTOR, [], draw)


HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("published_before", "left", "due"),
    [
        (3 * 24 * HOUR, 24 * HOUR, 24 * HOUR),  # the 24-hour moment itself
        (3 * 24 * HOUR, 13 * HOUR, 24 * HOUR),  # missed by 11 h (an outage): still about right
        (3 * 24 * HOUR, 11 * HOUR, None),  # "stops in 24 hours" with 11 left would mislead
        (3 * 24 * HOUR, 25 * HOUR, None),  # not yet
        (3 * 24 * HOUR, HOUR, HOUR),
        (3 * 24 * HOUR, 31 * timedelta(minutes=1), HOUR),
        (3 * 24 * HOUR, 29 * timedelta(minutes=1), None),  # the stop notice comes soon
        (5 * HOUR, 4 * HOUR, None),  # published 5 h ahead: its card said when it stops
        (5 * HOUR, HOUR, HOUR),
        (30 * timedelta(minutes=1), 20 * timedelta(minutes=1), None),
    ],
)
def test_which_deadline_reminder_is_due(
    published_before: timedelta, left: timedelta, due: timedelta | None
) -> None:
    deadline = NOW + 10 * 24 * HOUR
    assert reminder_due(deadline, deadline - published_before, deadline - left) == due


# --- editing while open -----------------------------------------------------------------------


def test_the_head_edits_terms_while_orders_are_open() -> None:
    p = purchase([item(1, name="Honey"), item(2, "7.00", name="Wax")])
    p.set_quantity(A, "A", 1, 1, NOW)
    later = NOW + timedelta(days=4)
    slot = PickupSlot("Yard", later + timedelta(days=1), later + timedelta(days=1, hours=1))
    changed = p.edit(
        HEAD_ACTOR, NOW, title="Walnut honey", deadline=later, pickup=[slot],
        items=[item(0, "6.50", name="wax", pack_size=2)],
    )  # fmt: skip
    assert changed == ("title", "deadline", "pickup", "items")
    assert p.events[-1] == events.PurchaseEdited(7, changed)
    assert (p.title, p.deadline, p.pickup_slots) == ("Walnut honey", later, [slot])
    assert p.items[1] == item(2, "6.50", name="wax", pack_size=2)
    assert p.edit(HEAD_ACTOR, NOW, title="Walnut honey") == ()  # nothing new: no event
    assert kinds(p).count(events.PurchaseEdited) == 1


def test_edits_that_break_a_rule_change_nothing() -> None:
    p = purchase([item(1, name="Honey"), item(2, "7.00", name="Wax")])
    p.set_quantity(A, "A", 1, 1, NOW)
    p.set_quantity(A, "A", 1, 0, NOW)  # ordered once, then taken back: still not changeable
    p.set_quantity(B, "B", 2, 1, NOW)
    before = replace(p, events=[])
    with pytest.raises(NotAllowed, match="Honey: members have ordered it"):
        p.edit(HEAD_ACTOR, NOW, title="New", items=[item(0, "1.00", name="Honey")])
    with pytest.raises(NotFound, match="no item named Jam"):
        p.edit(HEAD_ACTOR, NOW, items=[item(0, "1.00", name="Jam")])
    early = PickupSlot("Yard", NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    with pytest.raises(InvalidPurchase, match="pickup must come after the deadline"):
        p.edit(HEAD_ACTOR, NOW, title="New", pickup=[early])
    with pytest.raises(NotAllowed):
        p.edit(Actor(A), NOW, title="Mine now")
    p.stop_now(HEAD_ACTOR)
    with pytest.raises(OrdersClosed, match="only while orders are open"):
        p.edit(HEAD_ACTOR, NOW, title="Too late")
    assert replace(p, status=before.status, events=[]) == before


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
