"""A member whose receipt waits for the head sends another photo (the first was blurry, she
paid the rest): it reaches the head as one more receipt of that payment, checked as the first
was, up to RECEIPTS_PER_CLAIM; the same update delivered again sends and says nothing
(docs/checks.md, "Receipts sent twice")."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain import services
from domain.permissions import Actor
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.scenario import Community, community_running, template
from tests.test_payments import editor
from tests.test_receipt_delivery import head_photos, update_of
from tests.test_receipts import JOINED, SAME_FILE, a_photo, bank_screen, receipt


async def paying(c: Community, language: str) -> None:
    """Alice Zebra and Bob each owe for 1 × Honey 0.5 kg of "Honey", stopped."""
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)
    card = await c.publish(template(**{"Title": "Honey", "Min order": "1 units"}))
    for member in (c.alice, c.bob):
        await c.sandbox.tap(member, card, "+1 Honey 0.5 kg", answer=JOINED[language])
    await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))


async def answers_to(c: Community, member: SandboxUser, after: SandboxMessage) -> list[str]:
    """What `member` was told after `after`, once the bot has answered a /orders sent now
    (her updates are handled in order: whatever `after` caused was said before)."""
    asked = await c.sandbox.send(member, "/orders")
    await c.sandbox.wait_for_message(member.id, after=asked)
    return [m.text or "" for m in c.sandbox.bot_messages(member.id, after) if m.message_id < (
        asked.message_id)]  # fmt: skip


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


# What Bob is told of his second and third receipt, and the head's caption of them, per language.
SECOND = {
    "en": "Thanks! Your second receipt for Honey went to the head too.",
    "ru": "Спасибо! Ваш второй чек за Honey тоже отправлен организатору.",
}
THIRD = {"en": "Thanks! Your third receipt for Honey went to the head too: the last one"}
ANOTHER = {
    "en": "🧾 Another receipt from Bob for Honey, for the same payment of",
    "ru": "🧾 Ещё один чек от Bob за Honey, за тот же платёж",
}
FULL = {"en": "Not sent: the head of Honey has 3 receipts from you for this payment already"}
RECEIVED = {
    "en": ("✅ Received", "Recorded; the member is told."),
    "ru": ("✅ Получено", "Записано; участник получил сообщение."),
}
NOT_DONE = {
    "en": "Not done: this payment was recorded as received already",
    "ru": "Не выполнено: эта оплата уже отмечена как полученная",
}


def downloads(c: Community) -> int:
    """How many files the bot has asked Telegram for."""
    return sum(1 for call in c.sandbox.emulator.calls if call.method.lower() == "getfile")


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_second_receipt_while_the_first_waits_reaches_the_head_too(
    sqlite_url: str, language: str
) -> None:
    """The first was blurry, or she paid the rest: the new photo is one more receipt of the
    claim that waits, with the same buttons; delivered again, it sends and says nothing."""
    async with community_running(sqlite_url, language=language) as c:
        await paying(c, language)
        _, first = await receipt(c, c.bob, bank_screen("7.35 EUR", "Hanna"), done="")
        second, photo = await receipt(c, c.bob, a_photo(), done=SECOND[language])
        assert (photo.caption or "").startswith(ANOTHER[language])  # no warning: a new picture
        assert [b["text"] for b in photo.buttons()] == [b["text"] for b in first.buttons()]
        told = c.sandbox.bot_messages(c.bob.id)[-1]
        c.sandbox.emulator.redeliver(update_of(c, second))
        assert await answers_to(c, c.bob, told) == []
        assert head_photos(c) == [first, photo]
        # Both photos answer the one claim: the second's Received records it, the first's
        # buttons then find it answered.
        label, done = RECEIVED[language]
        await c.sandbox.tap(c.head, photo, label, answer=done)
        await c.sandbox.tap(c.head, first, label, answer=NOT_DONE[language])


async def test_an_open_claim_takes_three_receipts_and_no_photo_is_fetched_after(
    community: Community,
) -> None:
    c = community
    await paying(c, "en")
    await receipt(c, c.bob, bank_screen("7.35 EUR", "Hanna"), done="The receipt went")
    await receipt(c, c.bob, a_photo(), done=SECOND["en"])
    await receipt(c, c.bob, bank_screen("3.00 EUR", "Hanna"), done=THIRD["en"])
    fetched, photos = downloads(c), head_photos(c)
    sent = await c.sandbox.send_photo(c.bob, bank_screen("4.35 EUR", "Hanna"))
    await c.sandbox.wait_for_message(c.bob.id, FULL["en"], after=sent)
    assert downloads(c) == fetched
    assert head_photos(c) == photos
    # Once the head answers, the next payment's receipt goes again.
    await c.sandbox.tap(c.head, photos[-1], "❌ Not received", answer="Member told.")
    _, photo = await receipt(c, c.bob, a_photo(), done="The receipt went")
    assert head_photos(c) == [*photos, photo]


async def test_her_own_picture_sent_again_is_no_warning_but_anothers_is(
    community: Community,
) -> None:
    """Her receipts of one claim are one payment; a picture Alice sent is still caught."""
    c = community
    await paying(c, "en")
    alices, _ = await receipt(c, c.alice, bank_screen("7.35 EUR", "Anna"), done="")
    bobs, _ = await receipt(c, c.bob, bank_screen("7.35 EUR", "Hanna"), done="")
    _, photo = await receipt(c, c.bob, again=bobs, done=SECOND["en"])
    assert (photo.caption or "").startswith(ANOTHER["en"])
    _, photo = await receipt(c, c.bob, again=alices, done=THIRD["en"])
    assert (photo.caption or "").startswith(
        SAME_FILE["en"].format(name="Alice Zebra", title="Honey")
    )
    assert ANOTHER["en"] in (photo.caption or "")


async def test_photos_while_several_claims_wait_go_to_no_head(community: Community) -> None:
    c = community
    await paying(c, "en")
    await receipt(c, c.bob, bank_screen("7.35 EUR", "Hanna"), done="Thanks! The receipt went")
    card = await c.publish(template(**{"Title": "Tea", "Min order": "1 units"}))
    await c.sandbox.tap(c.bob, card, "+1 Honey 0.5 kg", answer=JOINED["en"])
    await services.stop_now(c.runtime.database.unit_of_work(), 2, Actor(c.head.id))
    # A purchase he has not said he paid comes first, as it always did.
    _, photo = await receipt(
        c, c.bob, a_photo(), done="Thanks! The receipt went to the head of Tea"
    )
    assert (photo.caption or "").startswith("🧾 Receipt from Bob for Tea")
    photos = head_photos(c)
    sent = await c.sandbox.send_photo(c.bob, bank_screen("3.00 EUR", "Hanna"))
    await c.sandbox.wait_for_message(
        c.bob.id, "Not sent: your payments for Honey, Tea are all waiting", after=sent
    )
    assert head_photos(c) == photos


async def test_a_photo_after_i_paid_is_that_claims_first_receipt(community: Community) -> None:
    c = community
    await paying(c, "en")
    order = await editor(c, c.bob)
    await c.sandbox.tap(c.bob, order, "I paid", answer="Noted. The head will confirm your payment.")
    notice = await c.sandbox.wait_for_message(c.head.id, "Bob says they paid")
    _, photo = await receipt(c, c.bob, bank_screen("7.35 EUR", "Hanna"), done="The receipt went")
    assert (photo.caption or "").startswith("🧾 Receipt from Bob for Honey")
    assert photo.buttons() == notice.buttons()  # the same claim's
