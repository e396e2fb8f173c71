"""Goods sold by weight are told with their kilograms wherever a member's lines are listed:
what she gets at the stop, the pickup notice, the head's handover card — "about" the estimate
until weighed, the real weight after; in English and Russian."""

from __future__ import annotations

from domain.purchase import Purchase
from tests.support.scenario import Community, joined_toast, tap_and_confirm, template
from texts.i18n import Translator

CHEESE = template(
    Item="Cheese | 18.00 per kg | about 0.5 kg",
    Item2="",
    **{"Min order": "", "Fee": "", "Delivery": "", "If short": "", "Payment": "postpay"},
)


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


def cheese(t: Translator, grams: int, weighed: bool) -> str:
    weight = t.gettext("{weight} kg") if weighed else t.gettext("about {weight} kg")
    return f"2 × Cheese ({weight.format(weight=t.kilograms(grams))})"


async def test_a_member_is_told_the_kilograms_of_her_goods_sold_by_weight(
    bilingual: Community,
) -> None:
    c = bilingual
    t = c.translator()
    await c.started(c.head, c.alice)
    card = await c.publish(CHEESE)
    for units in (1, 2):
        await c.sandbox.tap(c.alice, card, "+1 Cheese", answer=joined_toast(t, units, "Cheese"))
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, t.gettext("Stop now"), t)
    stopped = await c.sandbox.wait_for_message(c.alice.id, "🛑")
    about = t.gettext("You get: {lines}").format(lines=cheese(t, 1000, weighed=False))
    assert about in (stopped.text or "")
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, t.gettext("Mark ordered"), t)
    await c.sandbox.wait_for_edit(panel, lambda m: t.gettext("Mark arrived") in str(m.buttons()))
    await tap_and_confirm(c.sandbox, c.head, panel, t.gettext("Mark arrived"), t)
    code = (await stored(c)).pickup_codes[c.alice.id]
    notice = await c.sandbox.wait_for_message(c.alice.id, code)
    assert cheese(t, 1000, weighed=False) in notice.body
    saved = t.ngettext(
        "Saved. {count} member gets their new lines and amount.",
        "Saved. {count} members get their new lines and amounts.",
        1,
    ).format(count=1)
    await c.say(c.head, "/weights 1\n1: 1.104", saved)
    handover = await c.say(c.head, code, "📦 Alice Zebra")
    assert t.gettext("Hand over: {lines}").format(lines=cheese(t, 1104, weighed=True)) in (
        handover.text or ""
    )
