"""The real python-telegram-bot Application cannot tell the sandbox from Telegram."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.lifecycle import polling
from sandbox.driver import Sandbox
from tests.support.running import bot_running, sandbox_running


async def offer_ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "<b>Ready</b>",
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]]),
    )


async def pong(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("pong")
    await query.edit_message_text("Pong!")


def ping_application(sandbox: Sandbox) -> Application:  # type: ignore[type-arg]
    application = (
        Application.builder()
        .token(sandbox.emulator.token)
        .base_url(sandbox.emulator.base_url)
        .base_file_url(sandbox.emulator.file_base_url)
        .build()
    )
    application.add_handler(CommandHandler("ping", offer_ping))
    application.add_handler(CallbackQueryHandler(pong, pattern="^ping$"))
    return application


@pytest.mark.parametrize("where", ["private", "supergroup"])
async def test_command_button_answer_and_edit(where: str) -> None:
    async with sandbox_running() as sandbox:
        alice = sandbox.user("Alice")
        chat = sandbox.emulator.chats[alice.id]
        if where == "supergroup":
            chat = sandbox.group("Block 5", members=[alice], admins=[sandbox.user("Hanna")])
            await sandbox.add_bot(chat, by=alice)
        async with polling(ping_application(sandbox)):
            sent = await sandbox.send(alice, "/ping", chat=chat)
            offer = await sandbox.wait_for_message(chat.id, "Ready", after=sent)
            assert offer.html == "<b>Ready</b>"
            answer = await sandbox.tap(alice, offer, "Ping")
            assert answer.text == "pong"
            edited = await sandbox.wait_for_edit(offer, "Pong!")
            assert edited.edits == 1
        assert sandbox.emulator.broken_rules == []
        assert sandbox.emulator.rate_limited == []


@pytest.mark.parametrize(
    ("language", "greeting"),
    [("en", "Hello! I help neighbours"), ("ru", "Здравствуйте!"), ("zh-hans", "你好")],
)
async def test_our_bot_greets_a_person_in_their_language(
    language: str, greeting: str, sqlite_url: str
) -> None:
    async with sandbox_running() as sandbox:
        person = sandbox.user("Ivan", language_code=language)
        async with bot_running(sandbox, sqlite_url):
            sent = await sandbox.start(person)
            await sandbox.wait_for_message(person.id, greeting, after=sent)
            sent = await sandbox.send(person, "/help")
            await sandbox.wait_for_message(person.id, "/start", after=sent)
