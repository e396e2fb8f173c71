"""A purchase's way from draft to completed: each step forward only and once, the deadline and
the short-MOQ policies, postponing, and which deadline reminder is due."""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import events
from domain.errors import (
    IllegalTransition,
    InvalidPurchase,
    MoqNotReached,
    NotAllowed,
    OrdersClosed,
    PickupNeeded,
)
from domain.permissions import Actor
from domain.purchase import Moq, PurchaseStatus, ShortPolicy, reminder_due
from tests.support.aggregate import HEAD_ACTOR, LATER, SLOT, A, B, draw, kinds
from tests.support.builders import NOW, eur, item, purchase


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
