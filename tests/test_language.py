"""/language: a person picks the language the bot speaks with them; it is remembered across
restarts, reaches notices sent later through the outbox, and a forged choice changes nothing."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.community_tables import BotUserRow
from tests.support.running import bot_running, sandbox_running
from tests.support.scenario import Community, community_running, template


async def chosen_language(c: Community, user_id: int) -> str | None:
    async with c.runtime.database.sessions() as session:
        return await session.scalar(
            select(BotUserRow.chosen_language).where(BotUserRow.user_id == user_id)
        )


async def test_a_member_switches_to_russian_and_refusals_and_notices_follow(
    database_url: str,
) -> None:
    async with community_running(database_url) as c:
        menu = await c.say(c.alice, "/language", "I speak English with you")
        answer = await c.sandbox.tap(c.alice, menu, "Русский")
        assert answer.text == "Готово."
        edited = await c.sandbox.wait_for_edit(menu, "Я говорю с вами на языке: Русский")
        assert [b["text"] for b in edited.buttons()] == [
            "Как в моём Telegram", "English", "✓ Русский", "简体中文",
        ]  # fmt: skip
        assert await chosen_language(c, c.alice.id) == "ru"
        await c.say(c.alice, "/help", "/language — язык, на котором я с вами говорю")

        card = await c.publish(template(Item="Honey 1 kg | 12.50 | max 1"))
        assert (await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg")).text.startswith(
            "Вы участвуете"
        )  # type: ignore[union-attr]
        refusal = await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg")
        assert refusal.text == "Не добавлено: Honey 1 kg: не больше 1 шт. на участника"

        # Bob kept his Telegram language; the head's Cancel reaches each in their own.
        await c.say(c.bob, "/start", "Hello")
        await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
        panel = await c.panel()
        await c.sandbox.tap(c.head, panel, "Cancel the purchase", answer="")
        await c.sandbox.wait_for_message(c.head.id, "/cancel_purchase 1")
        await c.cancel("/cancel_purchase 1 The bees are asleep")
        await c.sandbox.wait_for_message(c.alice.id, "Организатор отменил закупку")
        bob_notice = await c.sandbox.wait_for_message(c.bob.id, "cancelled")
        assert "отмен" not in (bob_notice.text or "")


async def test_the_choice_survives_a_restart_and_can_go_back_to_the_app_language(
    sqlite_url: str,
) -> None:
    async with sandbox_running() as sandbox:
        dana = sandbox.user("Dana", language_code="en")
        async with bot_running(sandbox, sqlite_url):
            sent = await sandbox.send(dana, "/language")
            menu = await sandbox.wait_for_message(dana.id, "I speak English", after=sent)
            await sandbox.tap(dana, menu, "简体中文", answer="好了。")
        # A real restart takes longer than Telegram's per-chat window; the new process cannot
        # know what the old one sent in it.
        await asyncio.sleep(2)
        async with bot_running(sandbox, sqlite_url):
            sent = await sandbox.send(dana, "/help")
            await sandbox.wait_for_message(dana.id, "/language：我和你说哪种语言", after=sent)
            sent = await sandbox.send(dana, "/language")
            menu = await sandbox.wait_for_message(dana.id, "我现在和你说简体中文", after=sent)
            await sandbox.tap(dana, menu, "跟随我的 Telegram 设置", answer="Done.")
            await sandbox.wait_for_edit(menu, "I speak English with you")
            sent = await sandbox.send(dana, "/help")
            await sandbox.wait_for_message(dana.id, "/language: the language I speak", after=sent)


async def test_a_forged_language_choice_is_refused_and_changes_nothing(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        menu = await c.say(c.alice, "/language", "I speak English with you")
        for forged in ("1:lg:4", "1:lg:-1", "1:lg:1:2", "1:lg:x"):
            answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.alice, menu, forged))
            assert answer.text == "This button is no longer valid."
        assert await chosen_language(c, c.alice.id) is None
        assert c.runtime.chosen_languages == {}
        assert c.sandbox.emulator.messages[(menu.chat_id, menu.message_id)].edits == 0


async def test_in_a_group_language_points_to_the_private_chat(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        sent = await c.sandbox.send(c.bob, "/language", chat=c.chat)
        await c.sandbox.wait_for_message(
            c.chat.id, "Choose your language in a private chat with me", after=sent
        )
