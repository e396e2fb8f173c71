"""/arrived and Complete ask once before they tell members anything: /arrived names the
purchase, the members told and the slots as read, and its "yes" reads the slots from the
command it answers; Complete says how many have not collected and what they are told. A "no"
keeps everything; a stale, forged or repeated "yes" is refused. In English and Russian."""

from __future__ import annotations

import time

from domain.purchase import Purchase, PurchaseStatus
from sandbox.model import SandboxMessage
from tests.support.scenario import Community, joined_toast, local, tap_and_confirm, template
from texts.callback_data import Action, decode, encode
from texts.card_view import members_count
from texts.i18n import Translator

HONEY = template(
    Item="Honey | 10.00",
    Item2="",
    Pickup="",
    **{"Min order": "", "Fee": "", "Delivery": "", "If short": "", "Payment": "postpay"},
)
TITLE = "Wildflower honey from Altai"


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


def button(message: SandboxMessage, action: Action) -> tuple[str, str]:
    """The label and data of the button that does `action`."""
    return next(
        (b["text"], b["callback_data"])
        for b in message.buttons()
        if (pressed := decode(b.get("callback_data"))) and pressed.action is action
    )


async def ordered(c: Community, t: Translator) -> None:
    """Alice and Bob take one each; the head stops and marks it ordered, with no pickup yet."""
    await c.started(c.head, c.alice, c.bob)
    card = await c.publish(HONEY)
    for person in (c.alice, c.bob):
        await c.sandbox.tap(person, card, "+1 Honey", answer=joined_toast(t, 1, "Honey"))
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, t.gettext("Stop now"), t)
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, t.gettext("Mark ordered"), t)


def no_codes(c: Community, t: Translator) -> bool:
    code_words = t.gettext("Your pickup code: <b>{code}</b>").split("<b>")[0]
    return not any(code_words in m.body for m in c.sandbox.bot_messages(c.alice.id))


async def test_arrived_asks_naming_the_purchase_and_the_slots_before_codes_go_out(
    bilingual: Community,
) -> None:
    c = bilingual
    t = c.translator()
    await ordered(c, t)
    day = local(5)[:10]
    command = f"/arrived 1 {day} 17:00-19:00 | Yard by block 5"
    sent = await c.sandbox.send(c.head, command)
    asked = await c.sandbox.wait_for_message(c.head.id, TITLE, after=sent)
    assert asked.reply_to_message_id == sent.message_id
    assert members_count(t, 2) in (asked.text or "") and "Yard by block 5" in (asked.text or "")
    assert (await stored(c)).status is PurchaseStatus.ORDERED and no_codes(c, t)

    # No keeps everything.
    no, _ = button(asked, Action.HEAD_KEEP)
    await c.sandbox.tap(c.head, asked, no, answer=t.gettext("Nothing changed."))
    await c.sandbox.wait_for_edit(asked, t.gettext("↩️ Nothing changed."))
    assert (await stored(c)).status is PurchaseStatus.ORDERED and no_codes(c, t)

    # A yes forged with a time not yet come, or one asked long ago, changes nothing.
    sent = await c.sandbox.send(c.head, command)
    asked = await c.sandbox.wait_for_message(c.head.id, TITLE, after=sent)
    for at in (int(time.time()) + 3600, int(time.time()) - 3600):
        forged = encode(Action.HEAD_ARRIVED_TYPED_CONFIRM, 1, at, 2)
        answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, asked, forged))
        assert t.gettext("this question is too old: open the panel and ask again") in (
            answer.text or ""
        )
    assert (await stored(c)).status is PurchaseStatus.ORDERED and no_codes(c, t)
    await c.sandbox.wait_for_edit(asked, lambda m: not m.buttons())  # the question stands no more

    # Yes: the slots are read from the command the question answers.
    sent = await c.sandbox.send(c.head, command)
    asked = await c.sandbox.wait_for_message(c.head.id, TITLE, after=sent)
    yes, data = button(asked, Action.HEAD_ARRIVED_TYPED_CONFIRM)
    await c.sandbox.tap(c.head, asked, yes, answer=t.gettext("Done."))
    await c.sandbox.wait_for_edit(asked, t.gettext("Done. Members get their pickup codes now."))
    purchase = await stored(c)
    assert purchase.status is PurchaseStatus.ARRIVED
    assert [slot.place for slot in purchase.pickup_slots] == ["Yard by block 5"]
    notice = await c.sandbox.wait_for_message(c.alice.id, purchase.pickup_codes[c.alice.id])
    assert "Yard by block 5" in notice.body

    # The same yes again is refused: the codes went out once.
    answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, asked, data))
    done = t.gettext("this is done already: the purchase is {status}").split("{")[0]
    assert done in (answer.text or "")
    assert (await stored(c)).pickup_codes == purchase.pickup_codes

    # Once they are in, /arrived moves the pickup at once, naming the purchase and the slots.
    moved = await c.say(
        c.head,
        f"/arrived 1 {day} 18:00-20:00 | School yard",
        t.gettext("Done. Members of {title} are told to come to:\n{slots}").split("{")[0],
    )
    assert TITLE in (moved.text or "") and "School yard" in (moved.text or "")
    assert [slot.place for slot in (await stored(c)).pickup_slots] == ["School yard"]


async def test_complete_asks_saying_who_has_not_collected_before_telling_them(
    bilingual: Community,
) -> None:
    c = bilingual
    t = c.translator()
    await ordered(c, t)
    sent = await c.sandbox.send(c.head, f"/arrived 1 {local(5)[:10]} 17:00-19:00 | Hall")
    asked = await c.sandbox.wait_for_message(c.head.id, TITLE, after=sent)
    yes, _ = button(asked, Action.HEAD_ARRIVED_TYPED_CONFIRM)
    await c.sandbox.tap(c.head, asked, yes, answer=t.gettext("Done."))
    code = (await stored(c)).pickup_codes[c.alice.id]
    await c.sandbox.wait_for_message(c.alice.id, code)
    handover = await c.say(c.head, code, "📦 Alice Zebra")
    received = handover.buttons()[0]["text"]
    await c.sandbox.tap(c.head, handover, received, answer=t.gettext("Handed over."))
    recorded = t.gettext("Recorded: {amount} received from {name}.").split("{")[0]
    await c.say(c.head, "/paid 1 Bob 10.00", recorded)

    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, t.gettext("Complete"), answer="")
    question = await c.sandbox.wait_for_edit(panel, lambda m: "Bob" not in str(m.buttons())
                                             and TITLE in (m.text or "")
                                             and t.gettext("✅ Yes, complete it")
                                             in str(m.buttons()))  # fmt: skip
    said = t.ngettext(
        "Complete {title}? {count} member has not collected their goods: I tell them they "
        "are kept on the record as leftovers and to write to you. This cannot be undone: "
        "members are asked to rate it and the card is unpinned.",
        "Complete {title}? {count} members have not collected their goods: I tell them they "
        "are kept on the record as leftovers and to write to you. This cannot be undone: "
        "members are asked to rate it and the card is unpinned.",
        1,
    ).format(title=TITLE, count=1)
    assert question.text == said
    # Back changes nothing: Bob hears nothing, the purchase stays arrived.
    await c.sandbox.tap(c.head, question, t.gettext("↩️ Back"), answer="")
    await c.sandbox.wait_for_edit(panel, lambda m: t.gettext("Complete") in str(m.buttons()))
    assert (await stored(c)).status is PurchaseStatus.ARRIVED
    assert not any("🏁" in (m.text or "") for m in c.sandbox.bot_messages(c.bob.id))

    await tap_and_confirm(c.sandbox, c.head, panel, t.gettext("Complete"), t)
    assert (await stored(c)).status is PurchaseStatus.COMPLETED
    await c.sandbox.wait_for_message(c.bob.id, "🏁")
