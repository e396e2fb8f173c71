"""Members join and manage their orders: +1, the private editor, withdrawal, the head digest,
redelivered updates, a rush of taps, and forged buttons."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from domain import services
from domain.permissions import Actor
from runtime.event_notices import NotifierTiming
from sandbox.model import SandboxMessage
from tests.support.scenario import Community, community_running, template
from texts.callback_data import Action, encode

HONEY = "Honey 1 kg | 12.50 | pack 6 | max 10"


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        # Digests every 2 s once a burst has settled for 0.3 s, so tests need not wait a minute.
        running.runtime.notifier.timing = NotifierTiming(
            timedelta(seconds=2), timedelta(seconds=0.3)
        )
        yield running


async def quantity(c: Community, member_id: int, item_id: int = 1, purchase_id: int = 1) -> int:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    assert purchase is not None
    return purchase.quantity(member_id, item_id)


async def test_a_member_who_never_started_the_bot_is_still_counted_and_led_there(
    community: Community,
) -> None:
    c = community
    card = await c.publish()
    assert not c.alice.started_bot
    answer = await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg")
    assert answer.text is not None
    assert answer.text.startswith("You're in: 1 × Honey 1 kg")
    assert "Open the bot" in answer.text
    assert answer.url == "https://t.me/groupbuy_sandbox_bot?start=o1"
    assert await quantity(c, c.alice.id) == 1
    await c.sandbox.open_link(c.alice, answer.url)
    editor = await c.sandbox.wait_for_message(c.alice.id, "Wildflower honey from Altai")
    assert "Honey 1 kg: 1" in (editor.text or "")
    assert "(an estimate until the stop)" in (editor.text or "")


async def test_the_editor_changes_quantities_and_tolerance_and_shows_the_packs(
    community: Community,
) -> None:
    c = community
    await c.publish()
    await c.sandbox.start(c.alice, "o1")
    editor = await c.sandbox.wait_for_message(c.alice.id, "You have not ordered anything yet")
    for _ in range(4):
        await c.sandbox.tap(c.alice, editor, "+1 Honey 1 kg", answer="Updated.")
    edited = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 4")
    text = edited.text or ""
    assert "4 wait for the next pack: 2 more units fill it" in text
    assert "Goods €50.00 · fee €2.50 · delivery €20.00" in text
    assert "Total €72.50" in text
    # The pack buttons name their item; what they mean is said once.
    assert "“Fill a pack”: how many more of an item you would also take" in text
    await c.sandbox.tap(c.alice, edited, "Honey 1 kg: fill a pack +1", answer="Updated.")
    await c.sandbox.tap(c.alice, edited, "Honey 1 kg: fill a pack +1", answer="Updated.")
    edited = await c.sandbox.wait_for_edit(
        editor, "you would also take up to 2 more to fill a pack: you may get up to 6"
    )
    assert "all in full packs so far" in (edited.text or "")
    await c.sandbox.tap(c.alice, edited, "−1 Honey 1 kg", answer="Updated.")
    edited = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 3")
    # Withdraw asks once; No keeps everything.
    await c.sandbox.tap(c.alice, edited, "Withdraw", answer="")
    asked = await c.sandbox.wait_for_edit(editor, "Your whole order is removed")
    await c.sandbox.tap(c.alice, asked, "No, keep my order", answer="")
    edited = await c.sandbox.wait_for_edit(editor, "Honey 1 kg: 3")
    assert await quantity(c, c.alice.id) == 3
    await c.sandbox.tap(c.alice, edited, "Withdraw", answer="")
    asked = await c.sandbox.wait_for_edit(editor, "Your whole order is removed")
    answer = await c.sandbox.tap(c.alice, asked, "Yes, withdraw me")
    assert answer.text == "You are out of this purchase."
    await c.sandbox.wait_for_edit(editor, "You have not ordered anything yet")
    assert await quantity(c, c.alice.id) == 0


async def test_limits_are_refused_with_the_reason(community: Community) -> None:
    c = community
    card = await c.publish(template(Item="Honey 1 kg | 12.50 | max 2"))
    for units in (1, 2):
        await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg", answer=f"You're in: {units} × Honey")
    answer = await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg")
    assert answer.text == "Not added: at most 2 of Honey 1 kg per member"
    assert await quantity(c, c.bob.id) == 2


async def test_orders_lists_every_purchase_and_details_lets_one_join_from_private(
    community: Community,
) -> None:
    c = community
    await c.say(c.bob, "/orders", "You are not in any purchase yet")
    first = await c.publish()
    await c.publish(template(Title="Buckwheat"))
    await c.sandbox.tap(c.bob, first, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")
    sent = await c.sandbox.start(c.bob, "d2")
    details = await c.sandbox.wait_for_message(c.bob.id, "Organizer fee: 5%", after=sent)
    assert "Buckwheat" in (details.text or "")
    editor = await c.sandbox.wait_for_message(c.bob.id, lambda m: bool(m.buttons()), after=details)
    await c.sandbox.tap(c.bob, editor, "+1 Honey 1 kg", answer="Updated.")
    listing = await c.say(c.bob, "/orders", "Your purchases:")
    # Each with where it stands and what Bob owes, the newest first.
    labels = [b["text"] for b in listing.buttons()]
    assert labels == ["Buckwheat · open · €33.13", "Wildflower honey from Altai · open · €27.35"]
    await c.sandbox.tap(c.bob, listing, labels[0], answer="")
    await c.sandbox.wait_for_message(c.bob.id, "Honey 1 kg: 1", after=listing)
    # A finished purchase goes below the running ones.
    await services.cancel(c.runtime.database.unit_of_work(), 2, Actor(c.head.id), "no honey")
    listing = await c.say(c.bob, "/orders", "Your purchases:")
    labels = [b["text"] for b in listing.buttons()]
    assert labels[0].startswith("Wildflower honey from Altai · open")
    assert labels[1].startswith("Buckwheat · cancelled")


async def test_after_the_stop_a_member_asks_and_the_head_decides(community: Community) -> None:
    c = community
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.start(c.head)
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.start(c.alice, "o1")
    editor = await c.sandbox.wait_for_message(c.alice.id, "Honey 1 kg: 1")
    await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
    c.runtime.cards.request(1)
    await c.sandbox.wait_for_edit(card, "Stopped")
    assert c.sandbox.emulator.messages[(card.chat_id, card.message_id)].buttons() == []
    await c.sandbox.tap(c.alice, editor, "Refresh", answer="")
    editor = await c.sandbox.wait_for_edit(editor, "Stopped")
    answer = await c.sandbox.tap(c.alice, editor, "Ask the head to withdraw me")
    assert answer.text == "Asked. The head will answer."
    request = await c.sandbox.wait_for_message(c.head.id, "asks to be withdrawn")
    assert "Alice Zebra" in (request.text or "")
    await c.sandbox.tap(c.head, request, "Decline", answer="Declined.")
    await c.sandbox.wait_for_message(c.alice.id, "declined your request")
    await c.sandbox.wait_for_edit(request, "Declined")
    assert await quantity(c, c.alice.id) == 1
    await c.sandbox.tap(
        c.alice, editor, "Ask the head to withdraw me", answer="Asked. The head will answer."
    )
    second = await c.sandbox.wait_for_message(c.head.id, "asks to be withdrawn", after=request)
    await c.sandbox.tap(c.head, second, "Accept", answer="")
    # After the stop the head first sees what letting her go changes, then confirms.
    preview = await c.sandbox.wait_for_edit(second, "If you accept, Alice Zebra leaves")
    assert "No other member's amount would change." in (preview.text or "")
    assert await quantity(c, c.alice.id) == 1
    stale = encode(Action.WITHDRAWAL_CONFIRM, 1, c.alice.id, 1)  # the declined first request
    answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, preview, stale))
    assert answer.text == "Not done: this request to withdraw has been answered already"
    await c.sandbox.tap(c.head, preview, "✅ Yes, withdraw Alice Zebra", answer="Accepted.")
    await c.sandbox.wait_for_edit(preview, "✅ Accepted")
    await c.sandbox.wait_for_message(c.alice.id, "You are no longer in")
    assert await quantity(c, c.alice.id) == 0


async def test_the_head_gets_one_digest_of_a_burst_with_names(community: Community) -> None:
    c = community
    card = await c.publish()
    await c.sandbox.start(c.head)
    carol = c.sandbox.user("Carol")
    c.sandbox.join(c.chat, carol)
    for member in (c.alice, c.bob, carol):
        await c.sandbox.tap(member, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg", answer="You're in: 2 × Honey 1 kg")
    digest = await c.sandbox.wait_for_message(c.head.id, "Changes in Wildflower honey")
    text = digest.text or ""
    assert "Alice Zebra joined: 1 × Honey 1 kg" in text
    assert "Bob joined: 2 × Honey 1 kg" in text
    assert "Carol joined: 1 × Honey 1 kg" in text
    assert "Now 3 members, 4 units." in text
    await asyncio.sleep(2.5)
    digests = [m for m in c.sandbox.bot_messages(c.head.id) if "Changes in" in (m.text or "")]
    assert len(digests) == 1
    # members never see each other's names
    for member in (c.alice, c.bob, carol):
        for message in c.sandbox.bot_messages(member.id):
            assert "Zebra" not in (message.text or "") or member is c.alice


async def test_a_redelivered_tap_is_counted_once_and_not_answered_twice(
    community: Community,
) -> None:
    c = community
    card = await c.publish()
    pending = await c.sandbox.press(c.alice, card, "+1 Honey 1 kg")
    await c.sandbox.answer_of(pending)
    calls = len(c.sandbox.emulator.calls)
    c.sandbox.emulator.redeliver(pending.update_id)
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.emulator.calls) > calls + 1, 5)
    await asyncio.sleep(0.5)
    assert await quantity(c, c.alice.id) == 1
    assert [call for call in c.sandbox.emulator.broken_rules if call.method != "sendMessage"] == []


@pytest.mark.parametrize(
    "data",
    [
        "garbage", "", "1:j", "1:j:1", "1:j:1:1:1", "2:j:1:1", "1:j:999:1", "1:j:1:99",
        "1:j:-1:1", "1:j:1:0", encode(Action.ORDER_ADD, 1, 1, 5),
        encode(Action.ORDER_ADD, 1, 1, -1),
        encode(Action.ORDER_TOLERANCE, 1, 2, 1), encode(Action.ORDER_TOLERANCE, 1, 1, 1),
        encode(Action.ORDER_WITHDRAW, 1), encode(Action.ORDER_ASK_WITHDRAW, 1),
        encode(Action.WITHDRAWAL_ACCEPT, 1, 10_002, 1),
        encode(Action.WITHDRAWAL_CONFIRM, 1, 10_002, 1),
        encode(Action.WITHDRAWAL_DECLINE, 1, 10_002, 1),
        encode(Action.ORDER_ADD, 404, 1, 1), "1:wp", "1:j:1:1;DROP TABLE purchases",
        # Ids beyond the 64-bit range are forged: refused, not a crash in the database.
        "1:oo:9999999999999999999", "1:oa:1:9223372036854775808:1", "1:j:-9999999999999999999:1",
    ],
)  # fmt: skip
async def test_forged_buttons_get_a_refusal_and_change_nothing(
    community: Community, data: str
) -> None:
    c = community
    card = await c.publish()
    await c.sandbox.tap(c.bob, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")
    await c.sandbox.start(c.alice)
    await c.sandbox.wait_for_message(c.alice.id, "Hello!")
    message: SandboxMessage = c.sandbox.bot_messages(c.alice.id)[-1]
    answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.alice, message, data))
    assert answer.text is not None
    assert answer.text.startswith(("This button is no longer valid", "Not added:", "Not done:"))
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    assert purchase.participant_ids() == [c.bob.id]
    assert purchase.withdrawal_requests == {}
    assert [call for call in c.sandbox.emulator.broken_rules if call.method != "sendMessage"] == []


async def test_a_stale_card_after_the_stop_refuses_taps(community: Community) -> None:
    c = community
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
    answer = await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg")  # the old card still has buttons
    assert answer.text == "Not added: the purchase is stopped; orders can no longer change"
    assert await quantity(c, c.bob.id) == 0


async def test_three_hundred_members_tap_at_once(database_url: str) -> None:
    async with community_running(database_url) as c:
        card = await c.publish(template(Item=HONEY.replace("max 10", "stock 250"), Item2=""))
        members = [c.sandbox.user(f"Neighbour {n}") for n in range(300)]
        for member in members:
            c.sandbox.join(c.chat, member)
        presses = [await c.sandbox.press(m, card, "+1 Honey 1 kg") for m in members]
        answers = await asyncio.gather(*(c.sandbox.answer_of(p, 60) for p in presses))
        texts = [a.text or "" for a in answers]
        assert sum(t.startswith("You're in: 1 × Honey 1 kg") for t in texts) == 250
        # Selling out the only item stops the purchase, so late taps hear one or the other.
        refusals = ("Not added: Honey 1 kg is sold out",
                    "Not added: the purchase is stopped; orders can no longer change")  # fmt: skip
        assert sum(t in refusals for t in texts) == 50
        async with c.runtime.database.unit_of_work() as uow:
            purchase = await uow.purchases.get(1)
        assert purchase is not None
        assert purchase.item_units(1) == 250
        assert len(purchase.participant_ids()) == 250
        final = await c.sandbox.wait_for_edit(card, "250 members", timeout=15)
        assert "Stopped" in (final.text or "")
        assert c.sandbox.emulator.rate_limited == []


async def test_a_rush_of_joins_is_one_digest_and_none_comes_after_the_stop(
    community: Community,
) -> None:
    c = community
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.start(c.head)
    members = [c.sandbox.user(f"Neighbour {n}") for n in range(25)]
    for member in members:
        c.sandbox.join(c.chat, member)
    presses = [await c.sandbox.press(m, card, "+1 Honey 0.5 kg") for m in members]
    await asyncio.gather(*(c.sandbox.answer_of(p, 30) for p in presses))
    digest = await c.sandbox.wait_for_message(c.head.id, "Changes in Wildflower honey", timeout=15)
    text = digest.text or ""
    assert text.count(" joined: 1 × Honey 0.5 kg") == 25  # everyone since the last, at once
    assert "Now 25 members, 25 units." in text
    # Joins left undigested at the stop: the stop's summary closes them, no digest after it.
    late = c.sandbox.user("Late Larry")
    c.sandbox.join(c.chat, late)
    await c.sandbox.tap(late, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")
    await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
    await c.sandbox.wait_for_message(c.head.id, "has stopped. Supplier order", timeout=15)
    await asyncio.sleep(2.5)
    digests = [m for m in c.sandbox.bot_messages(c.head.id) if "Changes in" in (m.text or "")]
    assert len(digests) == 1


async def test_an_old_editor_pressed_after_the_stop_is_redrawn_as_things_stand(
    community: Community,
) -> None:
    c = community
    await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.start(c.alice, "o1")
    editor = await c.sandbox.wait_for_message(c.alice.id, "You have not ordered anything yet")
    await c.sandbox.tap(c.alice, editor, "+1 Honey 0.5 kg", answer="Updated.")
    editor = await c.sandbox.wait_for_edit(editor, "Honey 0.5 kg: 1")
    await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
    answer = await c.sandbox.tap(c.alice, editor, "+1 Honey 0.5 kg")  # still shown there
    assert (answer.text or "").startswith("Not added: the purchase is stopped")
    redrawn = await c.sandbox.wait_for_edit(editor, "Stopped")
    assert not any(b["text"].startswith("+1") for b in redrawn.buttons())
    assert await quantity(c, c.alice.id, item_id=2) == 1
