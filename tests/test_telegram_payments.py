"""Telegram Payments end to end, through the sandbox and the real Application: the stop
notice's *Pay* button sends an invoice for the member's exact amount, the checkout is answered
after checking that amount is still due, and the payment lands in the ledger with its charge
ids, once, however often Telegram delivers it. Refused at checkout: an amount no longer due,
another member's invoice, another currency, an invoice paid already, a payload that is not
ours. A refund owed names the charge. Without a provider token nothing of it shows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import text

from domain.billing import amounts_due
from domain.money import Money
from domain.payments import Means
from sandbox.chat_page import ChatPage
from sandbox.model import SandboxMessage
from tests.support.builders import eur, purchase
from tests.support.scenario import Community, community_running
from tests.test_head_panel import stopped_purchase
from tests.test_payments import editor, payments, stored
from texts import notices
from texts.callback_data import Action, encode
from texts.i18n import Translator


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url, payments=True) as running:
        yield running


async def invoice_of(c: Community, notice: SandboxMessage) -> SandboxMessage:
    """Alice taps the notice's Pay button; the invoice it sends her."""
    label = next(b["text"] for b in notice.buttons() if b["text"].startswith("💳 Pay"))
    answer = await c.sandbox.tap(c.alice, notice, label)
    assert answer.text == "Invoice sent: tap Pay under it."
    return await c.sandbox.wait_for_message(
        c.alice.id, lambda m: m.invoice is not None, after=notice
    )


async def stopped_and_invoiced(c: Community) -> tuple[Money, SandboxMessage, SandboxMessage]:
    """The purchase stopped; what Alice owes, her stop notice, and the invoice its Pay sent."""
    await stopped_purchase(c)
    due = amounts_due(await stored(c))[c.alice.id].total
    notice = await c.sandbox.wait_for_message(c.alice.id, "has stopped")
    return due, notice, await invoice_of(c, notice)


async def test_a_member_pays_the_amount_due_and_it_is_recorded_once(database_url: str) -> None:
    async with community_running(database_url, payments=True) as c:
        await stopped_purchase(c)
        due = amounts_due(await stored(c))[c.alice.id].total
        notice = await c.sandbox.wait_for_message(c.alice.id, "has stopped")
        assert "Or pay right here in Telegram with the button below." in (notice.text or "")
        assert [b["text"] for b in notice.buttons()] == [f"💳 Pay €{due.amount} in Telegram"]

        invoice = await invoice_of(c, notice)
        assert invoice.invoice == {
            "title": "Wildflower honey from Altai",
            "description": "Purchase #1: 6 × Honey 1 kg",
            "start_parameter": "",
            "currency": "EUR",
            "total_amount": due.minor,
        }
        paid = await c.sandbox.pay(c.alice, invoice)
        assert (paid.ok, paid.error_message) == (True, None)
        receipt = await c.sandbox.wait_for_message(c.alice.id, "is received (paid in Telegram)")
        assert f"€{due.amount}" in (receipt.text or "")
        assert "You have paid everything that is due." in (receipt.text or "")
        to_head = await c.sandbox.wait_for_message(c.head.id, "paid €")
        assert (
            to_head.text
            == f"💳 Alice Zebra paid €{due.amount} for Wildflower honey from Altai in Telegram."
        )

        assert paid.payment is not None and paid.payment.successful_payment is not None
        charges = paid.payment.successful_payment
        [entry] = (await stored(c)).ledger
        assert (entry.member_id, entry.amount, entry.means) == (c.alice.id, due, Means.TELEGRAM)
        assert entry.charge == charges["telegram_payment_charge_id"]
        assert entry.provider_charge == charges["provider_payment_charge_id"]

        # Telegram delivers the payment again (same update), and once more as a new update:
        # nothing is recorded twice and nobody is told twice.
        c.sandbox.emulator.redeliver(paid.payment_update_id)
        again = c.sandbox.emulator.push_update(
            "message", c.sandbox.emulator.message_to_api(paid.payment)
        )
        await c.sandbox.emulator.wait_until(
            lambda: not any(u["update_id"] == again for u in c.sandbox.emulator._deliverable())
        )
        await asyncio.sleep(1.5)  # the notifier's round after the redelivery, had it recorded
        assert len((await stored(c)).ledger) == 1
        receipts = [
            m for m in c.sandbox.bot_messages(c.alice.id) if "paid in Telegram" in (m.text or "")
        ]
        assert len(receipts) == 1

        # The same invoice paid twice: refused at checkout, no money moves.
        twice = c.sandbox.checkout(c.alice, invoice)
        await c.sandbox.checked(twice)
        assert twice.ok is False
        assert twice.error_message == "Not done: you owe nothing for this purchase now"
        order = await editor(c, c.alice)
        assert "✅ Paid: the head has received" in (order.text or "")
        assert not any(b["text"].startswith("💳") for b in order.buttons())


async def test_a_checkout_is_refused_when_it_no_longer_fits(community: Community) -> None:
    c = community
    due, _notice, invoice = await stopped_and_invoiced(c)

    async def refusal(**checkout: object) -> str | None:
        pending = c.sandbox.checkout(c.alice, invoice, **checkout)  # type: ignore[arg-type]
        await c.sandbox.checked(pending)
        assert pending.ok is False
        return pending.error_message

    assert await refusal(currency="USD") == "Not done: this purchase is paid in EUR, not in USD"
    assert await refusal(total_amount=due.minor - 1) == (
        "Not done: the amount charged is not the amount of the invoice"
    )
    assert await refusal(payload="gb1:2:10002:100") == "Not done: no such purchase"
    assert await refusal(payload="something else") == "This invoice is not valid."

    # Forwarded to Bob, Alice's invoice is not his to pay.
    bobs = c.sandbox.checkout(c.bob, invoice)
    await c.sandbox.checked(bobs)
    assert (bobs.ok, bobs.error_message) == (
        False,
        "Not done: this invoice is for another member: tap Pay in your own /orders",
    )

    # The head records 5.00 in cash meanwhile: the invoice's amount is no longer due.
    await c.say(c.head, "/paid 1 #1 5.00", "Recorded")
    rest = due.minor - 500
    paid = await c.sandbox.pay(c.alice, invoice)
    assert paid.ok is False and paid.payment is None
    assert paid.error_message == (
        f"Not done: the amount due is now €{rest // 100}.{rest % 100:02d}, not €{due.amount}: "
        "tap Pay again for a new invoice"
    )
    assert [e.means for e in (await stored(c)).ledger] == [Means.CASH]

    # A payment Telegram reports that no checkout allowed (another currency): not recorded,
    # and the member is given the charge to claim it back.
    forged = c.sandbox.checkout(c.alice, invoice, currency="USD")
    await c.sandbox.checked(forged)
    c.sandbox.paid(c.alice, forged)
    warning = await c.sandbox.wait_for_message(c.alice.id, "could not be recorded")
    assert "this purchase is paid in EUR, not in USD" in (warning.text or "")
    assert "tg_" in (warning.text or "")
    assert [e.means for e in (await stored(c)).ledger] == [Means.CASH]

    # A new invoice asks for the rest, and paying it settles the account.
    order = await editor(c, c.alice)
    label = next(b["text"] for b in order.buttons() if b["text"].startswith("💳 Pay"))
    assert label == f"💳 Pay €{rest // 100}.{rest % 100:02d} in Telegram"
    await c.sandbox.tap(c.alice, order, label, answer="Invoice sent: tap Pay under it.")
    fresh = await c.sandbox.wait_for_message(
        c.alice.id, lambda m: m.invoice is not None, after=order
    )
    assert fresh.invoice is not None and fresh.invoice["total_amount"] == rest
    assert (await c.sandbox.pay(c.alice, fresh)).ok
    await c.sandbox.wait_for_message(c.alice.id, "You have paid everything that is due.")
    assert [e.means for e in (await stored(c)).ledger] == [Means.CASH, Means.TELEGRAM]


async def test_a_refund_owed_names_the_charge_to_refund(community: Community) -> None:
    c = community
    due, _notice, invoice = await stopped_and_invoiced(c)
    paid = await c.sandbox.pay(c.alice, invoice)
    await c.sandbox.wait_for_message(c.alice.id, "is received (paid in Telegram)")
    assert paid.payment is not None and paid.payment.successful_payment is not None
    charge = paid.payment.successful_payment["provider_payment_charge_id"]

    asked = await c.cancel("/cancel_purchase 1 The bees are asleep")
    # The question said what was paid and is to be given back.
    assert f"1 member has paid €{due.amount} in all: give it back" in (asked.text or "")
    listing = await payments(c)
    assert (
        f"#1 Alice Zebra: €{due.amount} (paid €{due.amount}, due €0.00) · paid in Telegram: "
        f"€{due.amount}, provider charge {charge}; give it back through the provider"
    ) in (listing.text or "")
    assert f"<code>{charge}</code>" in (listing.html or "")
    # Paying in Telegram after the cancel: refused at checkout.
    late = c.sandbox.checkout(c.bob, payload=f"gb1:1:{c.bob.id}:100", currency="EUR",
                              total_amount=100)  # fmt: skip
    await c.sandbox.checked(late)
    assert (
        late.error_message == "Not done: payments are not collected while the purchase is cancelled"
    )


async def test_without_a_provider_token_nothing_offers_to_pay_in_telegram(
    sqlite_url: str,
) -> None:
    async with community_running(sqlite_url) as c:
        await stopped_purchase(c)
        notice = await c.sandbox.wait_for_message(c.alice.id, "has stopped")
        assert notice.buttons() == []
        assert "pay right here" not in (notice.text or "")
        order = await editor(c, c.alice)
        assert not any(b["text"].startswith("💳") for b in order.buttons())
        pending = c.sandbox.press_forged(c.alice, order, encode(Action.ORDER_PAY, 1))
        answer = await c.sandbox.answer_of(pending)
        assert answer.text == "Paying in Telegram is not set up; pay the head as the purchase says."
        assert not any(m.invoice for m in c.sandbox.bot_messages(c.alice.id))


async def test_the_chat_page_shows_the_invoice_and_pays_it(community: Community) -> None:
    c = community
    due, notice, invoice = await stopped_and_invoiced(c)
    page = ChatPage(c.sandbox, c.chat)
    await page.start(0)
    try:
        async with aiohttp.ClientSession(page.url) as http:
            state = f"/api/state?user={c.alice.id}&chat={c.alice.id}"
            async with http.get(state) as response:
                shown = next(
                    m for m in (await response.json())["messages"] if m["id"] == invoice.message_id
                )
            assert shown["invoice"] == {
                "title": "Wildflower honey from Altai",
                "description": "Purchase #1: 6 × Honey 1 kg",
                "amount": f"€{due.amount}",
                "paid": False,
            }
            body = {"user": c.alice.id, "chat": c.alice.id, "message": invoice.message_id}
            async with http.post("/api/pay", json=body) as response:
                assert await response.json() == {"ok": True, "error": None}
            await c.sandbox.wait_for_message(c.alice.id, "is received (paid in Telegram)")
            async with http.get(state) as response:
                messages = (await response.json())["messages"]
            assert next(m for m in messages if m["id"] == invoice.message_id)["invoice"]["paid"]
            assert any((m["payment"] or "").startswith(f"You paid €{due.amount}") for m in messages)
            # Paid already: the app shows a receipt, not Pay; and the notice is not an invoice.
            async with http.post("/api/pay", json=body) as response:
                assert response.status == 400
            async with http.post("/api/pay", json=body | {"message": notice.message_id}) as r:
                assert r.status == 400
    finally:
        await page.stop()
    assert len((await stored(c)).ledger) == 1


async def test_a_chat_admin_sets_the_community_s_own_token_in_private(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:  # no platform token
        sandbox, emulator = c.sandbox, c.sandbox.emulator
        await sandbox.start(c.head)
        sent = await sandbox.send(c.bob, "/paytoken", chat=c.chat)
        await sandbox.wait_for_message(c.chat.id, "Only chat admins can set where", after=sent)
        sent = await sandbox.send(c.head, "/paytoken", chat=c.chat)
        shown = await sandbox.wait_for_message(c.chat.id, "Paying in Telegram is off", after=sent)
        [link] = [b["url"] for b in shown.buttons()]
        assert link == f"https://t.me/{emulator.bot.username}?start=t{c.chat.id}"

        # A token posted in the group is deleted at once, and nothing is saved.
        leaked = await sandbox.send(c.head, "/paytoken 1:TEST:leaked", chat=c.chat)
        await sandbox.wait_for_message(c.chat.id, "Never post a payment token", after=leaked)
        assert emulator.messages[(c.chat.id, leaked.message_id)].deleted

        # Bob follows the link: he is no chat admin.
        await sandbox.open_link(c.bob, link)
        await sandbox.wait_for_message(c.bob.id, "Only a chat admin of that community")

        asked = await sandbox.open_link(c.head, link)
        await sandbox.wait_for_message(c.head.id, "Send me the payment provider token", after=asked)
        wrong = await sandbox.send(c.head, "my password")
        await sandbox.wait_for_message(
            c.head.id, "Not done: that is not a payment provider token", after=wrong
        )
        token = emulator.connect_provider()
        asked = await sandbox.open_link(c.head, link)
        await sandbox.wait_for_message(c.head.id, "Send me the payment provider token", after=asked)
        given = await sandbox.send(c.head, token)
        await sandbox.wait_for_message(c.head.id, "Saved for Block 5", after=given)
        assert emulator.messages[(c.head.id, given.message_id)].deleted
        async with c.runtime.database.unit_of_work() as uow:
            community = await uow.communities.get(c.chat.id)
        assert community is not None and community.payment_token == token
        assert token not in repr(community)

        # The community's members now pay with its token.
        await stopped_purchase(c)
        notice = await sandbox.wait_for_message(c.alice.id, "has stopped")
        invoice = await invoice_of(c, notice)
        [call] = [call for call in emulator.calls if call.method == "sendInvoice"]
        assert call.params["provider_token"] == token
        assert (await sandbox.pay(c.alice, invoice)).ok
        await sandbox.wait_for_message(c.alice.id, "is received (paid in Telegram)")

        sent = await sandbox.send(c.head, "/paytoken OFF", chat=c.chat)
        await sandbox.wait_for_message(c.chat.id, "Removed", after=sent)
        order = await editor(c, c.bob)
        assert not any(b["text"].startswith("💳") for b in order.buttons())
        assert "I paid" in [b["text"] for b in order.buttons()]


async def test_a_fault_while_paying_never_asks_to_pay_again(community: Community) -> None:
    c = community
    _due, _notice, invoice = await stopped_and_invoiced(c)
    async with c.runtime.database.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE ledger_entries RENAME TO ledger_away"))
    try:
        # The checkout reads the purchase (kept in memory) and passes; recording the payment
        # fails. The member is told not to pay again, with the charge to show the head.
        charged = await c.sandbox.pay(c.alice, invoice)
        assert charged.ok
        told = await c.sandbox.wait_for_message(c.alice.id, "Do not pay again")
        assert charged.payment is not None and charged.payment.successful_payment is not None
        charge = charged.payment.successful_payment["telegram_payment_charge_id"]
        assert f"<code>{charge}</code>" in (told.html or "")
        assert not any("try again" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))
    finally:
        async with c.runtime.database.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE ledger_away RENAME TO ledger_entries"))
    assert (await stored(c)).ledger == []


def test_the_head_s_note_of_several_payments_names_each_and_the_total() -> None:
    p = purchase()
    paid = [("Alice <3", eur("12.50")), ("Bob", eur("7.00"))]
    assert notices.paid_in_telegram_together(Translator("en"), p, paid) == (
        "💳 Paid in Telegram for <b>Wildflower honey</b>: Alice &lt;3 €12.50, Bob €7.00 "
        "(2 payments, €19.50 in all)."
    )
    many = [(f"N{n}", eur("1.00")) for n in range(45)]
    text = notices.paid_in_telegram_together(Translator("ru"), p, many)
    assert "и ещё 5" in text and "45 платежей" in text
