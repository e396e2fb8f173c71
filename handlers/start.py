"""What a person sees first: /start and /help in the private chat."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from handlers.language import translator_for


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet a person who opened the bot and say what it does."""
    message = update.effective_message
    if message is None:
        return
    _ = translator_for(update, context).gettext
    await message.reply_text(
        _(
            "Hello! I help neighbours buy together.\n"
            "A group head opens a purchase in your community chat; you tap a button under it "
            "to join, and I keep your order, the amount due and your pickup code here.\n"
            "Send /help to see what I can do."
        )
    )


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands a person can use."""
    message = update.effective_message
    if message is None:
        return
    _ = translator_for(update, context).gettext
    await message.reply_text(
        _(
            "/start: what this bot is for\n"
            "/help: this list\n"
            "Add me to your community chat to run group purchases there."
        )
    )
