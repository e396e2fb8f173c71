"""The Application factory: wires settings, handlers and shared resources together."""

from __future__ import annotations

from urllib.parse import urlsplit

from telegram.ext import Application, ApplicationBuilder, CommandHandler

from bot.settings import Settings
from handlers.start import show_help, start


def file_url_for(base_url: str) -> str:
    """Telegram serves files beside the API: ".../bot" becomes ".../file/bot"."""
    return base_url.removesuffix("/bot") + "/file/bot"


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    """A python-telegram-bot Application talking to BOT_API_BASE_URL with our handlers."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is required to build the application")
    application = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.bot_api_base_url)
        .base_file_url(file_url_for(settings.bot_api_base_url))
        .build()
    )
    application.bot_data["settings"] = settings
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", show_help))
    return application


def run_application(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Serve updates until stopped: by webhook when WEBHOOK_URL is set, else by long polling."""
    if settings.webhook_url is None:
        application.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
        return
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    application.run_webhook(
        listen="0.0.0.0",
        port=8443,
        url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
        webhook_url=settings.webhook_url,
        secret_token=secret,
    )
