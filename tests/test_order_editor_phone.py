"""The order editor on a phone: a purchase of many items in sizes gets a compact editor (the
member's lines, the catalog first, a button per item opening its sizes' +/− with Back), a
small one keeps the whole editor, and an editor sent before the stop loses its +/− and its
countdown at the stop (and says so at a cancellation)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain import services
from domain.community import Community as Community_
from domain.permissions import Actor
from domain.purchase import PurchaseStatus
from domain.views import member_order
from sandbox.model import SandboxMessage
from storage.unit_of_work import Database
from tests.support.builders import NOW, eur, item, purchase
from tests.support.scenario import (
    TIMEZONE,
    Community,
    community_running,
    tap_and_confirm,
    template,
)
from texts.callback_data import Action, encode
from texts.i18n import Translator
from texts.order_picker import (
    COMPACT_ABOVE,
    EditorFocus,
    button_count,
    editor_message,
    order_keyboard,
)
from texts.order_view import editor_keyboard

SHIRTS = [f"Shirt {letter}" for letter in "ABCDEFG"]
# Item, Item2 ... Item8: the template's own Item and Item2 keep their places, the rest follow.
SEVEN_IN_SIZES = template(
    **{
        "Item" + (str(number + 1) if number else ""): f"{name} | 10.00 | variants S, M, L"
        for number, name in enumerate(SHIRTS)
    },
    **{"Min order": "", "Fee": "", "Delivery": "", "If short": ""},
)


def labels(message: SandboxMessage) -> list[str]:
    return [b["text"] for b in message.buttons()]


async def opened_editor(c: Community, text: str = "") -> SandboxMessage:
    opened = await c.sandbox.start(c.alice, "o1")
    return await c.sandbox.wait_for_message(c.alice.id, "🛒", after=opened)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_seven_items_in_sizes_make_a_compact_editor_that_picks_an_item(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language, TIMEZONE)
    pick_hint = t.gettext("👇 Tap an item to change how many you take.")
    back = t.gettext("↩️ Back")
    assert language == "en" or back != "↩️ Back"
    async with community_running(sqlite_url, language=language, mini_app_listen="127.0.0.1:0") as c:
        await c.publish(SEVEN_IN_SIZES)
        editor = await opened_editor(c)
        # The whole editor would have had 23 buttons (21 sizes, the catalog, Refresh).
        assert len(editor.buttons()) <= COMPACT_ABOVE
        assert labels(editor)[0] == t.gettext("🛍 Catalog")
        assert "web_app" in editor.buttons()[0]
        assert labels(editor)[1:8] == SHIRTS
        assert pick_hint in (editor.text or "")
        await c.sandbox.tap(c.alice, editor, "Shirt C", answer="")
        sizes = await c.sandbox.wait_for_edit(editor, lambda m: back in labels(m))
        assert labels(sizes) == ["+1 Shirt C, S", "+1 Shirt C, M", "+1 Shirt C, L", back]
        assert t.gettext("👇 {item}: +1 or −1, then Back to the other items.").format(
            item="Shirt C"
        ) in (sizes.text or "")
        await c.sandbox.tap(c.alice, sizes, "+1 Shirt C, M", answer=t.gettext("Updated."))
        sizes = await c.sandbox.wait_for_edit(editor, "Shirt C, M: 1")
        assert "−1 Shirt C, M" in labels(sizes) and back in labels(sizes)  # still at Shirt C
        await c.sandbox.tap(c.alice, sizes, "+1 Shirt C, M", answer=t.gettext("Updated."))
        await c.sandbox.tap(c.alice, editor, "+1 Shirt C, L", answer=t.gettext("Updated."))
        sizes = await c.sandbox.wait_for_edit(editor, "Shirt C, L: 1")
        assert "Shirt C, M: 2" in (sizes.text or "")
        await c.sandbox.tap(c.alice, sizes, back, answer="")
        picker = await c.sandbox.wait_for_edit(editor, lambda m: "Shirt C · 3" in labels(m))
        assert len(picker.buttons()) <= COMPACT_ABOVE
        assert t.gettext("Withdraw") in labels(picker)
        total = t.gettext("<b>Total {total}</b> (an estimate until the stop)")
        total = total.format(total=t.money(eur("30.00")))
        assert total.replace("<b>", "").replace("</b>", "") in (picker.text or "")
        async with c.runtime.database.unit_of_work() as uow:
            stored = await uow.purchases.get(1)
        assert stored is not None
        lines = member_order(stored, c.alice.id).lines
        assert [(line.item.label, line.quantity) for line in lines] == [
            ("Shirt C, M", 2), ("Shirt C, L", 1)
        ]  # fmt: skip


async def test_a_small_purchase_keeps_the_whole_editor(sqlite_url: str) -> None:
    async with community_running(sqlite_url, mini_app_listen="127.0.0.1:0") as c:
        await c.publish()
        editor = await opened_editor(c)
        await c.sandbox.tap(c.alice, editor, "+1 Honey 1 kg", answer="Updated.")
        editor = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 1")
        assert labels(editor) == [
            "🛍 Catalog", "−1 Honey 1 kg", "+1 Honey 1 kg", "Honey 1 kg: fill a pack −1",
            "Honey 1 kg: fill a pack +1", "+1 Honey 0.5 kg", "Withdraw", "Refresh",
        ]  # fmt: skip
        assert "👇" not in (editor.text or "")


def test_the_compact_editor_counts_the_buttons_and_pages_many_items() -> None:
    """Twenty plain items: the whole editor would hold 21 buttons; the compact one shows six
    items a page with ◀ ▶, and a page number out of range shows the nearest page."""
    t = Translator("en", TIMEZONE)
    many = purchase([item(n, name=f"Jam {n}") for n in range(1, 21)])
    view = member_order(many, 5)
    whole = editor_keyboard(t, many, view, NOW)
    assert button_count(whole) == 21
    first, hint = order_keyboard(t, many, view, NOW)
    assert hint and button_count(first) <= COMPACT_ABOVE
    texts = [b.text for row in first.inline_keyboard for b in row]
    assert texts == ["Jam 1", "Jam 2", "Jam 3", "Jam 4", "Jam 5", "Jam 6", "▶", "Refresh"]
    last, _ = order_keyboard(t, many, view, NOW, focus=EditorFocus(page=99))
    texts = [b.text for row in last.inline_keyboard for b in row]
    assert texts == ["Jam 19", "Jam 20", "◀", "Refresh"]
    assert last.inline_keyboard[1][0].callback_data == encode(Action.ORDER_PAGE, many.id, 2)
    few = purchase([item(n, name=f"Jam {n}") for n in range(1, 4)])
    assert order_keyboard(t, few, member_order(few, 5), NOW)[1] == ""


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
async def test_an_editor_sent_before_the_stop_loses_its_buttons_and_countdown(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language, TIMEZONE)
    async with community_running(sqlite_url, language=language) as c:
        await c.publish(template(**{"Min order": "", "If short": ""}))
        editor = await opened_editor(c)
        await c.sandbox.tap(c.alice, editor, "+1 Honey 1 kg", answer=t.gettext("Updated."))
        editor = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 1")
        assert "⏰" in (editor.text or "")
        panel = await c.panel()
        await tap_and_confirm(c.sandbox, c.head, panel, t.gettext("Stop now"), t)
        stopped = t.gettext("🛑 Stopped — orders are closed")
        editor = await c.sandbox.wait_for_edit(editor, stopped)
        assert "⏰" not in (editor.text or "")
        assert not any(label.startswith(("+1", "−1")) for label in labels(editor))
        assert t.gettext("Refresh") in labels(editor)
        # A button kept from before (a compact editor's item) answers that it has stopped.
        late = c.sandbox.press_forged(c.alice, editor, encode(Action.ORDER_PICK, 1, 1))
        answer = await c.sandbox.answer_of(late)
        assert answer.text == stopped and answer.show_alert
        # A −1 kept from before is "not done", never "not added".
        late = c.sandbox.press_forged(c.alice, editor, encode(Action.ORDER_ADD, 1, 1, -1))
        answer = await c.sandbox.answer_of(late)
        assert answer.text.startswith(t.gettext("Not done: {reason}").split("{")[0])


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_strangers_forged_item_or_page_press_learns_nothing_of_the_purchase(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language, TIMEZONE)
    async with community_running(sqlite_url, language=language) as c:
        await c.publish(template(**{"Min order": "", "If short": ""}))
        await services.cancel(c.runtime.database.unit_of_work(), 1, Actor(c.head.id), "no bees")
        stranger = c.sandbox.user("Mallory", language_code=language)  # in no chat of it
        sent = await c.sandbox.start(stranger)
        greeting = await c.sandbox.wait_for_message(stranger.id, after=sent)
        refused = t.gettext(
            "This purchase is for the members of “{chat}”. Join that chat to take part."
        ).format(chat="Block 5")
        for data in (encode(Action.ORDER_PICK, 1, 1), encode(Action.ORDER_PAGE, 1, 2)):
            answer = await c.sandbox.answer_of(c.sandbox.press_forged(stranger, greeting, data))
            assert answer.text == refused and answer.show_alert
        assert c.sandbox.bot_messages(stranger.id)[-1].text == greeting.text  # not redrawn


async def test_an_extension_redraws_the_editor_with_its_new_deadline(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await c.publish()  # below its minimum: the panel offers Extend by 24 h
        editor = await opened_editor(c)
        await c.sandbox.tap(c.alice, editor, "+1 Honey 1 kg", answer="Updated.")
        editor = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 1")
        before = editor.text or ""
        await c.sandbox.tap(c.head, await c.panel(), "Extend by 24 h", answer="Done.")
        editor = await c.sandbox.wait_for_edit(editor, lambda m: (m.text or "") != before)
        assert "⏰" in (editor.text or "") and "+1 Honey 1 kg" in labels(editor)
        async with c.runtime.database.unit_of_work() as uow:
            purchase = await uow.purchases.get(1)
        assert purchase is not None
        local = purchase.deadline.astimezone(ZoneInfo(TIMEZONE))
        assert f"{local:%d}" in (editor.text or "")


async def test_a_cancellation_redraws_the_editor_too(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await c.publish()
        editor = await opened_editor(c)
        assert "+1 Honey 1 kg" in labels(editor)
        await c.cancel("/cancel_purchase 1 the farm closed")
        editor = await c.sandbox.wait_for_edit(editor, "❌ Cancelled by the head")
        assert labels(editor) == ["Refresh"]
        assert "⏰" not in (editor.text or "")


async def test_each_member_s_latest_editor_is_noted_and_forgotten_with_her(
    database: Database,
) -> None:
    await services.register_community(
        database.unit_of_work(), Community_(-100, "Block 5", "Europe/Berlin", "EUR", "en")
    )
    draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0)
    purchase_id = await services.publish_purchase(database.unit_of_work(), draft, NOW, Decimal(10))
    async with database.unit_of_work() as uow:
        await uow.telegram.editor_shown(5, purchase_id, 40)
        await uow.telegram.editor_shown(5, purchase_id, 41)  # a newer editor replaces it
        await uow.telegram.editor_shown(6, purchase_id, 50)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.telegram.editors(purchase_id) == {5: 41, 6: 50}
        await uow.personal_data.forget_person(6)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.telegram.editors(purchase_id) == {5: 41}
        await uow.telegram.forget_editors(purchase_id)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.telegram.editors(purchase_id) == {}


def test_the_compact_editor_s_hint_escapes_the_item_s_name() -> None:
    """The editor is sent as HTML: an item named "Salt & <pepper>" must not break it (Telegram
    refuses a message it cannot parse, and the editor would not be drawn at all)."""
    t = Translator("en", TIMEZONE)
    many = purchase([item(n, name=f"Jam {n}") for n in range(1, 20)]
                    + [item(20, name="Salt & <pepper>")])  # fmt: skip
    view = member_order(many, 5)
    text, _ = editor_message(t, many, view, NOW, focus=EditorFocus(item_id=20))
    assert "👇 Salt &amp; &lt;pepper&gt;: +1 or −1" in text
    assert "<pepper>" not in text
