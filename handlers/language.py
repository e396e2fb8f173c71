"""Choose the language and timezone a reply is rendered in, once per update."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import Translator, pick_language
from bot.settings import Settings


def translator_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Translator:
    """The user's Telegram language when we have it, else the configured default."""
    settings: Settings = context.bot_data["settings"]
    user = update.effective_user
    language = pick_language(user.language_code if user else None, settings.default_language)
    return Translator(language, settings.default_timezone)
