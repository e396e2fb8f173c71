"""Quantities no one means, through the sandbox and the real Application: the Mini App refuses
an absurd quantity with the reason and saves nothing, and shows what the order costs before
Save; the order editor asks once (Confirm saves, Change does not); the card's +1 says where to
confirm; and the head hears the minimum reached, no longer reached, and reached again — each
in the reader's language (docs/checks.md, "Quantities no one means")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import services
from domain.errors import N_, OrdersClosed
from domain.permissions import Actor
from domain.purchase import PurchaseStatus
from domain.services.unit import apply
from handlers.purchase_card import refusal
from sandbox.model import SandboxMessage
from tests.support.scenario import Community, community_running, joined_toast, template
from tests.test_mini_app import request
from texts.callback_data import Action, encode
from texts.i18n import Translator

HONEY = "Honey 1 kg"


def honey(minimum: str) -> str:
    """The example purchase with one item, no packs and no maximum, and this minimum."""
    return template(Item=f"{HONEY} | 12.50", Item2="", **{"Min order": minimum})


def unusual(t: Translator, quantity: int, bound: int) -> str:
    return t.gettext(
        N_("{quantity} × {item} is more than anyone would usually order here (up to {bound})")
    ).format(quantity=t.number(quantity), item=HONEY, bound=t.number(bound))


async def quantity(c: Community, member_id: int) -> int:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase.quantity(member_id, 1)


async def ordered(c: Community, member_id: int, units: int) -> None:
    """The member's line set as if she had ordered (and confirmed) that many earlier."""
    now = datetime.now(UTC)
    await apply(
        c.runtime.database.unit_of_work(),
        1,
        lambda p: p.set_quantity(member_id, "M", 1, units, now),
    )


@pytest.mark.parametrize("language", ["en", "ru", "zh_Hans"])  # Chinese: its own full stop
async def test_the_mini_app_refuses_an_absurd_quantity_with_the_reason_and_shows_the_total(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language)
    async with community_running(sqlite_url, language=language, mini_app_listen="127.0.0.1:0") as c:
        card = await c.publish(honey("20 units"))
        await c.sandbox.tap(c.alice, card, f"+1 {HONEY}", answer=joined_toast(t, 1, HONEY))
        base = c.runtime.mini_app_url
        assert base is not None
        api, alice = base + "/api/purchase/1", c.sandbox.emulator.web_app_init_data(c.alice)

        status, catalog = await request(api, alice)
        assert status == 200
        assert (catalog["currency"], catalog["minor_digits"]) == ("EUR", 2)
        assert catalog["items"][0]["unit_minor"] == 1250  # the running total's price
        assert catalog["texts"]["total"] == t.gettext("Goods total: {total}")

        # The report: 100000 of an item with no maximum and no stock, a minimum of 20.
        absurd = {"lines": [{"item": 1, "quantity": 100_000, "tolerance": 0}]}
        status, answer = await request(api, alice, absurd)
        refused = t.gettext(
            "{reason}. If you mean it, ask the head to set a maximum per member for it."
        ).format(reason=unusual(t, 100_000, 200))
        assert status == 400
        assert answer["error"] == refused
        assert await quantity(c, c.alice.id) == 1  # nothing saved

        fine = {"lines": [{"item": 1, "quantity": 200, "tolerance": 0}]}
        status, answer = await request(api, alice, fine)
        assert status == 200 and answer["items"][0]["quantity"] == 200
        # Even from a line above the bound, a typed raise is asked about again: refused.
        await ordered(c, c.alice.id, 250)
        more = {"lines": [{"item": 1, "quantity": 2500, "tolerance": 0}]}
        status, answer = await request(api, alice, more)
        assert status == 400 and answer["error"].startswith(unusual(t, 2500, 200))
        assert await quantity(c, c.alice.id) == 250


def shows_editor(m: SandboxMessage) -> bool:
    return any(b["text"] == f"+1 {HONEY}" for b in m.buttons())


async def editor_of(c: Community, user_id: int, sent: SandboxMessage) -> SandboxMessage:
    return await c.sandbox.wait_for_message(user_id, shows_editor, after=sent)


async def test_the_editor_asks_once_confirm_saves_and_change_does_not(bilingual: Community) -> None:
    c, t = bilingual, bilingual.translator()
    card = await c.publish(honey("20 units"))
    await c.sandbox.tap(c.alice, card, f"+1 {HONEY}", answer=joined_toast(t, 1, HONEY))
    await ordered(c, c.alice.id, 200)  # the most anyone would usually order here

    # The card's +1 cannot ask: it says why, and where to confirm.
    answer = await c.sandbox.tap(c.alice, card, f"+1 {HONEY}")
    assert answer.text == (
        t.gettext("Not added: {reason}").format(reason=unusual(t, 201, 200))
        + "\n"
        + t.gettext("For more, use My order: it asks you to confirm.")
    )
    assert await quantity(c, c.alice.id) == 200

    editor = await editor_of(c, c.alice.id, await c.sandbox.start(c.alice, "o1"))
    question = t.gettext(
        "You are ordering {quantity} × {item} in {title} — that is more than anyone would "
        "usually order here (up to {bound}). Is that right?"
    ).format(quantity=201, item=HONEY, title="Wildflower honey from Altai", bound=200)
    confirm = t.gettext("✅ Confirm {quantity} × {item}").format(quantity=201, item=HONEY)

    # +1 past the bound asks; Change brings the editor back with nothing saved.
    await c.sandbox.tap(c.alice, editor, f"+1 {HONEY}", answer="")
    asked = await c.sandbox.wait_for_edit(editor, question)
    assert [b["text"] for b in asked.buttons()] == [confirm, t.gettext("✏️ Change")]
    await c.sandbox.tap(c.alice, asked, t.gettext("✏️ Change"), answer="")
    back = await c.sandbox.wait_for_edit(editor, shows_editor)
    assert await quantity(c, c.alice.id) == 200

    # Asked again, Confirm saves that many; the next +1 is not asked about again.
    await c.sandbox.tap(c.alice, back, f"+1 {HONEY}", answer="")
    asked = await c.sandbox.wait_for_edit(editor, question)
    await c.sandbox.tap(c.alice, asked, confirm, answer=t.gettext("Updated."))
    back = await c.sandbox.wait_for_edit(editor, shows_editor)
    assert await quantity(c, c.alice.id) == 201
    await c.sandbox.tap(c.alice, back, f"+1 {HONEY}", answer=t.gettext("Updated."))
    assert await quantity(c, c.alice.id) == 202

    # An old Confirm changes nothing; a forged one for far more is refused.
    stale = c.sandbox.press_forged(c.alice, back, encode(Action.ORDER_CONFIRM_UNUSUAL, 1, 1, 201))
    assert (await c.sandbox.answer_of(stale)).text == t.gettext("Updated.")
    forged = c.sandbox.press_forged(c.alice, back, encode(Action.ORDER_CONFIRM_UNUSUAL, 1, 1, 5000))
    refused = t.gettext("Not added: {reason}").format(
        reason=t.gettext("this question is out of date: tap +1 again")
    )
    assert (await c.sandbox.answer_of(forged)).text == refused
    assert await quantity(c, c.alice.id) == 202

    # After the stop, an old Confirm says orders are closed, and the editor is as it stands.
    await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
    late = c.sandbox.press_forged(c.alice, back, encode(Action.ORDER_CONFIRM_UNUSUAL, 1, 1, 201))
    closed = OrdersClosed(
        N_("the purchase is {status}; orders can no longer change"),
        status=PurchaseStatus.STOPPED,
    )
    assert (await c.sandbox.answer_of(late)).text == refusal(t, closed)
    await c.sandbox.wait_for_edit(editor, lambda m: not shows_editor(m))
    assert await quantity(c, c.alice.id) == 202


async def test_the_head_hears_the_minimum_reached_no_longer_reached_and_reached_again(
    bilingual: Community,
) -> None:
    c, t = bilingual, bilingual.translator()
    await c.started(c.head, c.alice, c.bob)
    card = await c.publish(honey("2 units"))
    reached = t.gettext("🎉 {title} has reached its minimum order ({progress}).")
    lost = t.gettext(
        "↩️ {title} is below its minimum order again ({progress}): someone lowered or "
        "withdrew an order."
    )
    reached_start = reached.split("{progress}")[0].format(title="Wildflower honey from Altai")
    lost_start = lost.split("{progress}")[0].format(title="Wildflower honey from Altai")

    await c.sandbox.tap(c.alice, card, f"+1 {HONEY}", answer=joined_toast(t, 1, HONEY))
    await c.sandbox.tap(c.bob, card, f"+1 {HONEY}", answer=joined_toast(t, 1, HONEY))
    first = await c.sandbox.wait_for_message(c.head.id, reached_start)

    # Bob withdraws: below the minimum again, before the stop.
    editor = await editor_of(c, c.bob.id, await c.sandbox.start(c.bob, "o1"))
    await c.sandbox.tap(c.bob, editor, t.gettext("Withdraw"), answer="")
    asked = await c.sandbox.wait_for_edit(editor, lambda m: len(m.buttons()) == 2)
    await c.sandbox.tap(
        c.bob, asked, t.gettext("Yes, withdraw me"),
        answer=t.gettext("You are out of this purchase."),
    )  # fmt: skip
    dropped = await c.sandbox.wait_for_message(c.head.id, lost_start, after=first)

    # Bob is back: reached once more, told once more.
    await c.sandbox.tap(c.bob, card, f"+1 {HONEY}", answer=joined_toast(t, 1, HONEY))
    await c.sandbox.wait_for_message(c.head.id, reached_start, after=dropped)
    said = [m.text or "" for m in c.sandbox.emulator.chat_messages(c.head.id)]
    assert [s.startswith(reached_start) for s in said if s.startswith(("🎉", "↩️"))] == [
        True, False, True,
    ]  # fmt: skip
