"""The edges, through the sandbox and the real Application: a wizard that survives a restart,
a card too long for Telegram, hostile names in the exports, members the bot cannot reach, and a
member who opens the bot late."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import pytest
from openpyxl import load_workbook

from sandbox.model import RecordedCall, SandboxMessage
from tests.support.running import ShiftedClock, bot_running, eventually, sandbox_running
from tests.support.scenario import (
    TIMEZONE,
    Community,
    community_running,
    local,
    tap_and_confirm,
    template,
)
from tests.test_pickup_day import arrived


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def test_a_restart_in_the_middle_of_the_wizard_resumes_the_question(
    sqlite_url: str,
) -> None:
    async with sandbox_running() as sandbox:
        head = sandbox.user("Hanna")
        chat = sandbox.group("Block 5", admins=[head])

        async def say(text: str, answer: str) -> SandboxMessage:
            sent = await sandbox.send(head, text)
            return await sandbox.wait_for_message(head.id, answer, after=sent)

        async with bot_running(sandbox, sqlite_url, default_timezone=TIMEZONE):
            await sandbox.add_bot(chat, by=head, as_admin=True, can_pin=True)
            await sandbox.wait_for_message(chat.id)
            await sandbox.start(head, f"n{chat.id}")
            await sandbox.wait_for_message(head.id, "What are you buying?")
            await say("Wildflower honey", "Describe it")
            await say("Raw honey", "Who is the supplier?")
        # The bot stops and a new process starts: the wizard goes on at the same question.
        async with bot_running(sandbox, sqlite_url, default_timezone=TIMEZONE) as again:
            await say("Altai Bee Farm", "Send the items")
            added = await say("Honey 1 kg | 12.50", "Added item 1")
            await sandbox.tap(head, added, "Done with items", answer="")
            await sandbox.wait_for_message(head.id, "minimum order", after=added)
            await say("/back", "Send the items")  # /back too, after the restart
            await say("Honey 0.5 kg | 7.00", "Added item 2")
            async with again.database.unit_of_work() as uow:
                found = await uow.telegram.conversation(head.id)
            assert found is not None and found[0] == "wizard"
            assert [text for _step, text in found[1]["answers"]] == [
                "Wildflower honey", "Raw honey", "Altai Bee Farm", "Honey 1 kg | 12.50",
                "Honey 0.5 kg | 7.00",
            ]  # fmt: skip


async def test_a_card_too_long_for_telegram_is_refused_before_anything_is_saved(
    community: Community,
) -> None:
    c = community
    long_items = {f"Item{n}": f"{'Very long honey name ' * 5}{n} | 12.50" for n in range(40)}
    text = template(Description="Raw honey " * 190, **long_items)
    sent = await c.sandbox.send(c.head, "/new\n" + text, chat=c.chat)
    refusal = await c.sandbox.wait_for_message(c.chat.id, "was not published", after=sent)
    assert "the card would be" in (refusal.text or "")
    assert "more than fits in a Telegram message" in (refusal.text or "")
    assert await c.purchases_stored() == 0
    # The same in the private chat: the preview says so, and Edit is the way on.
    await c.sandbox.start(c.head, f"n{c.chat.id}")
    await c.sandbox.wait_for_message(c.head.id, "What are you buying?")
    await c.say(c.head, "/cancel", "Cancelled")
    almost = await c.say(c.head, "/new\n" + text, "Almost there, but: the card would be")
    assert [button["text"] for button in almost.buttons()] == ["Edit", "Cancel"]
    assert await c.purchases_stored() == 0


HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "-2+3", "@cmd"]


async def test_hostile_names_stay_text_in_both_exports(community: Community) -> None:
    c = community
    people = [c.sandbox.user(name) for name in HOSTILE]
    for person in people:
        c.sandbox.join(c.chat, person)
    hostile_item = '=1+2*HYPERLINK("http://evil.example")'
    card = await c.publish(template(Item=f"{hostile_item} | 12.50", Item2="", **{
        "Min order": "1 units"}))  # fmt: skip
    for person in people:
        await c.sandbox.tap(
            person,
            card,
            card.buttons()[0]["text"],
            answer='You\'re in: 1 × =1+2*HYPERLINK("http://evil.example")',
        )
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Export", answer="")
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.head.id)) == 2)
    files = dict(c.sandbox.documents(c.head.id))
    workbook = load_workbook(io.BytesIO(files["purchase-1.xlsx"]))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    names = [row[0].value for row in workbook["Members"].iter_rows(min_row=2)][:-1]
    assert names == HOSTILE  # exactly as the members are called, as text
    rows = list(csv.reader(io.StringIO(files["purchase-1-supplier.csv"].decode("utf-8-sig"))))
    assert rows[1][0] == "'" + hostile_item  # a leading apostrophe: shown, never run
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_members_the_bot_cannot_reach_are_named_to_the_head(community: Community) -> None:
    c = community
    dana, carol = c.sandbox.user("Dana"), c.sandbox.user("Carol")
    for person in (dana, carol):
        c.sandbox.join(c.chat, person)
    for person in (c.head, c.alice, c.bob, dana):  # Carol never opens the bot
        await c.say(person, "/start", "Hello")
    card = await c.publish(template(**{"Min order": "1 units"}))
    for person in (c.alice, c.bob, dana, carol):
        await c.sandbox.tap(person, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")
    c.sandbox.block(c.bob)  # Bob and Dana block it after joining
    c.sandbox.block(dana)
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
    # Carol is named in the head's stop summary, known before anything was sent ...
    summary = await c.sandbox.wait_for_message(c.head.id, "has stopped. Supplier order")
    assert "I cannot write to these members" in (summary.text or "")
    assert "Carol" in (summary.text or "") and "Bob" not in (summary.text or "")
    # ... Bob and Dana once their messages met a 403: in one message, Carol not again.
    told = await c.sandbox.wait_for_message(c.head.id, "📵 I could not reach", timeout=20)
    text = told.text or ""
    assert "Bob" in text and "Dana" in text and "Carol" not in text and "Alice" not in text
    assert "Please tell them yourself." in text
    await c.sandbox.wait_for_message(c.alice.id, "has stopped")
    # The reach figures count them out from now on.
    await c.say(c.head, "/message 1 Pickup moves to 19:00", "Sent to 1 participant.")
    refused = len(forbidden(c))
    await tap_and_confirm(c.sandbox, c.head, panel, "Mark ordered")
    await c.sandbox.wait_for_edit(panel, "Ordered")
    # The "ordered" notices meet 403s from Bob, Dana and Carol again; the head is not told
    # again (two notifier rounds are half a second apart: a second is time enough).
    await eventually(lambda: len(forbidden(c)) >= refused + 3, 10)
    await asyncio.sleep(1.5)
    about = [m for m in c.sandbox.bot_messages(c.head.id) if "I could not reach" in (m.text or "")]
    assert len(about) == 1
    # Once Bob opens the bot again, a later block is news for the head again.
    await c.say(c.bob, "/start", "Hello")
    c.sandbox.block(c.bob)
    await c.say(c.head, "/message 1 Pickup is at the back door", "Sent to 2 participants.")
    again = await c.sandbox.wait_for_message(c.head.id, "📵 I could not reach", after=about[0])
    assert "Bob" in (again.text or "") and "Dana" not in (again.text or "")


async def test_a_helper_the_bot_cannot_reach_is_named_to_the_head(community: Community) -> None:
    """A neighbour made a helper from the group who never opened the bot: the head reads her
    name, not her Telegram id."""
    c = community
    dana = c.sandbox.user("Dana")
    c.sandbox.join(c.chat, dana)  # in the chat, not in the purchase, never opened the bot
    await arrived(c)
    offer = await c.sandbox.send(dana, "I can help at the hall", chat=c.chat)
    reply = await c.sandbox.send(c.head, "/helper 1", chat=c.chat, reply_to=offer)
    await c.sandbox.wait_for_message(c.chat.id, "Dana now helps hand over", after=reply)
    told = await c.sandbox.wait_for_message(c.head.id, "📵 I could not reach", timeout=20)
    assert "I could not reach Dana about" in (told.text or "")
    assert str(dana.id) not in (told.text or "")


def forbidden(c: Community) -> list[RecordedCall]:
    return [call for call in c.sandbox.emulator.calls if call.status == 403]


async def test_a_member_who_opens_the_bot_late_gets_what_they_missed(sqlite_url: str) -> None:
    clock = ShiftedClock()
    async with community_running(sqlite_url, clock) as c:
        await c.say(c.head, "/start", "Hello")
        card = await c.publish(template(**{"Min order": "1 units", "Deadline": local(2)}))
        await c.sandbox.tap(
            c.bob, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg"
        )  # Bob never opened the bot
        panel = await c.panel()
        await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
        await c.sandbox.wait_for_edit(panel, "Stopped")
        await tap_and_confirm(c.sandbox, c.head, panel, "Mark ordered")
        await c.sandbox.wait_for_edit(panel, "Ordered")
        await tap_and_confirm(c.sandbox, c.head, panel, "Mark arrived")
        await c.sandbox.wait_for_edit(panel, "Arrived")
        await eventually(lambda: c.sandbox.emulator.rate_limited == [], 5)
        assert c.sandbox.bot_messages(c.bob.id) == []  # nothing could reach him
        sent = await c.sandbox.start(c.bob)
        order = await c.sandbox.wait_for_message(c.bob.id, "Total due", after=sent)
        assert "Honey 0.5 kg: 1" in (order.text or "")
        pickup = await c.sandbox.wait_for_message(c.bob.id, "Your pickup code", after=sent)
        assert "Not paid yet" in pickup.body
        # Only the first start catches up: a second /start is just the greeting.
        again = await c.sandbox.start(c.bob)
        await c.sandbox.wait_for_message(c.bob.id, "Hello", after=again)
        await eventually(lambda: len(c.sandbox.bot_messages(c.bob.id, after=again)) >= 1)
        later = [m.body for m in c.sandbox.bot_messages(c.bob.id, after=again)]
        assert not any("Your pickup code" in text or "Total due" in text for text in later)
