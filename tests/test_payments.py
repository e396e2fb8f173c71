"""Payments through the sandbox and the real Application: a member says "I paid" and the head
answers that claim; the head's Payments view (who owes what, whom to pay back, the totals);
money recorded by button and by typed amount; refunds; stale buttons refused; the withdrawal
that moves another member's amount after she paid; pay-by reminders and taking out those who
paid nothing; cash at a postpaid pickup; and Complete with money still open."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain import ledger
from domain.billing import amounts_due
from domain.ledger import PaymentStatus
from domain.payments import ClaimState
from domain.purchase import Purchase
from sandbox.model import SandboxMessage, SandboxUser
from storage.telegram_tables import OutboxRow
from tests.support.scenario import Community, community_running, tap_and_confirm, template
from tests.test_head_panel import stopped_purchase
from texts.callback_data import Action, encode


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


async def editor(c: Community, member: SandboxUser, match: str = "Total due") -> SandboxMessage:
    sent = await c.sandbox.send(member, "/orders")
    return await c.sandbox.wait_for_message(member.id, match, after=sent)


async def payments(c: Community, after: SandboxMessage | int = 0) -> SandboxMessage:
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Payments", answer="")
    return await c.sandbox.wait_for_message(c.head.id, "Payments of", after=max_id(after, panel))


def max_id(*messages: SandboxMessage | int) -> int:
    return max(m.message_id if isinstance(m, SandboxMessage) else m for m in messages)


def button(message: SandboxMessage, starts: str) -> str:
    return next(b["text"] for b in message.buttons() if b["text"].startswith(starts))


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
    assert f"€{due[c.alice.id].total.amount}" in (claim.text or "")
    answer = await c.sandbox.tap(c.head, claim, "✅ Received")
    assert answer.text == "Recorded; the member is told."
    await c.sandbox.wait_for_edit(claim, "✅ Received")
    assert claim.buttons() == []
    told = await c.sandbox.wait_for_message(c.alice.id, "The head has received your payment")
    assert "You have paid everything that is due." in (told.text or "")

    bob_order = await editor(c, c.bob)
    await c.sandbox.tap(
        c.bob, bob_order, "I paid", answer="Noted. The head will confirm your payment."
    )
    claim = await c.sandbox.wait_for_message(c.head.id, "Bob says they paid")
    answer = await c.sandbox.tap(c.head, claim, "❌ Not received")
    assert answer.text == "Member told."
    await c.sandbox.wait_for_message(c.bob.id, "could not find your payment")
    bob_order = await editor(c, c.bob)
    assert "could not find your payment" in (bob_order.text or "")
    assert "I paid" in [b["text"] for b in bob_order.buttons()]  # Bob may say so again

    accounts = ledger.accounts(await stored(c))
    assert accounts[c.alice.id].status is PaymentStatus.PAID
    assert accounts[c.bob.id].status is PaymentStatus.NOT_FOUND


async def test_a_stale_payment_button_never_undoes_a_later_decision(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    alice_order = await editor(c, c.alice)
    await c.sandbox.tap(
        c.alice, alice_order, "I paid", answer="Noted. The head will confirm your payment."
    )
    first = await c.sandbox.wait_for_message(c.head.id, "Alice Zebra says they paid")
    await c.sandbox.tap(c.head, first, "❌ Not received", answer="Member told.")
    alice_order = await editor(c, c.alice)
    await c.sandbox.tap(
        c.alice, alice_order, "I paid", answer="Noted. The head will confirm your payment."
    )  # she says so again: a new claim
    second = await c.sandbox.wait_for_message(c.head.id, "Alice Zebra says they paid", after=first)
    await c.sandbox.tap(c.head, second, "✅ Received", answer="Recorded; the member is told.")
    await c.sandbox.wait_for_message(c.alice.id, "The head has received your payment")

    # The old claim's buttons (a second copy of the notice, or a client that kept them)
    # answer nothing: neither the rejected claim nor the confirmed one changes again.
    for data, reason in (
        (
            encode(Action.PAYMENT_REJECT, 1, c.alice.id, 2),
            "this payment was recorded as received already",
        ),
        (
            encode(Action.PAYMENT_CONFIRM, 1, c.alice.id, 1),
            "this payment was marked as not received already",
        ),
        (
            encode(Action.PAYMENT_CONFIRM, 1, c.alice.id, 2),
            "this payment was recorded as received already",
        ),
        (encode(Action.PAYMENT_CONFIRM, 1, c.alice.id, 9), "this member has not said they paid"),
    ):
        answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, second, data))
        assert answer.text == f"Not done: {reason}", data
    purchase = await stored(c)
    assert [claim.state for claim in purchase.claims] == [
        ClaimState.NOT_FOUND,
        ClaimState.RECEIVED,
    ]
    assert len(purchase.ledger) == 1
    assert ledger.account_of(purchase, c.alice.id).status is PaymentStatus.PAID


async def test_the_head_sees_who_owes_reminds_them_and_records_cash(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    purchase = await stored(c)
    due = amounts_due(purchase)
    alice_order = await editor(c, c.alice)
    await c.sandbox.tap(
        c.alice, alice_order, "I paid", answer="Noted. The head will confirm your payment."
    )
    await c.sandbox.wait_for_message(c.head.id, "Alice Zebra says they paid")

    panel = await c.panel()
    assert "Settled: 0 of 2 · to collect €" in (panel.text or "")
    listing = await payments(c)
    text = listing.text or ""
    total = due[c.alice.id].total + due[c.bob.id].total
    assert f"Due €{total.amount} · collected €0.00 · to collect €{total.amount}" in text
    assert "0 members have paid something; 0 of 2 are settled." in text
    assert f"#1 Alice Zebra: €{due[c.alice.id].total.amount} · says paid" in text
    assert f"tg://user?id={c.bob.id}" in (listing.html or "")
    assert "/paid 1 <name or #number> <amount>" in text

    answer = await c.sandbox.tap(c.head, listing, "📣 Remind all unpaid")
    assert answer.text == "Reminded 1 member."  # Alice said she paid: the head has to look
    reminder = await c.sandbox.wait_for_message(c.bob.id, "A reminder from the head")
    assert str(due[c.bob.id].total.amount) in (reminder.text or "")

    assert not any("A reminder" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))
    bob_button = button(listing, "✅ Bob")
    answer = await c.sandbox.tap(c.head, listing, bob_button)  # cash, without "I paid" first
    assert answer.text == "Recorded; the member is told."
    await c.sandbox.emulator.wait_until(
        lambda: bob_button not in [b["text"] for b in listing.buttons()]
    )
    assert any(b["text"].startswith("✅ Alice") for b in listing.buttons())
    await c.sandbox.wait_for_message(c.bob.id, "The head has received your payment")

    await c.sandbox.tap(c.head, panel, "Export", answer="")
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.head.id)) == 2)
    workbook = load_workbook(io.BytesIO(dict(c.sandbox.documents(c.head.id))["purchase-1.xlsx"]))
    members = list(workbook["Members"].iter_rows(values_only=True))
    assert members[0][5:9] == ("Total", "Paid", "Refunded", "Balance")
    paid = {row[0]: Decimal(str(row[6])) for row in members[1:-1]}
    assert paid == {"Alice Zebra": Decimal(0), "Bob": due[c.bob.id].total.amount}
    assert members[-1][0] == "Total"
    assert workbook["Members"]["G3"].number_format == '"€"#,##0.00'


async def test_typed_amounts_are_checked_and_partial_cash_is_recorded(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    owed = amounts_due(await stored(c))[c.bob.id].total
    for text, answer in (
        ("/paid 1", "Write it like this: /paid 1 <name or #number> <amount>"),
        ("/paid 1 Bob", "Write it like this: /paid 1"),
        ("/paid 1 Bob ten", 'Not done: "ten" is not a number'),
        ("/paid 1 Bob 1.234", "has more than 2 decimal places for EUR"),
        ("/paid 1 Bob -5", "Not done: an amount received must be more than zero"),
        ("/paid 1 Bob 99999", f"Not done: Bob owes €{owed.amount}; €99,999.00 is more than that"),
        ("/paid 1 Carl 5", "Not done: there is no member called Carl here"),
        ("/paid 1 #7 5", "Not done: there is no member #7 in this purchase"),
        ("/refund 1 Bob 1.00", "Not done: Bob has paid nothing, so there is nothing to give back"),
        ("/refund 1 Bob -1", "Not done: a refund must be more than zero"),
    ):
        await c.say(c.head, text, answer)
    await c.say(c.bob, "/paid 1 Bob 5.00", "Not done: only the head of this purchase")
    assert (await stored(c)).ledger == []

    await c.say(c.head, "/paid 1 bob 5.00", "Recorded: €5.00 received from Bob. They still owe")
    await c.say(c.head, "/refund 1 #2 5.01", "Not done: Bob paid €5.00 in all; a refund of €5.01")
    await c.say(c.head, "/refund 1 #2 2.00", "Recorded: €2.00 given back to Bob.")
    bob = ledger.account_of(await stored(c), c.bob.id)
    assert (bob.paid.amount, bob.refunded.amount) == (Decimal("5.00"), Decimal("2.00"))
    await c.sandbox.wait_for_message(c.bob.id, "The head gave you back €2.00")
    listing = await payments(c)
    assert f"#2 Bob: €{(owed.amount - 3)} of €{owed.amount}, paid €3.00" in (listing.text or "")


async def test_a_refund_is_recorded_from_the_payments_view(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    alice_due = amounts_due(await stored(c))[c.alice.id].total
    listing = await payments(c)
    await c.sandbox.tap(
        c.head, listing, button(listing, "✅ Alice"), answer="Recorded; the member is told."
    )
    await c.sandbox.wait_for_message(c.alice.id, "The head has received your payment")
    await c.say(
        c.head,
        "/supply 1\n1. Honey 1 kg: 0 (ordered 6, packs of 6)\n2. Honey 0.5 kg: 1",
        "Saved.",
    )
    changed = await c.sandbox.wait_for_message(c.alice.id, "has changed")
    assert "Honey 1 kg: you get 0 instead of 6 — the supplier sends fewer packs" in (
        changed.text or ""
    )
    assert f"the head owes you €{alice_due.amount} back" in (changed.text or "")
    await c.sandbox.wait_for_message(c.head.id, "Updated supplier order")

    listing = await payments(c, after=listing)
    text = listing.text or ""
    assert f"to give back €{alice_due.amount}" in text
    assert "You owe back — tap a name once you have given it back:" in text
    assert f"#1 Alice Zebra: €{alice_due.amount} (paid €{alice_due.amount}, due €0.00)" in text
    refund = button(listing, "↩️ Alice Zebra")
    assert refund == f"↩️ Alice Zebra, €{alice_due.amount}"
    answer = await c.sandbox.tap(c.head, listing, refund)
    assert answer.text == "Recorded; the member is told."
    told = await c.sandbox.wait_for_message(c.alice.id, "The head gave you back")
    assert f"€{alice_due.amount}" in (told.text or "")
    # The same button again (say, from an older copy of the list) is stale now.
    data = encode(Action.REFUND_GIVEN, 1, c.alice.id, alice_due.minor)
    answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, listing, data))
    assert answer.text == ("Not done: the amount changed meanwhile: Alice Zebra now has €0.00")
    alice = ledger.account_of(await stored(c), c.alice.id)
    assert (alice.paid, alice.refunded, alice.balance.minor) == (alice_due, alice_due, 0)
    listing = await payments(c, after=listing)
    assert "#1 Alice Zebra" not in (listing.text or "")  # settled: nothing open for her


async def test_an_old_payments_list_and_claim_show_what_is_true_now(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    due = amounts_due(await stored(c))
    alice, bob = due[c.alice.id].total, due[c.bob.id].total
    alice_order = await editor(c, c.alice)
    await c.sandbox.tap(
        c.alice, alice_order, "I paid", answer="Noted. The head will confirm your payment."
    )
    claim = await c.sandbox.wait_for_message(c.head.id, "Alice Zebra says they paid")
    listing = await payments(c, after=claim)
    assert f"collected €0.00 · to collect €{(alice + bob).amount}" in (listing.text or "")

    # Money recorded elsewhere (typed) makes the list stale: its press is refused with what is
    # true now, and the list is redrawn with the figures and buttons of now.
    await c.say(c.head, f"/paid 1 bob {bob.amount}", "Recorded")
    answer = await c.sandbox.tap(c.head, listing, button(listing, "✅ Bob"))
    assert answer.text == "Not done: the amount changed meanwhile: Bob now has €0.00"
    listing = await c.sandbox.wait_for_edit(listing, f"collected €{bob.amount}")
    assert not any(b["text"].startswith("✅ Bob") for b in listing.buttons())
    assert len((await stored(c)).ledger) == 1

    # A press that is answered redraws the list too: the head reads the new totals at once.
    answer = await c.sandbox.tap(c.head, listing, button(listing, "✅ Alice"))
    assert answer.text == "Recorded; the member is told."
    listing = await c.sandbox.wait_for_edit(listing, "Everyone has paid.")
    assert f"collected €{(alice + bob).amount}" in (listing.text or "")
    assert listing.buttons() == []

    # Alice's "I paid" was settled by that: its buttons answer with that and go.
    answer = await c.sandbox.tap(c.head, claim, "✅ Received")
    reason = "Not done: a payment recorded later settled this one already"
    assert answer.text == reason
    claim = await c.sandbox.wait_for_edit(claim, reason)
    assert claim.buttons() == []
    assert len((await stored(c)).ledger) == 2


async def test_forged_and_early_payment_buttons_are_refused(community: Community) -> None:
    c = community
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, "Hello", after=sent)
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")
    hello = c.sandbox.bot_messages(c.alice.id)[-1]

    async def forged(user: SandboxUser, data: str) -> str | None:
        return (await c.sandbox.answer_of(c.sandbox.press_forged(user, hello, data))).text

    # Before the stop nobody pays: the amounts are not final yet.
    assert await forged(c.alice, encode(Action.ORDER_PAID, 1)) == (
        "Not done: payments are not collected while the purchase is open"
    )
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
    await c.sandbox.wait_for_edit(panel, "Stopped")
    assert await forged(c.bob, encode(Action.ORDER_PAID, 1)) == (
        "Not done: there is nothing to pay: no goods in this purchase"
    )
    assert await forged(c.alice, encode(Action.ORDER_PAID, 404)) == "Not done: no such purchase"
    head_only = "Not done: only the head of this purchase (or a platform admin) can do this"
    for data in (
        encode(Action.PAYMENT_CONFIRM, 1, c.alice.id, 1),
        encode(Action.PAYMENT_REJECT, 1, c.alice.id, 1),
        encode(Action.PAYMENT_CASH, 1, c.alice.id, 100),
        encode(Action.REFUND_GIVEN, 1, c.alice.id, 100),
        encode(Action.HEAD_REMIND_UNPAID, 1),
        encode(Action.HEAD_PAYMENTS, 1),
        encode(Action.HEAD_DROP_UNPAID, 1),
        encode(Action.HEAD_DROP_CONFIRM, 1, 0),
        encode(Action.HEAD_COMPLETE_ANYWAY, 1),
        encode(Action.HANDOVER_UNDO, 1, c.alice.id),
        encode(Action.HEAD_HELPERS, 1),
        encode(Action.HELPER_REMOVE, 1, c.bob.id),
    ):
        assert await forged(c.alice, data) == head_only, data
    for data in (
        encode(Action.HANDOVER, 1, c.alice.id, 0),
        encode(Action.HANDOVER_LATER, 1, c.alice.id),
    ):
        assert await forged(c.alice, data) == (
            "Not done: only the head of this purchase or their helpers can hand goods over"
        ), data
    # The head's own button with an amount it never showed: refused, nothing recorded.
    assert (await forged(c.head, encode(Action.PAYMENT_CASH, 1, c.alice.id, 1))).startswith(
        "Not done: the amount changed meanwhile"
    )
    purchase = await stored(c)
    assert (purchase.claims, purchase.ledger) == ([], [])
    assert not any("Payments of" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))


async def test_a_cancel_needs_a_reason_and_tells_who_paid_they_are_owed(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    due = amounts_due(await stored(c))
    listing = await payments(c)
    await c.sandbox.tap(
        c.head, listing, button(listing, "✅ Alice"), answer="Recorded; the member is told."
    )
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

    await c.cancel("/cancel_purchase 1 The <b>bees</b> are asleep")
    assert (await stored(c)).cancel_reason == "The <b>bees</b> are asleep"
    alice = await c.sandbox.wait_for_message(c.alice.id, "was cancelled by the head")
    assert "The <b>bees</b> are asleep" in (alice.text or "")  # shown as typed, not as HTML
    assert f"You paid €{due[c.alice.id].total.amount}" in (alice.text or "")
    bob = await c.sandbox.wait_for_message(c.bob.id, "was cancelled by the head")
    assert "You paid" not in (bob.text or "")
    await c.sandbox.wait_for_message(c.chat.id, "The <b>bees</b> are asleep")

    # The head still sees whom to pay back: nothing is collected any more.
    listing = await payments(c, after=listing)
    text = listing.text or ""
    assert f"#1 Alice Zebra: €{due[c.alice.id].total.amount} (paid" in text
    assert "Bob" not in text
    assert [b["text"] for b in listing.buttons()] == [
        f"↩️ Alice Zebra, €{due[c.alice.id].total.amount}"
    ]


async def test_a_receipt_photo_says_i_paid_and_reaches_the_head(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    sent = await c.sandbox.send_photo(c.bob, b"\xff\xd8 a photo of a bank slip")
    await c.sandbox.wait_for_message(c.bob.id, "The receipt went to the head", after=sent)
    receipt = await c.sandbox.wait_for_message(c.head.id, lambda m: m.photo is not None)
    assert (receipt.caption or "").startswith("🧾 Receipt from Bob for Wildflower honey")
    stored_photo = c.sandbox.emulator.files[receipt.photo[0]["file_id"]]  # type: ignore[index]
    assert stored_photo.data == b"\xff\xd8 a photo of a bank slip"
    assert [claim.state for claim in (await stored(c)).claims] == [ClaimState.OPEN]
    answer = await c.sandbox.tap(c.head, receipt, "✅ Received")
    assert answer.text == "Recorded; the member is told."
    await c.sandbox.emulator.wait_until(lambda: receipt.buttons() == [])
    assert ledger.account_of(await stored(c), c.bob.id).status is PaymentStatus.PAID
    # The photo was the head's one message about it: no "says they paid" notice beside it
    # (the notifier handles events in order: the claim's before the confirmation Bob gets).
    await c.sandbox.wait_for_message(c.bob.id, "has received your payment")
    async with c.runtime.database.sessions() as session:
        keys = list(await session.scalars(select(OutboxRow.key)))
    assert [key for key in keys if key.startswith("payment-confirmed:")]
    assert not [key for key in keys if key.startswith("payment-claimed:")]

    sent = await c.sandbox.send_photo(c.bob, b"\xff\xd8 the same slip again")
    await c.sandbox.wait_for_message(c.bob.id, "none of your purchases is waiting", after=sent)
