"""Payments through the sandbox and the real Application: a member says "I paid", the head
confirms or rejects it, sees who owes what, reminds the unpaid, and the export follows."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from domain.billing import amounts_due
from domain.purchase import PaymentState, Purchase
from handlers.callback_data import Action, encode
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.scenario import Community, community_running, template
from tests.test_head_panel import stopped_purchase


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


async def editor(c: Community, member: SandboxUser) -> SandboxMessage:
    sent = await c.sandbox.send(member, "/orders")
    return await c.sandbox.wait_for_message(member.id, "Total due", after=sent)


async def test_a_member_says_they_paid_and_the_head_confirms_or_rejects(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    due = amounts_due(await stored(c))

    alice_order = await editor(c, c.alice)
    assert "Not paid yet" in (alice_order.text or "")
    answer = await c.sandbox.tap(c.alice, alice_order, "I paid")
    assert answer.text == "Noted. The head will confirm your payment."
    await c.sandbox.wait_for_edit(alice_order, "the head has not confirmed it yet")
    assert "I paid" not in [b["text"] for b in alice_order.buttons()]

    claim = await c.sandbox.wait_for_message(c.head.id, "Alice Zebra says they paid")
    assert "€" in (claim.text or "") and str(due[c.alice.id].total.amount) in (claim.text or "")
    answer = await c.sandbox.tap(c.head, claim, "✅ Received")
    assert answer.text == "Payment recorded."
    await c.sandbox.wait_for_edit(claim, "✅ Received")
    assert claim.buttons() == []
    await c.sandbox.wait_for_message(c.alice.id, "The head has received your payment")

    bob_order = await editor(c, c.bob)
    await c.sandbox.tap(c.bob, bob_order, "I paid")
    claim = await c.sandbox.wait_for_message(c.head.id, "Bob says they paid")
    answer = await c.sandbox.tap(c.head, claim, "❌ Not received")
    assert answer.text == "Member told."
    await c.sandbox.wait_for_message(c.bob.id, "could not find your payment")
    bob_order = await editor(c, c.bob)
    assert "could not find your payment" in (bob_order.text or "")
    assert "I paid" in [b["text"] for b in bob_order.buttons()]  # Bob may say so again

    assert (await stored(c)).payments == {
        c.alice.id: PaymentState.CONFIRMED,
        c.bob.id: PaymentState.REJECTED,
    }


async def test_the_head_sees_who_owes_reminds_them_and_records_cash(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    purchase = await stored(c)
    due = amounts_due(purchase)
    alice_order = await editor(c, c.alice)
    await c.sandbox.tap(c.alice, alice_order, "I paid")
    await c.sandbox.wait_for_message(c.head.id, "Alice Zebra says they paid")

    panel = await c.panel()
    assert "Paid: 0 of 2" in (panel.text or "")
    await c.sandbox.tap(c.head, panel, "Payments")
    listing = await c.sandbox.wait_for_message(c.head.id, "Payments of")
    text = listing.text or ""
    assert "0 of 2 members paid" in text
    assert "Alice Zebra: €" in text and "says paid" in text
    assert f"tg://user?id={c.bob.id}" in (listing.html or "")

    answer = await c.sandbox.tap(c.head, listing, "📣 Remind all unpaid")
    assert answer.text == "Reminded 1 member."  # Alice said she paid: the head has to look
    reminder = await c.sandbox.wait_for_message(c.bob.id, "A reminder from the head")
    assert str(due[c.bob.id].total.amount) in (reminder.text or "")

    assert not any("A reminder" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))
    bob_button = next(b["text"] for b in listing.buttons() if b["text"].startswith("✅ Bob"))
    answer = await c.sandbox.tap(c.head, listing, bob_button)  # cash, without "I paid" first
    assert answer.text == "Payment recorded."
    await c.sandbox.emulator.wait_until(
        lambda: bob_button not in [b["text"] for b in listing.buttons()]
    )
    assert any(b["text"].startswith("✅ Alice") for b in listing.buttons())
    await c.sandbox.wait_for_message(c.bob.id, "The head has received your payment")

    await c.sandbox.tap(c.head, panel, "Export")
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.head.id)) == 2)
    workbook = load_workbook(io.BytesIO(dict(c.sandbox.documents(c.head.id))["purchase-1.xlsx"]))
    members = list(workbook["Members"].iter_rows(values_only=True))
    assert members[0][5:7] == ("Total", "Paid")
    paid = {row[0]: Decimal(str(row[6])) for row in members[1:]}
    assert paid == {"Alice Zebra": Decimal(0), "Bob": due[c.bob.id].total.amount}


async def test_payments_refuse_forgery_and_the_wrong_moment(community: Community) -> None:
    c = community
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, "Hello", after=sent)
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 0.5 kg")
    hello = c.sandbox.bot_messages(c.alice.id)[-1]

    async def forged(user: SandboxUser, data: str) -> str | None:
        return (await c.sandbox.answer_of(c.sandbox.press_forged(user, hello, data))).text

    # Before the stop nobody pays: the amounts are not final yet.
    assert await forged(c.alice, encode(Action.ORDER_PAID, 1)) == (
        "Not done: payments are not collected while the purchase is open"
    )
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Stop now")
    await c.sandbox.wait_for_edit(panel, "Stopped")
    assert await forged(c.bob, encode(Action.ORDER_PAID, 1)) == (
        "Not done: there is nothing to pay: no goods in this purchase"
    )
    assert await forged(c.alice, encode(Action.ORDER_PAID, 404)) == "Not done: no such purchase"
    head_only = "Not done: only the head of this purchase (or a platform admin) can do this"
    for action in (Action.PAYMENT_CONFIRM, Action.PAYMENT_REJECT):
        assert await forged(c.alice, encode(action, 1, c.alice.id)) == head_only
    assert await forged(c.alice, encode(Action.HEAD_REMIND_UNPAID, 1)) == head_only
    assert await forged(c.alice, encode(Action.HEAD_PAYMENTS, 1)) == head_only
    assert (await stored(c)).payments == {}
    assert not any("Payments of" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))


async def test_a_cancel_needs_a_reason_and_tells_who_paid_they_are_owed(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    due = amounts_due(await stored(c))
    listing_panel = await c.panel()
    await c.sandbox.tap(c.head, listing_panel, "Payments")
    listing = await c.sandbox.wait_for_message(c.head.id, "Payments of")
    alice_button = next(b["text"] for b in listing.buttons() if b["text"].startswith("✅ Alice"))
    await c.sandbox.tap(c.head, listing, alice_button)
    await c.sandbox.wait_for_message(c.alice.id, "The head has received your payment")

    panel = await c.panel()
    answer = await c.sandbox.tap(c.head, panel, "Cancel the purchase")
    assert answer.text is None  # one tap never cancels: it asks for the reason
    await c.sandbox.wait_for_message(c.head.id, "/cancel_purchase 1 The supplier closed")
    assert (await stored(c)).status.value == "stopped"
    await c.say(c.head, "/cancel_purchase 1", "Cancelling tells every member")
    await c.say(c.head, "/cancel_purchase 1 " + "x" * 501, "longer than 500 characters")
    await c.say(c.bob, "/cancel_purchase 1 I want out", "Not done: only the head")
    assert (await stored(c)).status.value == "stopped"

    await c.say(c.head, "/cancel_purchase 1 The <b>bees</b> are asleep", "Cancelled.")
    assert (await stored(c)).cancel_reason == "The <b>bees</b> are asleep"
    alice = await c.sandbox.wait_for_message(c.alice.id, "was cancelled by the head")
    assert "The <b>bees</b> are asleep" in (alice.text or "")  # shown as typed, not as HTML
    assert f"You paid €{due[c.alice.id].total.amount}" in (alice.text or "")
    bob = await c.sandbox.wait_for_message(c.bob.id, "was cancelled by the head")
    assert "You paid" not in (bob.text or "")
    await c.sandbox.wait_for_message(c.chat.id, "The <b>bees</b> are asleep")

    # The head still sees whom to pay back: nothing is collected any more.
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Payments")
    refunds = await c.sandbox.wait_for_message(c.head.id, "You owe back", after=panel)
    assert f"• Alice Zebra: €{due[c.alice.id].total.amount}" in (refunds.text or "")
    assert "Bob" not in (refunds.text or "") and refunds.buttons() == []


async def test_a_receipt_photo_says_i_paid_and_reaches_the_head(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    sent = await c.sandbox.send_photo(c.bob, b"\xff\xd8 a photo of a bank slip")
    await c.sandbox.wait_for_message(c.bob.id, "The receipt went to the head", after=sent)
    receipt = await c.sandbox.wait_for_message(c.head.id, lambda m: m.photo is not None)
    assert (receipt.caption or "").startswith("🧾 Receipt from Bob for Wildflower honey")
    stored_photo = c.sandbox.emulator.files[receipt.photo[0]["file_id"]]  # type: ignore[index]
    assert stored_photo.data == b"\xff\xd8 a photo of a bank slip"
    assert (await stored(c)).payments == {c.bob.id: PaymentState.CLAIMED}
    answer = await c.sandbox.tap(c.head, receipt, "✅ Received")
    assert answer.text == "Payment recorded."
    await c.sandbox.emulator.wait_until(lambda: receipt.buttons() == [])
    assert (await stored(c)).payments == {c.bob.id: PaymentState.CONFIRMED}

    sent = await c.sandbox.send_photo(c.bob, b"\xff\xd8 the same slip again")
    await c.sandbox.wait_for_message(c.bob.id, "none of your purchases is waiting", after=sent)
