"""A member's order editor keeps telling the truth as the purchase moves on: after a cancel
nothing is due (what she paid goes back), a member the head took out for not paying is told
so (and her old Pay / I paid say so too), the others' editors show their new shares, and the
answer to the unusual-quantity question keeps her on the item she was changing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import ledger, services
from domain.adjustments import TakenOut
from domain.errors import N_
from domain.money import Money
from domain.permissions import Actor
from domain.purchase import STATUS_WORDS, Purchase, PurchaseStatus
from domain.services.unit import apply
from handlers.my_orders import order_label
from handlers.purchase_card import not_done
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.builders import NOW, item, purchase
from tests.support.scenario import (
    TIMEZONE,
    Community,
    community_running,
    joined_toast,
    local,
    template,
)
from tests.test_order_editor_phone import SEVEN_IN_SIZES
from texts.callback_data import Action, encode
from texts.i18n import Translator

SIMPLE = template(**{"Min order": "", "If short": ""})


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


async def editor_of(c: Community, member: SandboxUser) -> SandboxMessage:
    opened = await c.sandbox.start(member, "o1")
    return await c.sandbox.wait_for_message(member.id, "🛒", after=opened)


def labels(message: SandboxMessage) -> list[str]:
    return [b["text"] for b in message.buttons()]


async def stored_purchase(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        found = await uow.purchases.get(1)
    assert found is not None
    return found


async def paid(c: Community, member: SandboxUser, amount: str) -> None:
    """The head recorded money received from the member."""
    now = datetime.now(UTC)
    await apply(
        c.runtime.database.unit_of_work(),
        1,
        lambda p: ledger.record_payment(p, Actor(c.head.id), member.id, eur(amount), now),
    )


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_cancelled_purchase_s_editor_shows_nothing_due_and_what_goes_back(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language, TIMEZONE)
    async with community_running(sqlite_url, language=language) as c:
        await c.publish(SIMPLE)
        editors = {}
        for member in (c.alice, c.bob):
            editor = await editor_of(c, member)
            await c.sandbox.tap(member, editor, "+1 Honey 0.5 kg", answer=t.gettext("Updated."))
            editors[member.id] = await c.sandbox.wait_for_edit(editor, "Honey 0.5 kg: 1")
        await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
        for member in (c.alice, c.bob):
            editors[member.id] = await c.sandbox.wait_for_edit(editors[member.id], "🛑")
        total_due = t.gettext("<b>Total due {total}</b>").split("{")[0].replace("<b>", "")
        assert total_due in (editors[c.alice.id].text or "")
        await paid(c, c.alice, "5.00")
        await services.cancel(c.runtime.database.unit_of_work(), 1, Actor(c.head.id), "")
        cancelled = t.gettext("❌ Cancelled by the head")
        alice = await c.sandbox.wait_for_edit(editors[c.alice.id], cancelled)
        bob = await c.sandbox.wait_for_edit(editors[c.bob.id], cancelled)
        for editor in (alice, bob):
            assert total_due not in (editor.text or "")
            assert t.money(eur("7.00")) not in (editor.text or "")  # the goods: owed no more
            assert [b["text"] for b in editor.buttons()] == [t.gettext("Refresh")]
        back = t.gettext("↩️ You paid {amount}; the head gives it back to you.")
        assert back.format(amount=t.money(eur("5.00"))) in (alice.text or "")
        assert t.gettext("💶 Nothing to pay.") in (bob.text or "")
        # Once the head gave it back, the editor says so (not "paid: €0.00").
        now = datetime.now(UTC)
        await apply(
            c.runtime.database.unit_of_work(),
            1,
            lambda p: ledger.record_refund(p, Actor(c.head.id), c.alice.id, eur("5.00"), now),
        )
        await c.sandbox.tap(c.alice, alice, t.gettext("Refresh"), answer="")
        given = t.gettext("↩️ The head gave back the {amount} you paid.")
        await c.sandbox.wait_for_edit(alice, given.format(amount=t.money(eur("5.00"))))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_orders_list_shows_no_amount_due_after_a_cancel(language: str) -> None:
    t = Translator(language, TIMEZONE)
    apples = purchase([item(1, name="Apples", price="8.00")], status=PurchaseStatus.OPEN)
    apples.set_quantity(5, "Alice", 1, 1, NOW)
    apples.set_quantity(6, "Bob", 1, 1, NOW)
    apples.stop_now(Actor(apples.head_id))
    ledger.record_payment(apples, Actor(apples.head_id), 5, eur("3.00"), NOW)
    assert t.money(eur("8.00")) in order_label(t, apples, 6)
    apples.cancel(Actor(apples.head_id), "")
    assert t.money(eur("8.00")) not in order_label(t, apples, 6)
    assert order_label(t, apples, 6).endswith(t.gettext(STATUS_WORDS[PurchaseStatus.CANCELLED]))
    back = t.gettext("{amount} back to you").format(amount=t.money(eur("3.00")))
    assert order_label(t, apples, 5).endswith(back)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_members_taken_out_for_not_paying_see_it_in_their_editors_and_old_buttons(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language, TIMEZONE)
    paying = template(**{"Min order": "", "If short": "", "Pay to": "IBAN DE12 3456 7890",
                         "Pay by": local(5)})  # fmt: skip
    async with community_running(sqlite_url, language=language) as c:
        await c.publish(paying)
        editors = {}
        for member in (c.alice, c.bob):
            editor = await editor_of(c, member)
            await c.sandbox.tap(member, editor, "+1 Honey 0.5 kg", answer=t.gettext("Updated."))
            editors[member.id] = await c.sandbox.wait_for_edit(editor, "Honey 0.5 kg: 1")
        await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
        for member in (c.alice, c.bob):
            editors[member.id] = await c.sandbox.wait_for_edit(editors[member.id], "🛑")
        assert t.gettext("I paid") in labels(editors[c.bob.id])
        before = editors[c.alice.id].text or ""
        await paid(c, c.alice, "1.00")
        stored = await stored_purchase(c)
        who = ledger.fingerprint(ledger.never_paid(stored))
        await services.drop_unpaid(
            c.runtime.database.unit_of_work(), 1, Actor(c.head.id), datetime.now(UTC), who
        )
        assert stored.pay_by is not None
        words = t.gettext(
            "✂️ The head took you out of this purchase for not paying by {pay_by}. You owe nothing."
        ).format(pay_by=t.when(stored.pay_by))
        bob = await c.sandbox.wait_for_edit(editors[c.bob.id], words)
        assert labels(bob) == [t.gettext("Refresh")]  # no Pay, no I paid
        # Alice's share of the delivery grew: her editor shows her new amount.
        alice = await c.sandbox.wait_for_edit(editors[c.alice.id], lambda m: m.text != before)
        assert t.gettext("I paid") in labels(alice)
        # Pay or I paid pressed on an old message says why she owes nothing.
        taken_out = TakenOut(
            N_("you were taken out of {title} for not paying by {pay_by}; you owe nothing"),
            title=stored.title,
            pay_by=stored.pay_by,
        )
        for action in (Action.ORDER_PAID, Action.ORDER_PAY):
            old = c.sandbox.press_forged(c.bob, bob, encode(action, 1))
            answer = await c.sandbox.answer_of(old)
            assert answer.text == not_done(t, taken_out)
        # Opened again from the card, the editor still says so.
        again = await editor_of(c, c.bob)
        assert words in (again.text or "") and labels(again) == [t.gettext("Refresh")]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_member_taken_out_reads_the_pay_by_time_in_her_community_s_timezone(
    sqlite_url: str, language: str
) -> None:
    """Her old Pay or I paid names the pay-by time as her editor does: in the community's
    timezone, not the bot's default one."""
    tokyo = Translator(language, "Asia/Tokyo")
    assert TIMEZONE != "Asia/Tokyo"
    paying = template(**{"Min order": "", "If short": "", "Pay to": "IBAN DE12 3456 7890",
                         "Pay by": local(5)})  # fmt: skip
    async with community_running(sqlite_url, language=language) as c:
        await c.publish(paying)
        editor = await editor_of(c, c.bob)
        await c.sandbox.tap(c.bob, editor, "+1 Honey 0.5 kg", answer=tokyo.gettext("Updated."))
        await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
        editor = await c.sandbox.wait_for_edit(editor, "🛑")
        sent = await c.sandbox.send(c.head, "/settings timezone Asia/Tokyo", chat=c.chat)
        await c.sandbox.wait_for_message(c.chat.id, tokyo.gettext("Saved."), after=sent)
        stored = await stored_purchase(c)
        who = ledger.fingerprint(ledger.never_paid(stored))
        await services.drop_unpaid(
            c.runtime.database.unit_of_work(), 1, Actor(c.head.id), datetime.now(UTC), who
        )
        assert stored.pay_by is not None
        words = tokyo.gettext(
            "✂️ The head took you out of this purchase for not paying by {pay_by}. You owe nothing."
        ).format(pay_by=tokyo.when(stored.pay_by))
        editor = await c.sandbox.wait_for_edit(editor, words)
        taken_out = TakenOut(
            N_("you were taken out of {title} for not paying by {pay_by}; you owe nothing"),
            title=stored.title,
            pay_by=stored.pay_by,
        )
        for action in (Action.ORDER_PAID, Action.ORDER_PAY):
            old = c.sandbox.press_forged(c.bob, editor, encode(action, 1))
            answer = await c.sandbox.answer_of(old)
            assert answer.text == not_done(tokyo, taken_out)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_answer_to_an_unusual_quantity_keeps_the_compact_editor_at_its_item(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language, TIMEZONE)
    back = t.gettext("↩️ Back")
    async with community_running(sqlite_url, language=language) as c:
        await c.publish(SEVEN_IN_SIZES)
        shirt = next(i for i in (await stored_purchase(c)).items if i.label == "Shirt C, M")
        now = datetime.now(UTC)
        await apply(  # the most anyone would usually order of it here: 100
            c.runtime.database.unit_of_work(),
            1,
            lambda p: p.set_quantity(c.alice.id, "Alice", shirt.item_id, 100, now),
        )
        editor = await editor_of(c, c.alice)
        await c.sandbox.tap(c.alice, editor, "Shirt C · 100", answer="")
        sizes = await c.sandbox.wait_for_edit(editor, lambda m: back in labels(m))
        confirm = t.gettext("✅ Confirm {quantity} × {item}").format(
            quantity=101, item="Shirt C, M"
        )
        for answer, label, units in (
            ("", t.gettext("✏️ Change"), 100),
            (t.gettext("Updated."), confirm, 101),
        ):
            await c.sandbox.tap(c.alice, sizes, "+1 Shirt C, M", answer="")
            asked = await c.sandbox.wait_for_edit(editor, lambda m: confirm in labels(m))
            await c.sandbox.tap(c.alice, asked, label, answer=answer)
            sizes = await c.sandbox.wait_for_edit(editor, lambda m: back in labels(m))
            assert f"Shirt C, M: {units}" in (sizes.text or "")
            assert "−1 Shirt C, M" in labels(sizes)  # still at Shirt C


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_plus_one_on_the_card_redraws_the_member_s_open_editor(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language, TIMEZONE)
    async with community_running(sqlite_url, language=language) as c:
        card = await c.publish(SIMPLE)
        editor = await editor_of(c, c.alice)
        assert t.gettext("You have not ordered anything yet.") in (editor.text or "")
        for units in (1, 2):
            toast = joined_toast(t, units, "Honey 1 kg")
            await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer=toast)
        # Her taps are drawn in her editor (the latest state wins), in her language.
        editor = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 2")
        estimate = t.gettext("<b>Total {total}</b> (an estimate until the stop)")
        assert estimate.split("{total}")[1].replace("</b>", "") in (editor.text or "")
