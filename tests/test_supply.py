"""The supplier's confirmation after the stop: re-allocation by the queue, new prices, what
was paid, every way the head's lines can be wrong, and the whole flow through the sandbox."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from domain import events, ledger
from domain.adjustments import Cause, settle
from domain.billing import amounts_due
from domain.errors import IllegalTransition, InvalidPurchase, NotAllowed, NotFound
from domain.ledger import PaymentStatus, account_of
from domain.money import InvalidAmount
from domain.permissions import Actor
from domain.purchase import Purchase, PurchaseStatus
from domain.reports import head_report
from domain.supply import SupplyLine, confirm_supply, parse_supply
from tests.support.builders import HEAD, NOW, eur, item, purchase
from tests.support.scenario import Community, community_running, tap_and_confirm
from tests.test_head_panel import stopped_purchase

A, B, C = 1, 2, 3
HEAD_ACTOR = Actor(HEAD)


def two_packs() -> Purchase:
    """Packs of 6 at 10.00: A asked 6, B 4, C 2 (in that order) — two packs ordered."""
    p = purchase([item(1, "10.00", pack_size=6, name="Honey"), item(2, "3.00", name="Wax")])
    p.set_quantity(A, "A", 1, 6, NOW)
    p.set_quantity(B, "B", 1, 4, NOW)
    p.set_quantity(C, "C", 1, 2, NOW)
    p.set_quantity(C, "C", 2, 1, NOW)
    p.stop_now(HEAD_ACTOR)
    return p


def confirmed(p: Purchase, lines: list[SupplyLine]) -> events.AmountsChanged:
    """The supplier's lines through the one step that tells whom they moved."""
    impact = settle(p, Cause.SUPPLY, lambda: confirm_supply(p, HEAD_ACTOR, lines))
    assert impact is not None
    return impact


def test_fewer_packs_go_to_the_earliest_requests_and_amounts_follow() -> None:
    p = two_packs()
    assert p.final_lines() == {A: {1: 6}, B: {1: 4}, C: {1: 2, 2: 1}}
    impact = confirmed(p, [SupplyLine(1, 6)])
    assert p.final_lines() == {A: {1: 6}, C: {2: 1}}
    assert p.allocation()[1].short == {B: 4, C: 2}
    # No fee or delivery here: A's amount is unchanged, so A is not told anything.
    assert [m.member_id for m in impact.members] == [B, C]
    assert impact.packs == ((1, 2, 1),)
    assert p.events[-1] == impact
    report = head_report(p, HEAD_ACTOR)
    assert [(line.units, line.packs, line.total) for line in report.supplier] == [
        (6, 1, eur("60.00")),
        (1, 1, eur("3.00")),
    ]
    assert {m: due.total for m, due in amounts_due(p).items()} == {
        A: eur("60.00"),
        C: eur("3.00"),
    }


def test_a_new_price_changes_every_amount_and_what_was_paid_is_kept() -> None:
    p = two_packs()
    ledger.record_payment(p, HEAD_ACTOR, A, eur("60.00"), NOW)
    ledger.record_payment(p, HEAD_ACTOR, B, eur("40.00"), NOW)
    impact = confirmed(p, [SupplyLine(1, 6, eur("11.00"))])
    assert sorted(m.member_id for m in impact.members) == [A, B, C]
    assert impact.prices == ((1, 1000, 1100),)
    assert amounts_due(p)[A].total == eur("66.00")
    # A paid 60.00 of 66.00 now due: unpaid again, 6.00 to go.
    assert account_of(p, A).status is PaymentStatus.PARTLY_PAID
    assert account_of(p, A).balance == eur("6.00")
    assert A in ledger.unpaid(p)
    # B gets nothing any more: the head owes the 40.00 back.
    assert account_of(p, B).owed_back == eur("40.00")
    assert account_of(p, B).status is PaymentStatus.OWED_BACK
    p.cancel(HEAD_ACTOR, "the supplier closed")
    # Everything paid goes back.
    assert {m: a.owed_back for m, a in ledger.accounts(p).items()} == {
        A: eur("60.00"),
        B: eur("40.00"),
    }


def test_confirming_again_replaces_the_earlier_confirmation() -> None:
    p = two_packs()
    confirmed(p, [SupplyLine(1, 0)])
    assert 1 not in {i for lines in p.final_lines().values() for i in lines}
    confirm_supply(p, HEAD_ACTOR, [SupplyLine(1, 12)])
    assert p.final_lines() == {A: {1: 6}, B: {1: 4}, C: {1: 2, 2: 1}}


@pytest.mark.parametrize(
    ("line", "error", "message"),
    [
        (SupplyLine(1, 18), InvalidPurchase, "18 is more than the 12 units ordered"),
        (SupplyLine(1, 4), InvalidPurchase, "whole packs of 6"),
        (SupplyLine(2, 1, eur("0.00")), InvalidPurchase, "more than zero"),
        (SupplyLine(9, 1), NotFound, "no such item"),
    ],
)
def test_impossible_confirmations_are_refused_and_change_nothing(
    line: SupplyLine, error: type[Exception], message: str
) -> None:
    p = two_packs()
    before = p.final_lines()
    with pytest.raises(error, match=message):
        confirm_supply(p, HEAD_ACTOR, [SupplyLine(2, 0), line])
    assert p.supply == {}
    assert p.final_lines() == before


def test_only_the_head_confirms_and_only_between_stop_and_arrival() -> None:
    p = two_packs()
    with pytest.raises(NotAllowed):
        confirm_supply(p, Actor(A), [SupplyLine(1, 6)])
    for status in (PurchaseStatus.OPEN, PurchaseStatus.ARRIVED, PurchaseStatus.CANCELLED):
        p.status = status
        with pytest.raises(IllegalTransition, match="after the stop and before arrival"):
            confirm_supply(p, HEAD_ACTOR, [SupplyLine(1, 6)])
    p.status = PurchaseStatus.ORDERED
    confirm_supply(p, HEAD_ACTOR, [SupplyLine(1, 6)])


def test_the_head_s_lines_are_parsed_as_the_template_writes_them() -> None:
    p = two_packs()
    text = "1. Honey: 6 @ 11,50 (ordered 12, packs of 6)\n\n  2. Wax: 0\n"
    assert parse_supply(text, p) == [SupplyLine(1, 6, eur("11.50")), SupplyLine(2, 0)]
    assert parse_supply("2: 1", p) == [SupplyLine(2, 1)]
    assert parse_supply("1. Honey: raw：12（已订 12）", p) == [SupplyLine(1, 12)]
    with pytest.raises(InvalidPurchase, match="line 2"):
        parse_supply("1. Honey: 6\nHoney six", p)
    with pytest.raises(NotFound, match="line 1: there is no item number 7"):
        parse_supply("7. Jam: 1", p)
    with pytest.raises(InvalidPurchase, match="at least one item"):
        parse_supply("  \n", p)
    with pytest.raises(InvalidAmount):
        parse_supply("1. Honey: 6 @ six", p)


# --- through the sandbox and the real Application --------------------------------------------


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def test_the_head_enters_the_supplier_s_answer_and_members_and_exports_follow(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    async with c.runtime.database.unit_of_work() as uow:
        stopped = await uow.purchases.get(1)
    assert stopped is not None
    alice_due = amounts_due(stopped)[c.alice.id].total
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Payments", answer="")
    listing = await c.sandbox.wait_for_message(c.head.id, "Payments of")
    alice_button = next(b["text"] for b in listing.buttons() if b["text"].startswith("✅ Alice"))
    await c.sandbox.tap(c.head, listing, alice_button, answer="Recorded; the member is told.")

    await c.sandbox.tap(c.head, panel, "What the supplier confirmed", answer="")
    form = await c.sandbox.wait_for_message(c.head.id, "/supply 1", after=panel)
    assert form.text == (
        "/supply 1\n1. Honey 1 kg: 6 (ordered 6, packs of 6)\n2. Honey 0.5 kg: 1 (ordered 1)"
    )
    await c.say(c.head, "/supply 1\n1. Honey 1 kg: 3", "Not done: Honey 1 kg: the supplier sends")
    await c.say(c.head, "/supply 1\nsix of honey", "Not done: line 1: write")
    await c.say(c.bob, "/supply 1\n1. Honey 1 kg: 0", "Not done: only the head")
    async with c.runtime.database.unit_of_work() as uow:
        unchanged = await uow.purchases.get(1)
    assert unchanged is not None and unchanged.supply == {}

    await c.say(
        c.head,
        "/supply 1\n1. Honey 1 kg: 0 (ordered 6, packs of 6)\n2. Honey 0.5 kg: 1 @ 8.00",
        "Saved. 2 members get their new lines and amounts.",
    )
    changed = "has changed: the supplier confirmed the order"
    alice = await c.sandbox.wait_for_message(c.alice.id, changed)
    assert "Honey 1 kg: you get 0 instead of 6 — the supplier sends fewer packs" in (
        alice.text or ""
    )
    assert "You get nothing now, so nothing is due." in (alice.text or "")
    assert f"the head owes you €{alice_due.amount} back" in (alice.text or "")
    bob = await c.sandbox.wait_for_message(c.bob.id, changed)
    bob_text = bob.text or ""
    assert "Honey 0.5 kg: €8.00 a unit instead of €7.00 — the supplier's price" in bob_text
    assert "your share of the delivery: €20.00 instead of €1.71" in bob_text
    assert "You get: 1 × Honey 0.5 kg" in bob_text
    assert "Amount due: €28.40 (it was €9.06)" in bob_text
    summary = await c.sandbox.wait_for_message(c.head.id, "confirmation of Wildflower honey")
    assert "Bob: €9.06 → €28.40" in (summary.text or "")
    assert "Honey 1 kg: 0 packs instead of 1" in (summary.text or "")
    assert f"paid €{alice_due.amount}: you owe €{alice_due.amount} back" in (summary.text or "")
    order = await c.sandbox.wait_for_message(c.head.id, "Updated supplier order")
    # Nothing of it goes to the supplier: no line "0 × €12.50" (the summary said it went).
    assert "Honey 1 kg" not in (order.text or "")

    await c.sandbox.tap(c.head, panel, "Payments", answer="")
    listing = await c.sandbox.wait_for_message(c.head.id, "Payments of", after=listing)
    assert f"#1 Alice Zebra: €{alice_due.amount} (paid" in (listing.text or "")
    await c.sandbox.tap(c.head, panel, "Export", answer="")
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.head.id)) == 2)
    workbook = load_workbook(io.BytesIO(dict(c.sandbox.documents(c.head.id))["purchase-1.xlsx"]))
    supplier = list(workbook["Supplier order"].iter_rows(values_only=True))
    assert [
        (row[0], row[1], row[2], Decimal(str(row[4])), Decimal(str(row[6])))
        for row in supplier[1:2]
    ] == [("Honey 0.5 kg", 1, 1, Decimal("8.00"), Decimal("8.00"))]
    assert supplier[2][0] == "Total" and Decimal(str(supplier[2][6])) == Decimal("8.00")

    # Marked ordered: Bob, who still gets his honey, is told; Alice, left with nothing, is not.
    await tap_and_confirm(c.sandbox, c.head, await c.panel(), "Mark ordered")
    await c.sandbox.wait_for_message(c.bob.id, "is ordered from the supplier")
    await asyncio.sleep(1)
    assert not any(
        "is ordered from the supplier" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id)
    )
