"""Money after the stop, through the sandbox and the real Application, as a head and members
live it: a withdrawal that costs a paid member the price tier (in English and in Russian), the
pay-by time with its reminder and the offer to take out who paid nothing, cash collected at a
postpaid pickup, Complete with money still open, and honest reach figures."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from domain import ledger
from domain.money import Money
from domain.payments import Means
from domain.purchase import Purchase, PurchaseStatus
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.running import ShiftedClock, eventually
from tests.support.scenario import (
    Community,
    community_running,
    joined_toast,
    local,
    tap_and_confirm,
)
from texts.i18n import Translator, pick_language

CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


def gouda(**extra: str) -> str:
    """Gouda at 8.40, 7.90 from 10 units; delivery 4.00 shared per member; prepaid."""
    lines = {
        "Title": "Farm gouda",
        "Item": "Gouda | 8.40; 7.90 from 10",
        "Deadline": local(3),
        "Pickup": f"{local(6)[:10]} 10:00-12:00 | Community hall",
        "Delivery": "4.00 per member",
        "Pay to": "IBAN DE12 3456 7890",
        "Pay by": local(5),
    } | extra
    return "\n".join(f"{key}: {value}" for key, value in lines.items() if value)


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


async def started(c: Community, *people: SandboxUser) -> None:
    for person in people:
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)


async def orders(c: Community, member: SandboxUser) -> SandboxMessage:
    sent = await c.sandbox.send(member, "/orders")
    return await c.sandbox.wait_for_message(member.id, lambda m: bool(m.buttons()), after=sent)


async def panel(c: Community) -> SandboxMessage:
    sent = await c.sandbox.send(c.head, "/purchases")
    return await c.sandbox.wait_for_message(
        c.head.id, lambda m: bool(m.buttons()) and "🛒" in (m.text or ""), after=sent
    )


ENGLISH = Translator(pick_language("en"), "Europe/Berlin")


async def joined(
    c: Community, card: SandboxMessage, alice: int, bob: int, t: Translator = ENGLISH
) -> None:
    label = next(b["text"] for b in card.buttons() if b["text"].startswith("+1"))
    for person, taps in ((c.alice, alice), (c.bob, bob)):
        for units in range(1, taps + 1):
            await c.sandbox.tap(person, card, label, answer=joined_toast(t, units, "Gouda"))


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_withdrawal_after_the_stop_tells_the_paid_member_she_owes_three_more(
    sqlite_url: str, language: str
) -> None:
    t = Translator(pick_language(language), "Europe/Berlin")
    async with community_running(sqlite_url, language=language) as c:
        await started(c, c.head, c.alice, c.bob)
        card = await c.publish(gouda())
        await joined(c, card, alice=2, bob=8, t=t)
        control = await panel(c)
        await tap_and_confirm(c.sandbox, c.head, control, t.gettext("Stop now"), t)
        stop = await c.sandbox.wait_for_message(c.alice.id, "🛑")
        stop_text = stop.text or ""
        assert t.money(eur("17.80")) in stop_text
        assert "IBAN DE12 3456 7890" in stop_text  # where to pay, and by when
        assert t.gettext("Pay by {when}.").split("{")[0] in stop_text

        # Alice pays 17.80; the head finds it.
        editor = await orders(c, c.alice)
        noted = t.gettext("Noted. The head will confirm your payment.")
        await c.sandbox.tap(c.alice, editor, t.gettext("I paid"), answer=noted)
        claim = await c.sandbox.wait_for_message(c.head.id, "💰")
        assert t.money(eur("17.80")) in (claim.text or "")
        recorded = t.gettext("Recorded; the member is told.")
        await c.sandbox.tap(c.head, claim, t.gettext("✅ Received"), answer=recorded)
        await c.sandbox.wait_for_message(c.alice.id, "✅")

        # Bob asks to leave; the head sees what it would change before accepting.
        editor = await orders(c, c.bob)
        asked = t.gettext("Asked. The head will answer.")
        await c.sandbox.tap(c.bob, editor, t.gettext("Ask the head to withdraw me"), answer=asked)
        request = await c.sandbox.wait_for_message(
            c.head.id, lambda m: "Bob" in (m.text or "") and len(m.buttons()) == 2
        )
        await c.sandbox.tap(c.head, request, t.gettext("Accept"), answer="")
        preview = await c.sandbox.wait_for_edit(request, "→")
        preview_text = preview.text or ""
        assert f"Alice Zebra: {t.money(eur('17.80'))} → {t.money(eur('20.80'))}" in preview_text
        assert t.money(eur("3.00")) in preview_text  # still to collect from her
        reaches = t.gettext("the order no longer reaches {units}").format(units=t.units(10))
        assert reaches in preview_text
        assert (await stored(c)).participant_ids() == [c.alice.id, c.bob.id]  # not yet
        answer = await c.sandbox.tap(
            c.head, preview, t.gettext("✅ Yes, withdraw {name}").format(name="Bob")
        )
        assert answer.text == t.gettext("Accepted.")

        # Alice is told her new amount, why, and that 3.00 is still to pay.
        told = await c.sandbox.wait_for_message(c.alice.id, "💶")
        text = told.text or ""
        assert t.gettext("a member left the purchase") in text
        assert "Bob" not in text  # members never learn who left
        assert (
            t.gettext("{item}: {after} a unit instead of {before}").format(
                item="Gouda", after=t.money(eur("8.40")), before=t.money(eur("7.90"))
            )
            in text
        )
        assert (
            t.gettext("You had paid {paid}: {rest} is still to pay.").format(
                paid=t.money(eur("17.80")), rest=t.money(eur("3.00"))
            )
            in text
        )
        assert "IBAN DE12 3456 7890" in text
        bob = await c.sandbox.wait_for_message(c.bob.id, "Farm gouda", after=editor)
        assert t.gettext("You are no longer in {title}; nothing is due from you.").format(
            title="Farm gouda"
        ) == (bob.text or "")
        summary = await c.sandbox.wait_for_message(c.head.id, "💶")
        assert f"Alice Zebra: {t.money(eur('17.80'))} → {t.money(eur('20.80'))}" in (
            summary.text or ""
        )
        if language == "ru":
            for message in (stop, told, bob, summary, preview):
                assert CYRILLIC.search(message.text or ""), message.text

        # Her order shows the rest to pay with "I paid"; the head's view says who owes what.
        editor = await orders(c, c.alice)
        assert t.gettext("💰 You paid {paid}; {rest} is still to pay.").format(
            paid=t.money(eur("17.80")), rest=t.money(eur("3.00"))
        ) in (editor.text or "")
        assert t.gettext("I paid") in [b["text"] for b in editor.buttons()]
        control = await panel(c)
        await c.sandbox.tap(c.head, control, t.gettext("Payments"), answer="")
        listing = await c.sandbox.wait_for_message(c.head.id, "💶", after=control)
        listing_text = listing.text or ""
        assert (
            t.gettext(
                "Due {due} · collected {collected} · to collect {to_collect} · "
                "to give back {to_give_back}"
            ).format(
                due=t.money(eur("20.80")),
                collected=t.money(eur("17.80")),
                to_collect=t.money(eur("3.00")),
                to_give_back=t.money(eur("0.00")),
            )
            in listing_text
        )
        assert (
            "#1 Alice Zebra: "
            + t.money(eur("3.00"))
            + " "
            + t.gettext("of {due}, paid {paid}").format(
                due=t.money(eur("20.80")), paid=t.money(eur("17.80"))
            )
            in listing_text
        )
        answer = await c.sandbox.tap(c.head, listing, t.gettext("📣 Remind all unpaid"))
        assert answer.text == t.ngettext(
            "Reminded {count} member.", "Reminded {count} members.", 1
        ).format(count=1)
        reminder = await c.sandbox.wait_for_message(c.alice.id, "💰", after=told)
        assert t.money(eur("3.00")) in (reminder.text or "")

        # The export's balances add up to what is still open.
        await c.sandbox.tap(c.head, control, t.gettext("Export"), answer="")
        await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.head.id)) == 2)
        workbook = load_workbook(
            io.BytesIO(dict(c.sandbox.documents(c.head.id))["purchase-1.xlsx"])
        )
        rows = list(workbook[t.gettext("Members")[:31]].iter_rows(values_only=True))
        alice = next(row for row in rows if row[0] == "Alice Zebra")
        assert [Decimal(str(value)) for value in alice[5:9]] == [
            Decimal("20.80"), Decimal("17.80"), Decimal(0), Decimal("3.00"),
        ]  # fmt: skip
        balances = sum(Decimal(str(row[8])) for row in rows[1:-1])
        assert balances == Decimal(str(rows[-1][8])) == Decimal("3.00")


async def test_the_pay_by_time_reminds_then_offers_to_take_out_who_paid_nothing(
    sqlite_url: str,
) -> None:
    clock = ShiftedClock()
    async with community_running(sqlite_url, clock) as c:
        carol = c.sandbox.user("Carol")
        c.sandbox.join(c.chat, carol)
        await started(c, c.head, c.alice, c.bob, carol)
        card = await c.publish(gouda())
        await joined(c, card, alice=2, bob=3)
        await c.sandbox.tap(carol, card, "+1 Gouda", answer="You're in: 1 × Gouda")
        control = await panel(c)
        await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
        await c.sandbox.wait_for_message(c.alice.id, "🛑")
        # 3 members share the 4.00 delivery: 1.34 (the odd cent to the first), 1.33, 1.33.
        await c.say(c.head, "/paid 1 Alice Zebra 18.14", "Recorded: €18.14 received")
        await c.say(c.head, "/paid 1 Carol 1.00", "Recorded: €1.00 received")  # part of it
        purchase = await stored(c)
        assert purchase.pay_by is not None

        # A day before the pay-by time: those who still owe hear it, with where to pay.
        clock.offset = purchase.pay_by - timedelta(hours=23) - datetime.now(UTC)
        await c.runtime.timeline.sweep()
        reminder = await c.sandbox.wait_for_message(c.bob.id, "⏰ Please pay")
        assert "IBAN DE12 3456 7890" in (reminder.text or "")
        await c.sandbox.wait_for_message(carol.id, "⏰ Please pay")
        await c.runtime.timeline.sweep()  # a second sweep sends nothing twice
        # ...and, the purchase still collecting, its sweep still remembers the reminder sent.
        assert (1, "remind", purchase.pay_by) in c.runtime.timeline._payment_moments
        await c.runtime.timeline.pay_reminder(1)
        assert sum("⏰ Please pay" in (m.text or "") for m in c.sandbox.bot_messages(c.bob.id)) == 1
        assert not any("Please pay" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))

        # At the pay-by time the head gets who owes and the offer for who paid nothing.
        clock.offset = purchase.pay_by + timedelta(minutes=1) - datetime.now(UTC)
        await c.runtime.timeline.sweep()
        offer = await c.sandbox.wait_for_message(c.head.id, "The pay-by time of")
        assert "Bob" in (offer.text or "") and "Carol" in (offer.text or "")
        assert "You may take out the 1 member who paid nothing" in (offer.text or "")
        await c.sandbox.tap(c.head, offer, "✂️ Take out those who paid nothing", answer="")
        preview = await c.sandbox.wait_for_message(c.head.id, "Take out the 1 member", after=offer)
        assert "(Bob)?" in (preview.text or "")
        assert "Alice Zebra: €18.14 → €18.80" in (preview.text or "")  # 4.00 shared by two now
        assert (await stored(c)).participant_ids() == [c.alice.id, c.bob.id, carol.id]
        # No keeps everyone; asked again, yes takes Bob out.
        await c.sandbox.tap(c.head, preview, "↩️ No, keep them", answer="Nothing changed.")
        await c.sandbox.wait_for_edit(preview, lambda m: not m.buttons())
        assert (await stored(c)).participant_ids() == [c.alice.id, c.bob.id, carol.id]
        await c.sandbox.tap(c.head, offer, "✂️ Take out those who paid nothing", answer="")
        preview = await c.sandbox.wait_for_message(
            c.head.id, "Take out the 1 member", after=preview
        )
        answer = await c.sandbox.tap(c.head, preview, "✂️ Yes, take them out")
        assert answer.text == "Done. Everyone affected is told."
        out = await c.sandbox.wait_for_message(c.bob.id, "You were taken out of")
        assert "Nothing is due from you." in (out.text or "")
        alice = await c.sandbox.wait_for_message(c.alice.id, "💶")
        assert "members who had not paid by the pay-by time were taken out" in (alice.text or "")
        assert "You had paid €18.14: €0.66 is still to pay." in (alice.text or "")
        assert (await stored(c)).participant_ids() == [c.alice.id, carol.id]
        # Pressed again, it is refused: nobody is left who paid nothing.
        again = await c.sandbox.tap(c.head, preview, "✂️ Yes, take them out")
        assert again.text is not None and again.text.startswith("Not done:")


async def test_a_postpaid_pickup_collects_cash_by_code(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await started(c, c.head, c.alice, c.bob)
        card = await c.publish(gouda(Payment="postpay", **{"Pay by": ""}))
        await joined(c, card, alice=2, bob=0)
        control = await panel(c)
        await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
        stop = await c.sandbox.wait_for_message(c.alice.id, "🛑")
        assert "You pay the head when you pick up your goods." in (stop.text or "")
        control = await panel(c)
        await tap_and_confirm(c.sandbox, c.head, control, "Mark ordered")
        await c.sandbox.wait_for_edit(control, "Ordered")
        await tap_and_confirm(c.sandbox, c.head, control, "Mark arrived")
        notice = await c.sandbox.wait_for_message(c.alice.id, "Your pickup code")
        due = eur("20.80")  # 2 × 8.40 + the whole 4.00 delivery
        assert f"Please bring €{due.amount}: you pay the head at pickup." in notice.body
        code = (await stored(c)).pickup_codes[c.alice.id]

        card_text = await c.say(c.head, f" {code[:2].lower()} {code[2:]} ", "To collect")
        assert f"Alice Zebra — code {code}" in (card_text.text or "")
        assert "Hand over: 2 × Gouda" in (card_text.text or "")
        assert [b["text"] for b in card_text.buttons()] == [
            f"✅ Handed over, €{due.amount} received", "Handed over, not paid yet", "Not now",
        ]  # fmt: skip
        answer = await c.sandbox.tap(c.head, card_text, f"✅ Handed over, €{due.amount} received")
        assert answer.text == "Handed over."
        done = await c.sandbox.wait_for_edit(card_text, "Already handed over on")
        assert "by you." in (done.text or "")
        assert [b["text"] for b in done.buttons()] == ["↩️ Undo the handover"]
        await c.sandbox.wait_for_message(c.alice.id, "The head has received your payment")
        await c.sandbox.wait_for_message(c.alice.id, "You have received your goods")
        purchase = await stored(c)
        [entry] = purchase.ledger
        assert (entry.amount, entry.means, entry.recorded_by) == (due, Means.CASH, c.head.id)
        assert ledger.account_of(purchase, c.alice.id).balance.minor == 0
        again = await c.say(c.head, code, "Already handed over on")
        assert [b["text"] for b in again.buttons()] == ["↩️ Undo the handover"]

        control = await panel(c)
        await tap_and_confirm(c.sandbox, c.head, control, "Complete")  # every balance settled
        await c.sandbox.wait_for_edit(control, "Completed")


async def test_complete_asks_before_closing_with_money_still_open(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await started(c, c.head, c.alice, c.bob)
        card = await c.publish(gouda(**{"Pay by": ""}))
        await joined(c, card, alice=2, bob=1)
        control = await panel(c)
        await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
        await c.sandbox.wait_for_message(c.alice.id, "🛑")
        await c.say(c.head, "/paid 1 Alice Zebra 18.80", "Recorded")
        await tap_and_confirm(c.sandbox, c.head, control, "Mark ordered")
        await c.sandbox.wait_for_edit(control, "Ordered")
        await tap_and_confirm(c.sandbox, c.head, control, "Mark arrived")
        await c.sandbox.wait_for_edit(control, "Arrived")
        await c.sandbox.tap(c.head, control, "Complete", answer="")
        ask = await c.sandbox.wait_for_message(c.head.id, "Not completed yet", after=control)
        assert "€10.40 is still to collect" in (ask.text or "")  # Bob: 8.40 + 2.00
        assert (await stored(c)).status is PurchaseStatus.ARRIVED
        await c.sandbox.tap(c.head, ask, "Close with open balances", answer="Done.")
        await c.sandbox.wait_for_edit(ask, "Completed")
        purchase = await stored(c)
        assert purchase.status is PurchaseStatus.COMPLETED
        assert ledger.account_of(purchase, c.bob.id).balance == eur("10.40")  # on record


async def test_reach_counts_only_members_the_bot_can_write_to(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await started(c, c.head, c.alice)  # Bob never opens the bot
        card = await c.publish(gouda(**{"Pay by": ""}))
        await joined(c, card, alice=1, bob=1)
        await c.say(c.head, "/message 1 The truck is late", "Sent to 1 participant.")
        sent = c.sandbox.bot_messages(c.head.id)[-1]
        assert "I cannot write to these members" in (sent.text or "") and "Bob" in (sent.text or "")
        control = await panel(c)
        await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
        await c.sandbox.wait_for_message(c.alice.id, "🛑")
        control = await panel(c)
        await c.sandbox.tap(c.head, control, "Payments", answer="")
        listing = await c.sandbox.wait_for_message(c.head.id, "Payments of", after=control)
        answer = await c.sandbox.tap(c.head, listing, "📣 Remind all unpaid")
        assert answer.text == "Reminded 1 member."
        named = await c.sandbox.wait_for_message(
            c.head.id, "I cannot write to these members", after=listing
        )
        assert "Bob" in (named.text or "")
        await eventually(
            lambda: any("A reminder" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))
        )
