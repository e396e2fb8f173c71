"""The catalog end to end through the sandbox: photos above the card and in the private chat,
variants and size rows, goods sold by weight settled at the pickup, a supplier's price list
imported from an XLSX file (and every way such a file can be wrong), and Open again."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from domain.ledger import account_of
from domain.purchase import Purchase, PurchaseStatus
from sandbox.model import SandboxMessage
from storage.community_tables import PriceListRow
from tests.support.scenario import Community, community_running, tap_and_confirm, template
from texts.callback_data import Action, encode

# A 2×2 PNG: what a phone's photo is to the sandbox (it keeps the bytes and gives a file id).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000104944415478"
    "9c6378b640038818201400320e06b9cec1db810000000049454e44ae426082"
)


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        for person in (running.head, running.alice, running.bob):
            sent = await running.sandbox.start(person)
            await running.sandbox.wait_for_message(person.id, "Hello", after=sent)
        yield running


async def stored(c: Community, purchase_id: int = 1) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        found = await uow.purchases.get(purchase_id)
    assert found is not None
    return found


def is_card(message: SandboxMessage) -> bool:
    return message.photo is None and (message.text or "").startswith("🛒")


def photo_id(message: SandboxMessage) -> str:
    assert message.photo is not None
    return str(message.photo[-1]["file_id"])


async def test_a_photo_with_the_template_puts_the_card_under_it(community: Community) -> None:
    c = community
    sent = await c.sandbox.send_photo(c.head, PNG, "/new\n" + template(), chat=c.chat)
    photo = await c.sandbox.wait_for_message(c.chat.id, lambda m: m.photo is not None, after=sent)
    card = await c.sandbox.wait_for_message(c.chat.id, is_card, after=photo)
    assert photo.caption == "🛒 Wildflower honey from Altai"
    assert photo_id(photo) == photo_id(sent)  # the head's own photo, by its file id
    assert card.message_id == photo.message_id + 1 and card.photo is None  # the live text card
    assert (await stored(c)).photo == photo_id(sent)
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.wait_for_edit(card, "👥 1 member")  # the card still lives
    # Details in the private chat: the photo, then the card.
    details = next(b["url"] for b in card.buttons() if b["text"] == "Details")
    opened = await c.sandbox.open_link(c.bob, details)
    shown = await c.sandbox.wait_for_message(c.bob.id, lambda m: m.photo is not None, after=opened)
    assert photo_id(shown) == photo_id(sent)


async def test_a_picture_sent_as_a_file_or_a_sticker_is_not_a_photo(community: Community) -> None:
    c = community
    await c.sandbox.send_document(
        c.head, "honey.png", PNG, "image/png", "/new\n" + template(), chat=c.chat
    )
    await c.sandbox.wait_for_message(c.chat.id, "that is a file, not a photo")
    assert await c.purchases_stored() == 0
    await c.say(c.head, f"/start n{c.chat.id}", "What are you buying?")
    await c.sandbox.send_sticker(c.head)
    await c.sandbox.wait_for_message(c.head.id, "That is not a photo")
    await c.sandbox.send_document(c.head, "honey.jpg", PNG, "image/jpeg")
    await c.sandbox.wait_for_message(c.head.id, lambda m: (m.text or "").count("not a photo") == 1)
    assert await c.purchases_stored() == 0
    await c.say(c.head, "/cancel", "Cancelled")
    # Outside the wizard too (a receipt, a new photo for /edit): asked again as a photo.
    sent = await c.sandbox.send_document(c.alice, "receipt.jpg", PNG, "image/jpeg")
    await c.sandbox.wait_for_message(c.alice.id, "picture sent as a file", after=sent)


async def test_photos_sent_in_the_private_chat_come_as_an_album_above_the_card(
    community: Community,
) -> None:
    c = community
    body = template(Item2="")
    await c.say(c.head, f"/start n{c.chat.id}", "What are you buying?")  # the head's community
    preview = await c.say(c.head, "/new\n" + body, "Preview of the card")
    await c.sandbox.send_photo(c.head, PNG, "Jam | 4.00 | max 2")
    await c.sandbox.wait_for_message(c.head.id, "Added item 2: Jam, with its photo.")
    purchase_photo = await c.sandbox.send_photo(c.head, PNG + b"2")
    await c.sandbox.wait_for_message(c.head.id, "This is the purchase's photo now")
    bad = await c.sandbox.send_photo(c.head, PNG, "Jam | lots")
    await c.sandbox.wait_for_message(c.head.id, "That doesn't work", after=bad)
    await c.sandbox.tap(c.head, preview, "Publish", answer="")
    card = await c.sandbox.wait_for_message(c.chat.id, is_card)
    album = [m for m in c.sandbox.bot_messages(c.chat.id) if m.photo is not None]
    assert [m.caption for m in album] == ["🛒 Wildflower honey from Altai", "Jam — €4.00"]
    assert [m.message_id for m in album] == [card.message_id - 2, card.message_id - 1]
    assert photo_id(album[0]) == photo_id(purchase_photo)
    assert [c.method for c in c.sandbox.emulator.calls].count("sendMediaGroup") == 1
    purchase = await stored(c)
    assert purchase.photo == photo_id(purchase_photo)
    assert [(i.name, bool(i.photo)) for i in purchase.items] == [
        ("Honey 1 kg", False), ("Jam", True),
    ]  # fmt: skip
    # My order shows the items' photos above the editor.
    link = next(b["url"] for b in card.buttons() if b["text"] == "My order")
    opened = await c.sandbox.open_link(c.alice, link)
    shown = await c.sandbox.wait_for_message(
        c.alice.id, lambda m: m.photo is not None, after=opened
    )
    assert shown.caption == "Jam — €4.00"
    # A new photo through the edit form: the purchase's, then an item's.
    new = await c.sandbox.send_photo(c.head, PNG + b"3", "/edit 1")
    await c.sandbox.wait_for_message(c.head.id, "Members see the new photo", after=new)
    assert (await stored(c)).photo == photo_id(new)
    honey = await c.sandbox.send_photo(c.head, PNG + b"4", "/edit 1\nPhoto: Honey 1 kg")
    await c.sandbox.wait_for_message(c.head.id, "Members see the new photo", after=honey)
    assert (await stored(c)).items[0].photo == photo_id(honey)
    wrong = await c.sandbox.send_photo(c.head, PNG, "/edit 1\nPhoto: Caviar")
    await c.sandbox.wait_for_message(c.head.id, "there is no item named Caviar", after=wrong)
    await c.say(c.head, "/edit 1\nPhoto: Jam", "send the photo with the Photo: line")


ROWS_AND_VARIANTS = template(
    Item="T-shirt | 9.90 | row S, M, L",
    Item2="Socks | 2.00 | variants red, blue | stock 3",
    **{"Min order": "", "Fee": "", "Delivery": ""},
)


async def editor(c: Community, card: SandboxMessage, who: str) -> SandboxMessage:
    person = getattr(c, who)
    link = next(b["url"] for b in card.buttons() if b["text"] == "My order")
    opened = await c.sandbox.open_link(person, link)
    return await c.sandbox.wait_for_message(person.id, "You have not ordered", after=opened)


async def test_variants_and_size_rows_from_the_card_to_the_supplier_order(
    community: Community,
) -> None:
    c = community
    card = await c.publish(ROWS_AND_VARIANTS)
    assert "in full rows of S, M, L" in (card.text or "")
    assert "red (3 left), blue (3 left)" in (card.text or "")
    assert [b["text"] for b in card.buttons()] == ["My order", "Details"]  # sizes are chosen
    alice = await editor(c, card, "alice")
    for label in ("+1 T-shirt, S", "+1 T-shirt, M", "+1 Socks, red"):
        await c.sandbox.tap(c.alice, alice, label, answer="Updated.")
    alice = await c.sandbox.wait_for_edit(alice, "Socks, red: 1")
    assert "1 waits in row 1, which still needs L" in (alice.text or "")
    bob = await editor(c, card, "bob")
    await c.sandbox.tap(c.bob, bob, "+1 T-shirt, L", answer="Updated.")
    bob = await c.sandbox.wait_for_edit(bob, "T-shirt, L: 1")
    assert "all in full rows so far" in (bob.text or "")
    await c.sandbox.tap(c.bob, bob, "+1 T-shirt, S", answer="Updated.")
    bob = await c.sandbox.wait_for_edit(bob, "T-shirt, S: 1")
    assert "1 waits in row 2, which still needs M, L" in (bob.text or "")
    await c.sandbox.wait_for_edit(card, "1 full row · row 2: S ✓ M — L —")
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
    stop = "has stopped."
    told = await c.sandbox.wait_for_message(c.bob.id, stop)
    assert "You get: 1 × T-shirt, L" in (told.text or "")
    assert "Not in a full row of sizes, so not ordered: 1 × T-shirt, S" in (told.text or "")
    order = await c.sandbox.wait_for_message(c.head.id, "Supplier order")
    assert "• T-shirt, S: 1 × €9.90 = €9.90" in (order.text or "")
    assert "• Socks, red: 1 × €2.00 = €2.00" in (order.text or "")
    await c.sandbox.wait_for_edit(card, "1 full row\n")
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Export", answer="")
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.head.id)) == 2)
    workbook = load_workbook(io.BytesIO(dict(c.sandbox.documents(c.head.id))["purchase-1.xlsx"]))
    rows = list(workbook["Supplier order"].iter_rows(values_only=True))
    # Nobody took a blue pair: it is no line of the order ("0 × €2.00" orders nothing).
    assert "Socks, blue" not in (order.text or "")
    assert [(row[0], row[1]) for row in rows[1:6]] == [
        ("T-shirt, S", 1), ("T-shirt, M", 1), ("T-shirt, L", 1), ("Socks, red", 1),
        ("Total", None),  # the sheet keeps no empty text
    ]  # fmt: skip


async def test_goods_sold_by_weight_are_settled_when_weighed_at_the_pickup(
    community: Community,
) -> None:
    c = community
    body = template(
        Item="Cheese | 18.00 per kg | about 0.5 kg",
        Item2="",
        **{"Min order": "", "Fee": "", "Delivery": "", "If short": ""},
    )
    card = await c.publish(body)
    assert "€18.00 per kg, a piece about 0.5 kg" in (card.text or "")
    for units in (1, 2):
        await c.sandbox.tap(c.alice, card, "+1 Cheese", answer=f"You're in: {units} × Cheese")
    await c.sandbox.tap(c.bob, card, "+1 Cheese", answer="You're in: 1 × Cheese")
    await c.sandbox.wait_for_edit(card, "👥 2 members")
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
    told = await c.sandbox.wait_for_message(c.alice.id, "has stopped.")
    assert "Amount due: €18.00" in (told.text or "")
    assert "counted at their estimate until the head weighs them" in (told.text or "")
    order = await c.sandbox.wait_for_message(c.head.id, "Supplier order")
    assert "• Cheese: 3 pieces, about 1.5 kg × €18.00 per kg = €27.00" in (order.text or "")
    # Alice pays the estimate before the pickup.
    await c.say(c.head, "/paid 1 Alice Zebra 18.00", "Recorded: €18.00 received")
    panel = await c.panel()
    panel = await tap_and_confirm(c.sandbox, c.head, panel, "Mark ordered")
    panel = await tap_and_confirm(c.sandbox, c.head, panel, "Mark arrived")
    await c.sandbox.tap(c.head, panel, "⚖️ Enter weights", answer="")
    form = await c.sandbox.wait_for_message(c.head.id, "/weights 1")
    assert (
        form.text
        == "/weights 1\n1. Alice Zebra — Cheese, 2 pieces: 1\n2. Bob — Cheese, 1 piece: 0.5"
    )
    await c.say(
        c.head, "/weights 1\n1: 1,104 kg\n1: 1", "Not done: line 2: number 1 is weighed twice"
    )
    await c.say(c.head, "/weights 1\n3: 1", "Not done: line 1: there is no weighed line number 3")
    await c.say(c.head, "/weights 1\n1: -1", 'Not done: line 1: write "<number>: <kg>"')
    await c.say(c.bob, "/weights 1\n1: 2", "Not done: only the head")
    assert (await stored(c)).weights == {}
    await c.say(c.head, "/weights 1\n1. Alice Zebra — Cheese, 2 pieces: 1.104\n2: 455 g",
                "Saved. 2 members get their new lines and amounts.")  # fmt: skip
    alice = await c.sandbox.wait_for_message(c.alice.id, "were weighed")
    assert "Cheese: 1.104 kg at €18.00 per kg (about 1 kg ordered)" in (alice.text or "")
    assert "Amount due: €19.87 (it was €18.00)" in (alice.text or "")
    assert "You had paid €18.00: €1.87 is still to pay." in (alice.text or "")
    bob = await c.sandbox.wait_for_message(c.bob.id, "were weighed")
    assert "Amount due: €8.19 (it was €9.00)" in (bob.text or "")
    purchase = await stored(c)
    assert str(account_of(purchase, c.alice.id).to_pay.amount) == "1.87"
    assert str(account_of(purchase, c.bob.id).to_pay.amount) == "8.19"
    # The supplier's files and the packing list give the kilograms, not pieces × price per kg.
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Export", answer="")
    await c.sandbox.emulator.wait_until(
        lambda: "purchase-1.xlsx" in dict(c.sandbox.documents(c.head.id))
    )
    files = dict(c.sandbox.documents(c.head.id))
    supplier = files["purchase-1-supplier.csv"].decode("utf-8-sig").splitlines()
    assert supplier[1] == "Cheese,3,3,1.559,18.00,kg,28.06"
    packing = list(load_workbook(io.BytesIO(files["purchase-1.xlsx"]))["Packing list"].values)
    assert {row[3] for row in packing if row[1] in ("Alice Zebra", "Bob")} == {
        "2 × Cheese (1.104 kg)", "1 × Cheese (0.455 kg)",
    }  # fmt: skip


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ["Наименование", "Unit", "Price", "Pack", "Variants", "Stock", "Photo", "SKU"]


async def price_lists_saved(c: Community) -> int:
    async with c.runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(PriceListRow)) or 0)


@pytest.mark.parametrize(
    ("file_name", "data", "says"),
    [
        ("list.xlsx", xlsx([["Name", "Cost"], ["Honey", 12]]), "names no price column"),
        ("list.xlsx", xlsx([HEADER, ["Honey", "", -3]]), "row 2: the price must be more"),
        (
            "list.xlsx",
            xlsx([HEADER, ["Honey", "1 kg", 12.5], ["honey", "1 KG", 11]]),
            "row 3: honey 1 KG is in row 2 already",
        ),
        (
            "list.xlsx",
            xlsx([HEADER, *[[f"Item {n}", "", 1] for n in range(5000)]]),
            "the file has 5,000 items; a purchase holds at most 50",
        ),
        ("list.xlsx", b"PK\x03\x04 not really a workbook", "not an XLSX workbook"),
        ("list.csv", "Name;Price\nМёд;12\n".encode("cp1251"), "not in UTF-8"),
        ("list.pdf", b"%PDF-1.4", "I read price lists from CSV or XLSX files"),
        ("list.xlsx", xlsx([HEADER, ["Shirt", "", 9.9, "", "S, S"]]), "row 2: each variant"),
        ("list.xlsx", xlsx([HEADER, ["Honey", "", 9.9, "", "", "", "ftp://x"]]), "web address"),
    ],
)
async def test_a_bad_price_list_is_refused_naming_the_row_and_saves_nothing(
    community: Community, file_name: str, data: bytes, says: str
) -> None:
    c = community
    await c.publish()  # the head's community: where the price list is for
    sent = await c.sandbox.send_document(c.head, file_name, data, caption="Altai Farm")
    answer = await c.sandbox.wait_for_message(c.head.id, "not saved", after=sent)
    assert says in (answer.text or "")
    assert await price_lists_saved(c) == 0


async def test_an_xlsx_price_list_is_previewed_saved_and_opens_a_purchase(
    community: Community,
) -> None:
    c = community
    await c.publish()
    data = xlsx([
        ["Altai Farm price list, December"] + [None] * 7,
        HEADER,
        ["Honey", "1 kg", 12.5, 6, None, None, "https://example.org/honey.jpg", "A-1"],
        ["T-shirt", None, 9.9, None, "row S, M, L", None, None, "A-2"],
        ["Wax | candles", None, 3, None, None, 40, None, "A-3"],
    ])  # fmt: skip
    # A title row above the header, and a supplier's own column (SKU) beside: both left alone.
    sent = await c.sandbox.send_document(c.head, "altai.xlsx", data, caption="Altai Farm")
    preview = await c.sandbox.wait_for_message(c.head.id, "The price list of", after=sent)
    # Three items, as people count them (the T-shirt's sizes are its variants, not items).
    assert "The price list of <b>Altai Farm</b>: 3 items, saved." in (preview.html or "")
    text = preview.text or ""
    assert "• Honey 1 kg — €12.50 (pack of 6)" in text
    assert "• T-shirt — €9.90 · in full rows of S, M, L" in text
    assert "• Wax / candles — €3.00 · 40 left" in text
    assert "1 with a photo" in text
    assert await price_lists_saved(c) == 1
    await c.sandbox.tap(c.head, preview, "Open a purchase with these items", answer="")
    await c.sandbox.wait_for_message(c.head.id, "The items of Altai Farm are in")
    described = await c.say(c.head, "Honey and shirts", "Describe it")
    await c.sandbox.tap(c.head, described, "Skip", answer="")
    supplier = await c.sandbox.wait_for_message(c.head.id, "Who is the supplier?", after=described)
    await c.sandbox.tap(c.head, supplier, "Skip", answer="")
    items = await c.sandbox.wait_for_message(c.head.id, "Send the items", after=supplier)
    assert "Done with items" in [b["text"] for b in items.buttons()]
    await c.say(c.head, "/cancel", "Cancelled")
    # The next time, the saved list is offered at the items question.
    await c.say(c.head, f"/start n{c.chat.id}", "What are you buying?")
    described = await c.say(c.head, "Winter honey", "Describe it")
    await c.sandbox.tap(c.head, described, "Skip", answer="")
    supplier = await c.sandbox.wait_for_message(c.head.id, "Who is the supplier?", after=described)
    await c.sandbox.tap(c.head, supplier, "Skip", answer="")
    items = await c.sandbox.wait_for_message(c.head.id, "Send the items", after=supplier)
    await c.sandbox.tap(c.head, items, "📋 Items of Altai Farm", answer="")
    added = await c.sandbox.wait_for_message(c.head.id, "3 items now", after=items)
    await c.sandbox.tap(c.head, added, "Done with items", answer="")
    await c.sandbox.wait_for_message(c.head.id, "The minimum order", after=added)
    # Another head cannot use it, even with a forged button.
    forged = c.sandbox.press_forged(c.bob, preview, encode(Action.PRICE_LIST_USE, 1))
    assert (await c.sandbox.answer_of(forged)).text == "This button is no longer valid."


async def test_open_again_copies_terms_items_and_photos_a_week_later(community: Community) -> None:
    c = community
    sent = await c.sandbox.send_photo(
        c.head, PNG, "/new\n" + template(Item2="Jam | 4.00 | variants cherry, plum"), chat=c.chat
    )
    card = await c.sandbox.wait_for_message(c.chat.id, is_card, after=sent)
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.cancel("/cancel_purchase 1 the farm closed for the winter")
    panel = await c.panel()
    assert "🔁 Open again" in [b["text"] for b in panel.buttons()]
    await c.sandbox.tap(c.head, panel, "🔁 Open again", answer="")
    preview = await c.sandbox.wait_for_message(c.head.id, "Preview of the card")
    text = preview.text or ""
    assert "Honey 1 kg — €12.50 (pack of 6)" in text and "cherry, plum" in text
    assert "Supplier: Altai Bee Farm" in text
    before = await stored(c)
    await c.sandbox.tap(c.head, preview, "Publish", answer="")
    again = await c.sandbox.wait_for_message(c.chat.id, is_card, after=card)
    assert again.message_id > card.message_id
    copy = await stored(c, 2)
    assert copy.status is PurchaseStatus.OPEN and copy.photo == before.photo
    assert copy.deadline - before.deadline == timedelta(weeks=1)
    moved = [
        s.starts_at - b.starts_at
        for s, b in zip(copy.pickup_slots, before.pickup_slots, strict=False)
    ]
    assert moved == [timedelta(weeks=1)]
    assert [(i.label, i.unit_price, i.pack_size, i.member_max, i.group) for i in copy.items] == [
        (i.label, i.unit_price, i.pack_size, i.member_max, i.group) for i in before.items
    ]
    assert copy.requests == [] and copy.fee_percent == before.fee_percent
    assert (copy.moq, copy.delivery_cost, copy.short_policy, copy.extend_by) == (
        before.moq, before.delivery_cost, before.short_policy, before.extend_by,
    )  # fmt: skip
    # Only a finished purchase is opened again, and only by its head.
    listing = await c.say(c.head, "/purchases", "The purchases you lead")
    await c.sandbox.answer_of(c.sandbox.press_forged(c.head, listing, encode(Action.HEAD_OPEN, 2)))
    panel = await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.buttons()), after=listing)
    assert "🔁 Open again" not in [b["text"] for b in panel.buttons()]
    refused = c.sandbox.press_forged(c.head, panel, encode(Action.HEAD_AGAIN, 2))
    assert "once it is finished" in ((await c.sandbox.answer_of(refused)).text or "")
    forged = c.sandbox.press_forged(c.bob, panel, encode(Action.HEAD_AGAIN, 1))
    assert "only the head" in ((await c.sandbox.answer_of(forged)).text or "")


async def test_a_member_short_of_a_row_takes_the_size_that_fills_it(community: Community) -> None:
    c = community
    card = await c.publish(
        template(Item="T-shirt | 9.90 | row S, M | swap", Item2="",
                 **{"Min order": "", "Delivery": "", "If short": ""})
    )  # fmt: skip
    for who in ("alice", "bob"):
        opened = await editor(c, card, who)
        await c.sandbox.tap(getattr(c, who), opened, "+1 T-shirt, S", answer="Updated.")
        await c.sandbox.wait_for_edit(opened, "T-shirt, S: 1")
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
    told = await c.sandbox.wait_for_message(c.alice.id, "has stopped.")
    assert "You may take M instead of S: it fills a row." in (told.text or "")
    sent = await c.sandbox.send(c.alice, "/orders")
    take = "Take M instead of S: it fills a row"
    opened = await c.sandbox.wait_for_message(
        c.alice.id, lambda m: take in [b["text"] for b in m.buttons()], after=sent
    )
    assert "M instead would fill the row" in (opened.text or "")
    answer = await c.sandbox.answer_of(await c.sandbox.press(c.alice, opened, take))
    assert answer.text == "Done: the row is full, and you are in it."
    bob = await c.sandbox.wait_for_message(c.bob.id, "a member took the size that fills a row")
    assert "T-shirt, S: you get 1 instead of 0 — its row of sizes is full now" in (bob.text or "")
    purchase = await stored(c)
    assert purchase.final_lines() == {c.alice.id: {2: 1}, c.bob.id: {1: 1}}
    # The same button again: that size no longer completes a row.
    again = await c.sandbox.answer_of(
        c.sandbox.press_forged(c.alice, opened, encode(Action.ORDER_ROW_MOVE, 1, 1, 2))
    )
    assert "no longer completes a row" in (again.text or "")
