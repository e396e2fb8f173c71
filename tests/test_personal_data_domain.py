"""The rules of forgetting a person: which step each purchase takes, who is refused, the
pseudonyms, and the ids renamed in stored events."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.payments import EntryKind, LedgerEntry, Means
from domain.permissions import Actor
from domain.personal_data import (
    PSEUDONYM_FLOOR,
    Role,
    Step,
    is_pseudonym,
    next_pseudonym,
    plan,
    pseudonym_name,
    rename_in_payload,
    step_for,
)
from domain.purchase import Purchase, PurchaseStatus
from tests.support.builders import HEAD, NOW, eur, purchase

ALICE, BOB = 11, 12


def with_order(status: PurchaseStatus = PurchaseStatus.OPEN, title: str = "Honey") -> Purchase:
    made = replace(purchase(), title=title)
    made.add_units(ALICE, "Alice", 1, 2, NOW)
    made.add_units(BOB, "Bob", 1, 1, NOW)
    return replace(made, status=status)


def test_open_orders_let_her_go_as_a_withdrawal() -> None:
    assert step_for(with_order(), ALICE, NOW) is Step.WITHDRAW


def test_after_the_stop_she_is_kept_until_the_end() -> None:
    for status in (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED, PurchaseStatus.ARRIVED):
        assert step_for(with_order(status), ALICE, NOW) is Step.AT_END


def test_past_the_deadline_without_a_stop_she_is_kept_until_the_end() -> None:
    assert step_for(with_order(), ALICE, NOW + timedelta(days=4)) is Step.AT_END


def test_finished_purchases_forget_her_now() -> None:
    for status in (PurchaseStatus.COMPLETED, PurchaseStatus.CANCELLED, PurchaseStatus.FAILED):
        assert step_for(with_order(status), ALICE, NOW) is Step.FORGET


def test_money_on_record_binds_her_even_without_goods() -> None:
    emptied = with_order()
    emptied.add_units(ALICE, "Alice", 1, -2, NOW)  # she left before the stop
    stopped = replace(emptied, status=PurchaseStatus.STOPPED)
    assert step_for(stopped, ALICE, NOW) is Step.FORGET
    stopped.ledger.append(
        LedgerEntry(1, ALICE, EntryKind.PAYMENT, eur("5.00"), NOW, HEAD, Means.CASH)
    )
    assert step_for(stopped, ALICE, NOW) is Step.AT_END


def test_a_plan_lists_each_purchase_under_its_step() -> None:
    found = plan(
        [with_order(title="A"), with_order(PurchaseStatus.COMPLETED, "B"),
         with_order(PurchaseStatus.STOPPED, "C")],
        ALICE, NOW, None,
    )  # fmt: skip
    assert (found.refusal, found.withdraw, found.forget, found.at_end) == (
        None, ("A",), ("B",), ("C",)
    )  # fmt: skip


def test_a_head_of_a_running_purchase_is_refused_and_of_a_finished_one_forgotten() -> None:
    running = with_order(PurchaseStatus.STOPPED, "Running")
    refused = plan([running], HEAD, NOW, None)
    assert refused.refusal is not None
    assert (refused.refusal.role, refused.refusal.titles) == (Role.HEAD, ("Running",))
    finished = plan([with_order(PurchaseStatus.COMPLETED, "Done")], HEAD, NOW, None)
    assert (finished.refusal, finished.forget) == (None, ("Done",))


def test_a_helper_of_a_running_purchase_is_refused() -> None:
    helped = with_order(PurchaseStatus.ARRIVED, "Pickup day")
    helped.add_helper(Actor(HEAD), ALICE, "Alice")
    refused = plan([helped], ALICE, NOW, None)
    assert refused.refusal is not None
    assert refused.refusal.role is Role.HELPER


def test_a_platform_role_refuses_before_anything_else() -> None:
    refused = plan([with_order()], ALICE, NOW, Role.DRIVER)
    assert refused.refusal is not None
    assert (refused.refusal.role, refused.withdraw) == (Role.DRIVER, ())


def test_pseudonyms_are_numbered_per_purchase_and_never_a_telegram_id() -> None:
    first = next_pseudonym([HEAD, ALICE, BOB])
    second = next_pseudonym([HEAD, first, BOB])
    assert (pseudonym_name(first), pseudonym_name(second)) == ("Member #1", "Member #2")
    assert first < PSEUDONYM_FLOOR and is_pseudonym(second)
    assert not any(is_pseudonym(i) for i in (ALICE, -1001234567890, -(2**52)))
    assert second >= -(2**63)  # fits the 64-bit id columns


def test_events_rename_people_but_not_numbers_that_look_alike() -> None:
    payload = {
        "purchase_id": 7, "member_id": ALICE, "members_out": [ALICE, BOB], "number": ALICE,
        "members": [{"member_id": ALICE, "paid": ALICE}, {"member_id": BOB, "paid": 0}],
    }  # fmt: skip
    assert rename_in_payload(payload, ALICE, -5) == {
        "purchase_id": 7, "member_id": -5, "members_out": [-5, BOB], "number": ALICE,
        "members": [{"member_id": -5, "paid": ALICE}, {"member_id": BOB, "paid": 0}],
    }  # fmt: skip
