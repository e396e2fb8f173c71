"""The head's panel: participants only for the head, exports that match the domain to the
cent, and every control refused to anyone else."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from domain.billing import amounts_due
from tests.support.scenario import Community, community_running, tap_and_confirm, template
from texts.callback_data import ARITY, Action, encode


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def stopped_purchase(c: Community) -> None:
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, "Hello", after=sent)
    card = await c.publish(template(**{"Min order": "1 units"}))
    for units in range(1, 8):
        await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer=f"You're in: {units} × Honey")
    await c.sandbox.tap(c.bob, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")
    await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
    await c.sandbox.wait_for_edit(panel, "Stopped")


async def test_participants_are_listed_for_the_head_with_links_and_amounts(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    panel = next(m for m in reversed(c.sandbox.bot_messages(c.head.id)) if m.buttons())
    await c.sandbox.tap(c.head, panel, "Participants", answer="")
    listing = await c.sandbox.wait_for_message(c.head.id, "Participants of")
    text = listing.text or ""
    assert "Alice Zebra: 6 × Honey 1 kg — €" in text  # 6 of 7+1 fit the one pack, first come
    assert "Bob: 1 × Honey 0.5 kg — €" in text
    assert f"tg://user?id={c.alice.id}" in (listing.html or "")


async def test_exports_match_the_domain_to_the_cent(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    panel = next(m for m in reversed(c.sandbox.bot_messages(c.head.id)) if m.buttons())
    await c.sandbox.tap(c.head, panel, "Export", answer="")
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.head.id)) == 2)
    files = dict(c.sandbox.documents(c.head.id))
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    due = amounts_due(purchase)

    supplier = list(csv.reader(io.StringIO(files["purchase-1-supplier.csv"].decode("utf-8-sig"))))
    assert supplier[0] == [
        "Item", "Units", "Packs", "Weight (kg)", "Price (EUR)", "Per", "Total (EUR)",
    ]  # fmt: skip
    assert supplier[1] == ["Honey 1 kg", "6", "1", "", "12.50", "unit", "75.00"]
    assert supplier[2] == ["Honey 0.5 kg", "1", "1", "", "7.00", "unit", "7.00"]
    assert supplier[3] == ["Total", "", "", "", "", "", "82.00"]

    workbook = load_workbook(io.BytesIO(files["purchase-1.xlsx"]))
    assert workbook.sheetnames == [
        "Supplier order",
        "Members",
        "Pickup list",
        "Packing list",
        "Items per member",
    ]
    members = list(workbook["Members"].iter_rows(values_only=True))
    assert members[0] == (
        "Member", "Lines", "Goods", "Fee", "Delivery", "Total", "Paid", "Refunded", "Balance",
        "Pickup code",
    )  # fmt: skip
    *rows, total_row = members[1:]
    by_name = {row[0]: row for row in rows}
    for member_id, name in ((c.alice.id, "Alice Zebra"), (c.bob.id, "Bob")):
        row = by_name[name]
        amounts = due[member_id]
        assert [Decimal(str(v)) for v in row[2:6]] == [
            amounts.goods.amount, amounts.fee.amount, amounts.delivery.amount, amounts.total.amount,
        ]  # fmt: skip
    totals = sum(Decimal(str(row[5])) for row in rows)
    assert totals == Decimal("82.00") + Decimal("4.10") + Decimal("20.00")  # goods, fee, delivery
    assert total_row[0] == "Total"
    assert [Decimal(str(v)) for v in total_row[2:9]] == [
        Decimal("82.00"), Decimal("4.10"), Decimal("20.00"), totals, Decimal(0), Decimal(0),
        totals,
    ]  # fmt: skip
    # Money is a number in the currency's format, not text and not "General".
    sheet = workbook["Members"]
    assert {sheet.cell(2, column).number_format for column in range(3, 10)} == {'"€"#,##0.00'}
    assert isinstance(sheet.cell(2, 6).value, int | float)
    pickup = list(workbook["Pickup list"].iter_rows(values_only=True))
    assert pickup[1] == ("Member", "Lines", "Pickup code", "Handed over", "Signature")


@pytest.mark.parametrize(
    "action",
    [Action.HEAD_STOP, Action.HEAD_GO_AHEAD, Action.HEAD_CANCEL, Action.HEAD_ORDERED,
     Action.HEAD_ARRIVED, Action.HEAD_COMPLETE, Action.HEAD_COMPLETE_ANYWAY,
     Action.HEAD_PARTICIPANTS, Action.HEAD_EXPORT, Action.HEAD_PANEL, Action.HEAD_MESSAGE,
     Action.HEAD_PAYMENTS, Action.HEAD_SUPPLY, Action.HEAD_EDIT, Action.HEAD_TRANSFER,
     Action.HEAD_GO_AHEAD_CONFIRM, Action.HEAD_ORDERED_CONFIRM, Action.HEAD_ARRIVED_CONFIRM,
     Action.HEAD_STOP_CONFIRM, Action.HEAD_CANCEL_CONFIRM],
)  # fmt: skip
async def test_a_member_forging_head_controls_is_refused(
    community: Community, action: Action
) -> None:
    c = community
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    sent = await c.sandbox.start(c.alice)
    hello = await c.sandbox.wait_for_message(c.alice.id, "Hello", after=sent)
    data = encode(action, 1, *[0] * (ARITY[action] - 1))  # a confirmation asked "now"
    answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.alice, hello, data))
    assert (
        answer.text == "Not done: only the head of this purchase (or a platform admin) can do this"
    )
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    assert purchase.status.value == "open"
    assert c.sandbox.documents(c.alice.id) == []
    # Nothing of the head's view reaches her: no panel, no list, no usage of head commands.
    for message in c.sandbox.bot_messages(c.alice.id, after=hello):
        assert not message.text or "Not done" in message.text, message.text


async def test_the_head_messages_every_participant_privately(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    panel = next(m for m in reversed(c.sandbox.bot_messages(c.head.id)) if m.buttons())
    await c.sandbox.tap(c.head, panel, "Message all", answer="")
    await c.sandbox.wait_for_message(c.head.id, "/message 1 The truck is late")
    await c.say(c.head, "/message 1", "Write to every participant privately")
    await c.say(
        c.head, "/message 1 The truck is late <again> & pickup moves", "Sent to 2 participants."
    )
    for member in (c.alice, c.bob):
        note = await c.sandbox.wait_for_message(member.id, "From the head of Wildflower honey")
        assert note.text is not None
        assert note.text.endswith("The truck is late <again> & pickup moves")
    refused = await c.say(c.bob, "/message 1 Free honey for all", "Not done")
    assert "only the head" in (refused.text or "")
    await c.say(c.head, "/message 1 " + "x" * 3001, "longer than 3000 characters")
    await c.say(c.head, "/message 404 hello", "Not done: no such purchase")


async def test_purchases_lists_several_and_opens_each_panel(community: Community) -> None:
    c = community
    honey = await c.publish(template(Title="Honey"))
    await c.publish(template(Title="Walnuts"))
    await c.sandbox.tap(c.alice, honey, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.start(c.bob, "o1")  # Bob joins and leaves again: he does not count
    editor = await c.sandbox.wait_for_message(c.bob.id, "You have not ordered anything yet")
    await c.sandbox.tap(c.bob, editor, "+1 Honey 1 kg", answer="Updated.")
    edited = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 1")
    await c.sandbox.tap(c.bob, edited, "Withdraw", answer="")
    asked = await c.sandbox.wait_for_edit(editor, "Your whole order is removed")
    assert (await c.sandbox.tap(c.bob, asked, "Yes, withdraw me")).text == (
        "You are out of this purchase."
    )
    sent = await c.sandbox.send(c.head, "/purchases")
    listing = await c.sandbox.wait_for_message(c.head.id, "The purchases you lead", after=sent)
    assert [b["text"] for b in listing.buttons()] == [
        "Walnuts · open · 0 members",
        "Honey · open · 1 member",
    ]
    await c.sandbox.tap(c.head, listing, "Honey · open · 1 member", answer="")
    panel = await c.sandbox.wait_for_message(c.head.id, "🛒 Honey", after=listing)
    assert "Go ahead anyway" in [b["text"] for b in panel.buttons()]  # its panel, short
    # Someone else's purchase does not open, whatever the button says.
    sent = await c.sandbox.start(c.alice)
    hello = await c.sandbox.wait_for_message(c.alice.id, "Hello", after=sent)
    forged = c.sandbox.press_forged(c.alice, hello, encode(Action.HEAD_OPEN, 1))
    answer = await c.sandbox.answer_of(forged)
    assert answer.text == (
        "Not done: only the head of this purchase (or a platform admin) can do this"
    )
    assert not any("🛒" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))


async def test_going_ahead_below_the_minimum_and_marking_ordered_ask_once(
    community: Community,
) -> None:
    c = community
    sent = await c.sandbox.start(c.alice)
    await c.sandbox.wait_for_message(c.alice.id, after=sent)
    card = await c.publish()  # a minimum of 30 units
    await c.sandbox.tap(
        c.alice, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg"
    )  # not in packs: she gets it
    panel = await c.panel()
    labels = [b["text"] for b in panel.buttons()]
    # Short of the minimum Stop would be refused, so it is not offered: going ahead is.
    assert labels[:2] == ["Go ahead anyway", "Extend by 24 h"]
    assert "Stop now" not in labels
    await c.sandbox.tap(c.head, panel, "Go ahead anyway", answer="")
    asked = await c.sandbox.wait_for_edit(panel, "is not reached: 1/30 units")
    assert "I tell each member their final order (1 member)" in (asked.text or "")
    # Back changes nothing.
    await c.sandbox.tap(c.head, asked, "↩️ Back", answer="")
    back = await c.sandbox.wait_for_edit(panel, lambda m: "Go ahead anyway" in str(m.buttons()))
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None and purchase.status.value == "open"
    await c.sandbox.tap(c.head, back, "Go ahead anyway", answer="")
    asked = await c.sandbox.wait_for_edit(panel, "is not reached")
    await c.sandbox.tap(c.head, asked, "✅ Yes, go ahead", answer="Done.")
    stopped = await c.sandbox.wait_for_edit(panel, lambda m: "Mark ordered" in str(m.buttons()))
    await c.sandbox.wait_for_message(c.chat.id, "has stopped")
    # Mark ordered names who is told, and acts only on Yes.
    await c.sandbox.tap(c.head, stopped, "Mark ordered", answer="")
    asked = await c.sandbox.wait_for_edit(
        panel, "ordered from the supplier? I tell all its members"
    )
    assert not any("ordered from the supplier" in (m.text or "")
                   for m in c.sandbox.bot_messages(c.alice.id))  # fmt: skip
    await c.sandbox.tap(c.head, asked, "✅ Yes, it is ordered", answer="Done.")
    await c.sandbox.wait_for_message(c.alice.id, "is ordered from the supplier")
