"""Serving updates until stopped: by long polling, or by webhook when WEBHOOK_URL is set
(bot/webhook.py). The command line runs the application it built (bot/app.py) here."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import Conflict, TelegramError

from bot.lifecycle import ALLOWED_UPDATES, POLL_TIMEOUT, start_running, stop_running
from bot.process import BotApplication
from bot.settings import Settings
from bot.takeover import PollerHold, refuse_beside_webhook
from bot.webhook import serve_webhook
from runtime.inbox import InboxBot
from storage.database import HeldByAnotherProcess

log = logging.getLogger(__name__)


def run_application(application: BotApplication, settings: Settings) -> int:
    """Serve updates until stopped: by webhook when WEBHOOK_URL is set, else by long polling.
    Returns the exit code: 2 when another process polls with this token (Telegram's 409)."""
    if settings.webhook_url is None:
        return asyncio.run(serve_polling(application, settings))
    asyncio.run(serve_webhook(application, settings))
    return 0


ANOTHER_POLLER = (
    "Telegram answers that another process is polling with this bot token (409 Conflict); "
    "stop the other one: one process polls, several need webhook mode (docs/deploy.md)"
)
WEBHOOK_SET_MEANWHILE = (
    "Telegram answers that a webhook was set for this bot meanwhile (409 Conflict): webhook "
    "workers take its updates now; this poller stops (docs/deploy.md)"
)


async def serve_polling(application: BotApplication, settings: Settings) -> int:
    """Long-poll until SIGINT or SIGTERM, then stop gracefully (what `run_polling` does, plus
    a clear stop when Telegram answers 409: another process polls with the same token, or a
    webhook is set, bot/takeover.py)."""
    stopping = asyncio.Event()
    application.bot_data.stopping = stopping
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    conflict: str | None = None
    bot = application.bot
    assert isinstance(bot, InboxBot) and application.updater is not None
    taking_over = await refuse_beside_webhook(application, settings)

    def polling_failed(error: TelegramError) -> None:
        nonlocal conflict
        if isinstance(error, Conflict) and "webhook" in str(error).lower():
            conflict = WEBHOOK_SET_MEANWHILE  # the workers took their updates back
            stopping.set()
        elif isinstance(error, Conflict) and not bot.has_polled:
            conflict = ANOTHER_POLLER
            stopping.set()
        elif isinstance(error, Conflict):  # this one polled first: the newcomer stops
            log.warning("another process polls with this bot token; it should stop")
        else:
            log.warning("fetching updates failed: %s; trying again", error)

    hold: PollerHold | None = None
    try:
        await start_running(application)
        if taking_over:
            rt = application.bot_data.made_runtime()
            hold = PollerHold(application.bot_data.made_database(), rt.clock)
            await hold.take()
        await application.updater.start_polling(
            poll_interval=0, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES,
            error_callback=polling_failed,
        )  # fmt: skip
        await stopping.wait()
    finally:
        if application.updater.running:
            await application.updater.stop()
        if hold is not None:
            await hold.release()
        await stop_running(application)
    if conflict is not None:
        raise HeldByAnotherProcess(conflict)
    return 0
