"""A member's order editor keeps telling the truth as the purchase moves on: after a cancel
nothing is due (what she paid goes back), a member the head took out for not paying is told
so (and her old Pay / I paid say so too), the others' editors show their new shares, and the
answer to the unusual-quantity question keeps her on the item she was changing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import ledger, services
from domain.money import Money
from domain.permissions import Actor
from domain.purchase import STATUS_WORDS, PurchaseStatus
from domain.services.unit import apply
from handlers.my_orders import order_label
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.builders import NOW, item, purchase
from tests.support.scenario import TIMEZONE, Community, community_running, template
from texts.i18n import Translator

SIMPLE = template(**{"Min order": "", "If short": ""})


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


async def editor_of(c: Community, member: SandboxUser) -> SandboxMessage:
    opened = await c.sandbox.start(member, "o1")
    return await c.sandbox.wait_for_message(member.id, "🛒", after=opened)


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
