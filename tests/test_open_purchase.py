"""Heads open purchases: the bot joins a group, /settings, the wizard, the template, the card."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from domain.purchase_form import TemplateContext, parse_template
from handlers.runtime import Runtime
from sandbox.model import SandboxMessage, SandboxUser
from storage.purchase_tables import PurchaseRow
from tests.support.scenario import TIMEZONE, Community, community_running, local, template


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def purchases_stored(runtime: Runtime) -> int:
    async with runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(PurchaseRow)) or 0)


async def say(c: Community, user: SandboxUser, text: str, answer: str) -> SandboxMessage:
    return await c.say(user, text, answer)


async def test_joining_a_group_registers_the_community_and_sets_commands(
    community: Community,
) -> None:
    async with community.runtime.database.unit_of_work() as uow:
        stored = await uow.communities.get(community.chat.id)
    assert stored is not None
    assert (stored.title, stored.timezone, stored.currency) == ("Block 5", TIMEZONE, "EUR")
    assert any("new" in str(commands) for commands in community.sandbox.emulator.commands.values())


async def test_chat_admins_change_settings_and_members_cannot(community: Community) -> None:
    c = community
    sent = await c.sandbox.send(c.alice, "/settings currency RUB", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "Only chat admins", after=sent)
    sent = await c.sandbox.send(c.head, "/settings timezone Mars/Base", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "Mars/Base is not a timezone", after=sent)
    sent = await c.sandbox.send(c.head, "/settings language ru", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "Сохранено.", after=sent)
    sent = await c.sandbox.send(c.head, "/settings", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "язык: ru", after=sent)
    async with c.runtime.database.unit_of_work() as uow:
        stored = await uow.communities.get(c.chat.id)
    assert stored is not None
    assert (stored.language, stored.currency) == ("ru", "EUR")


async def test_the_wizard_end_to_end_with_wrong_answers_and_back(community: Community) -> None:
    c = community
    sent = await c.sandbox.send(c.head, "/new", chat=c.chat)
    offer = await c.sandbox.wait_for_message(c.chat.id, "private chat", after=sent)
    [button] = offer.buttons()
    await c.sandbox.open_link(c.head, button["url"])
    await c.sandbox.wait_for_message(c.head.id, "What are you buying?")
    await say(c, c.head, ".", "the title needs at least one letter or digit")
    await say(c, c.head, "Wildflower honey", "Describe it")
    await say(c, c.head, "Raw honey, 2025 harvest", "Who is the supplier?")
    ask_items = await say(c, c.head, "/back", "Describe it")
    assert ask_items.buttons()[0]["text"] == "Skip"
    await c.sandbox.tap(c.head, ask_items, "Skip", answer="")
    await c.sandbox.wait_for_message(c.head.id, "Who is the supplier?", after=ask_items)
    # The description's Skip, pressed again now, must not skip the supplier.
    stale = await c.sandbox.tap(c.head, ask_items, "Skip")
    assert stale.text == "This button is no longer valid."
    await say(c, c.head, "Altai Bee Farm", "Send the items")
    # wrong answer 1: a price that is not a number; the question stays
    await say(
        c, c.head, "Honey 1 kg | twelve", 'That doesn\'t work: the price: "twelve" is not a number'
    )
    added = await say(c, c.head, "Honey 1 kg | 12.50 | pack 6 | max 10", "Added item 1")
    await say(c, c.head, "Honey 0.5 kg | 7.00", "Added item 2")
    done = c.sandbox.bot_messages(c.head.id)[-1]
    await c.sandbox.tap(c.head, done, "Done with items", answer="")
    await c.sandbox.wait_for_message(c.head.id, "minimum order", after=added)
    await say(c, c.head, "10 units", "When do orders stop?")
    # wrong answer 2: a deadline in the past
    await say(c, c.head, "2020-01-01 10:00", "the deadline is in the past")
    await say(c, c.head, local(3), "Where and when do members pick up?")
    # wrong answer 3: a pickup before the deadline, refused at the pickup (not at the end)
    await say(c, c.head, f"{local(2)[:10]} 10:00-12:00 | Community hall", "after the deadline")
    await say(c, c.head, f"{local(5)[:10]} 10:00-12:00 | Community hall", "organizer fee")
    # wrong answer 4: a bad number, and a fee above the platform's cap, at the fee step
    await say(c, c.head, "five", "write the fee as a percentage")
    await say(c, c.head, "15%", "the organizer fee must be between 0% and 10%")
    await say(c, c.head, "5%", "delivery cost")
    await say(c, c.head, "20.00 split per unit", "Where do you deliver?")
    await say(c, c.head, "EU", "If the minimum is not reached")
    when = await say(c, c.head, "ask", "When do members pay?")
    assert [b["text"] for b in when.buttons()] == ["Prepay", "Postpay"]
    await c.sandbox.tap(c.head, when, "Prepay", answer="")
    where = await c.sandbox.wait_for_message(c.head.id, "Where do members pay you?", after=when)
    assert [b["text"] for b in where.buttons()] == ["Skip"]  # no earlier purchase to reuse
    await say(c, c.head, "IBAN DE12 3456 7890 1234, A. Hanna", "By when must members pay?")
    # wrong answer 5: members cannot be asked to pay before orders stop
    await say(c, c.head, local(2), "the pay-by time must come after the deadline")
    preview = await say(c, c.head, local(4), "Preview of the card for Block 5")
    assert "Wildflower honey" in (preview.text or "")
    assert "Honey 0.5 kg" in (preview.text or "")
    assert "Prepay: members pay after the stop, before you order." in (preview.text or "")
    assert "Pay to: IBAN DE12 3456 7890 1234, A. Hanna" in (preview.text or "")
    assert await purchases_stored(c.runtime) == 0  # nothing saved before Publish
    await c.sandbox.tap(c.head, preview, "Publish", answer="")
    await c.sandbox.wait_for_message(c.head.id, "Published in Block 5", after=preview)
    card = await c.sandbox.wait_for_message(c.chat.id, "Wildflower honey")
    assert card.pinned
    assert [b["text"] for b in card.buttons()] == [
        "+1 Honey 1 kg", "+1 Honey 0.5 kg", "My order", "Details",
    ]  # fmt: skip
    assert await purchases_stored(c.runtime) == 1
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None and purchase.pay_to == "IBAN DE12 3456 7890 1234, A. Hanna"
    assert purchase.pay_by is not None

    # The next purchase offers the same details again, as one button.
    await c.sandbox.start(c.head, f"n{c.chat.id}")
    skip = await say(c, c.head, "Walnuts", "Describe it")
    await c.sandbox.tap(c.head, skip, "Skip", answer="")
    skip = await c.sandbox.wait_for_message(c.head.id, "Who is the supplier?", after=skip)
    await c.sandbox.tap(c.head, skip, "Skip", answer="")
    await c.sandbox.wait_for_message(c.head.id, "Send the items", after=skip)
    added = await say(c, c.head, "Walnuts 1 kg | 9.00", "Added item 1")
    await c.sandbox.tap(c.head, added, "Done with items", answer="")
    await c.sandbox.wait_for_message(c.head.id, "minimum order", after=added)
    for answer, question in (
        ("10", "When do orders stop?"),
        (local(3), "Where and when do members pick up?"),
        (f"{local(5)[:10]} 10:00-12:00 | Hall", "organizer fee"),
        ("0", "delivery cost"),
    ):
        await say(c, c.head, answer, question)
    # A cost alone: how to share it comes as buttons; so does what happens if short.
    split = await say(c, c.head, "12", "How do members share the delivery cost of €12.00?")
    assert [b["text"] for b in split.buttons()] == ["By amount", "Per unit", "Per member"]
    await c.sandbox.tap(c.head, split, "Per member", answer="")
    await c.sandbox.wait_for_message(c.head.id, "Where do you deliver?", after=split)
    short = await say(c, c.head, "EU", "If the minimum is not reached")
    assert [b["text"] for b in short.buttons()] == [
        "Cancel the purchase", "Ask me", "Extend by 24 h", "Skip"
    ]  # fmt: skip
    await c.sandbox.tap(c.head, short, "Ask me", answer="")
    when = await c.sandbox.wait_for_message(c.head.id, "When do members pay?", after=short)
    await c.sandbox.tap(c.head, when, "Postpay", answer="")
    where = await c.sandbox.wait_for_message(c.head.id, "Where do members pay you?", after=when)
    again = "As last time: IBAN DE12 3456 7890 1234, A. Hanna"[:60]
    await c.sandbox.tap(c.head, where, again, answer="")
    # Postpaid: paid at pickup, so no pay-by question.
    preview = await c.sandbox.wait_for_message(c.head.id, "Preview of the card", after=where)
    assert "Postpay: members pay at pickup." in (preview.text or "")
    assert "Pay to: IBAN DE12 3456 7890 1234, A. Hanna" in (preview.text or "")
    assert "Delivery: €12.00, split per member" in (preview.text or "")


async def test_the_wizard_can_edit_a_field_from_the_preview_and_cancel(
    community: Community,
) -> None:
    c = community
    await c.sandbox.start(c.head, f"n{c.chat.id}")
    await c.sandbox.wait_for_message(c.head.id, "What are you buying?")
    await say(c, c.head, "/cancel", "Cancelled. Nothing was saved.")
    sent = await c.sandbox.send(c.head, "/new\n" + template())
    preview = await c.sandbox.wait_for_message(c.head.id, "Preview of the card", after=sent)
    # The preview says when the purchase would stop, next to "Draft".
    assert "Draft, not published yet\n⏰ stops in" in (preview.text or "")
    await c.sandbox.tap(c.head, preview, "Edit", answer="")
    menu = await c.sandbox.wait_for_message(c.head.id, "What do you want to change?", after=preview)
    # The menu leads back to the preview without changing anything.
    await c.sandbox.tap(c.head, menu, "↩️ Back to the preview", answer="")
    again = await c.sandbox.wait_for_message(c.head.id, "Preview of the card", after=menu)
    assert again.text == preview.text
    await c.sandbox.tap(c.head, again, "Edit", answer="")
    menu = await c.sandbox.wait_for_message(c.head.id, "What do you want to change?", after=again)
    await c.sandbox.tap(c.head, menu, "Title", answer="")
    await c.sandbox.wait_for_message(c.head.id, "What are you buying?", after=menu)
    second = await say(c, c.head, "Buckwheat honey", "Preview of the card")
    assert "Buckwheat honey" in (second.text or "")
    await c.sandbox.tap(c.head, second, "Cancel", answer="")
    await c.sandbox.wait_for_message(c.head.id, "Cancelled", after=second)
    assert await purchases_stored(c.runtime) == 0


async def test_a_valid_template_in_the_group_publishes_at_once(community: Community) -> None:
    c = community
    # 3 days and 2 hours ahead, to the minute: the card says "3 d 1 h" at any time of day
    # (a deadline at a fixed hour would show 2 d or 3 d depending on when the test runs).
    deadline = datetime.now(ZoneInfo(TIMEZONE)) + timedelta(days=3, hours=2)
    purchase = template(Deadline=deadline.strftime("%Y-%m-%d %H:%M"))
    sent = await c.sandbox.send(c.head, "/new\n" + purchase, chat=c.chat)
    card = await c.sandbox.wait_for_message(c.chat.id, "Wildflower honey from Altai", after=sent)
    text = card.text or ""
    for expected in ("Raw honey, 2025 harvest", "Supplier: Altai Bee Farm", "€12.50 (pack of 6)",
                     "Organizer fee: 5%", "Delivery: €20.00, split by amount", "Regions: EU",
                     "0/30 units (0%)", "0 members", "stops in 3 d 1 h",
                     "Community hall, 5 Main St", "extended once by 24 h"):  # fmt: skip
        assert expected in text, (expected, text)
    assert await purchases_stored(c.runtime) == 1


MALFORMED = [
    (template(Title=""), "the Title: line is missing"),
    (template(Item="Honey | 12.50 | crate 6"), 'unknown item option "crate 6"'),
    (template(Item="Honey | -3"), "the price must be more than zero"),
    (template(Item="Honey | 12.505"), "has more than 2 decimal places"),
    # The example is three days from today, in the community's timezone.
    (template(Deadline="tomorrow"), f"write the date and time as {local(3)}"),
    (template(Deadline="2020-01-01 10:00"), "the deadline is in the past"),
    (template(**{"Min order": "500 USD"}), "must be in EUR"),
    (template(Fee="50%"), "fee must be between 0% and 10%"),
    (template(**{"If short": "wait"}), "write fail, ask, or extend 24h"),
    (
        template(Pickup=f"{local(1)[:10]} 10:00-12:00 | Hall"),
        "the pickup must come after the deadline",
    ),
    (template() + "\nColour: blue", '"Colour" is not a known key'),
    (template(Delivery="20 split by weight"), "split delivery by amount, per unit or per member"),
]


@pytest.mark.parametrize(("text", "problem"), MALFORMED)
async def test_a_malformed_template_gets_a_precise_error_and_nothing_is_saved(
    community: Community, text: str, problem: str
) -> None:
    c = community
    sent = await c.sandbox.send(c.head, "/new\n" + text, chat=c.chat)
    reply = await c.sandbox.wait_for_message(c.chat.id, "not published", after=sent)
    assert problem in (reply.text or "")
    assert await purchases_stored(c.runtime) == 0


async def test_errors_name_the_line(community: Community) -> None:
    c = community
    sent = await c.sandbox.send(
        c.head, "/new\nTitle: Tea\nItem: Tea | 1.00\nDeadline: soon", chat=c.chat
    )
    reply = await c.sandbox.wait_for_message(c.chat.id, "not published", after=sent)
    assert "line 4 (Deadline)" in (reply.text or "")  # as the head sees it: /new is line 1


async def test_russian_keys_are_accepted(community: Community) -> None:
    c = community
    text = f"Название: Мёд\nТовар: Мёд 1 кг | 900\nСтоп: {local(2)}\nМинимальный заказ: 5 шт"
    sent = await c.sandbox.send(c.head, "/new\n" + text, chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "Мёд", after=sent)
    assert await purchases_stored(c.runtime) == 1


async def test_admins_only_communities_refuse_members(community: Community) -> None:
    c = community
    sent = await c.sandbox.send(c.head, "/settings open admins", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "Saved.", after=sent)
    sent = await c.sandbox.send(c.bob, "/new\n" + template(), chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "only chat admins open purchases", after=sent)
    await c.sandbox.start(c.bob, f"n{c.chat.id}")
    await c.sandbox.wait_for_message(c.bob.id, "only chat admins open purchases")
    assert await purchases_stored(c.runtime) == 0


async def test_a_link_to_a_community_one_is_not_in_is_refused(community: Community) -> None:
    c = community
    outsider = c.sandbox.user("Mallory")
    await c.sandbox.start(outsider, f"n{c.chat.id}")
    await c.sandbox.wait_for_message(outsider.id, "not a member of that community")
    await c.sandbox.start(outsider, "n-42")
    await c.sandbox.wait_for_message(outsider.id, "This link is not valid")


async def test_fifty_taps_in_a_second_make_at_most_two_card_edits(community: Community) -> None:
    c = community
    sent = await c.sandbox.send(c.head, "/new\n" + template(), chat=c.chat)
    card = await c.sandbox.wait_for_message(c.chat.id, "Wildflower honey", after=sent)
    members = [c.sandbox.user(f"Neighbour {n}") for n in range(50)]
    for member in members:
        c.sandbox.join(c.chat, member)
    presses = [await c.sandbox.press(member, card, "+1 Honey 0.5 kg") for member in members]
    answers = await asyncio.gather(*(c.sandbox.answer_of(p) for p in presses))
    assert all(a.text and a.text.startswith("You're in: 1 × Honey 0.5 kg") for a in answers)
    final = await c.sandbox.wait_for_edit(card, "50 members")
    assert final.edits <= 2
    assert "50/30 units" in (final.text or "")
    await asyncio.sleep(3.5)  # nothing is left to edit once the last state is shown
    assert c.sandbox.emulator.messages[(card.chat_id, card.message_id)].edits <= 2
    assert c.sandbox.emulator.rate_limited == []
    for member in (*members, c.alice):
        assert member.first_name not in (final.text or "")


async def test_the_card_never_names_a_member(community: Community) -> None:
    c = community
    sent = await c.sandbox.send(c.head, "/new\n" + template(), chat=c.chat)
    card = await c.sandbox.wait_for_message(c.chat.id, "Wildflower honey", after=sent)
    answer = await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg")
    assert answer.text is not None
    assert answer.text.startswith("You're in: 1 × Honey 1 kg")
    # The first to join carries all of the delivery for now: the toast says it falls.
    assert "(with €20.00 delivery, less as others join)" in answer.text
    edited = await c.sandbox.wait_for_edit(card, "1 member")
    assert "Alice" not in (edited.text or "")
    assert "Zebra" not in (edited.text or "")


async def test_a_head_who_never_opened_the_bot_is_told_in_the_group(community: Community) -> None:
    c = community
    sent = await c.sandbox.send(c.head, "/new\n" + template(), chat=c.chat)
    told = await c.sandbox.wait_for_message(c.chat.id, "I cannot write to you yet", after=sent)
    assert "Hanna" in (told.text or "") and "supplier order" in (told.text or "")
    [button] = told.buttons()
    opened = await c.sandbox.open_link(c.head, button["url"])
    await c.sandbox.wait_for_message(c.head.id, after=opened)
    # Once the head opened the private chat, publishing says nothing more in the group.
    again = await c.sandbox.send(c.head, "/new\n" + template(Title="Walnuts"), chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "🛒 Walnuts", after=again)
    await asyncio.sleep(0.5)
    assert not any(
        "cannot write to you" in (m.text or "") for m in c.sandbox.bot_messages(c.chat.id, again)
    )


async def test_help_shows_new_with_a_template_that_works_from_today(sqlite_url: str) -> None:
    """The /help example, in each language's own words, is a template the parser takes
    today: dates ahead, option words it knows."""
    async with community_running(sqlite_url) as c:
        for language, item_key in (("en", "Item:"), ("ru", "Товар:"), ("zh-hans", "商品:")):
            reader = c.sandbox.user(f"Dasha {language}", language_code=language)
            answer = await c.say(reader, "/help", "/new")
            assert item_key in (answer.text or ""), answer.text  # the reader's own words
            lines = (answer.text or "").splitlines()
            start = lines.index("/new")
            body = "\n".join(lines[start + 1 : start + 5])
            now = datetime.now(ZoneInfo(TIMEZONE))
            form = parse_template(body, TemplateContext("EUR", TIMEZONE, now))
            [item] = form.items
            assert (item.pack_size, item.member_max, len(item.tiers)) == (4, 8, 1), language
            assert [slot.capacity for slot in form.pickups] == [20]
            assert form.deadline is not None and form.deadline > now
