"""The Application factory: wires settings, shared resources and handlers together."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.ext import (
    Application,
    ApplicationBuilder,
)
from telegram.request import HTTPXRequest

from bot.settings import Settings
from handlers import (
    community,
    edit_purchase,
    head_commands,
    head_panel,
    helpers,
    language,
    my_orders,
    new_purchase,
    payments,
    pickup,
    purchase_card,
    purchase_wizard,
    start,
    supply_form,
    transfer,
)
from handlers.failure import on_error
from handlers.purchase_card import card_editor, resume_publishing
from handlers.runtime import Runtime, utc_now
from runtime.card_refresher import CardRefresher
from runtime.connections import ConnectionSet
from runtime.event_notices import NotifierTiming
from runtime.inbox import Inbox, InboxBot
from runtime.notifier import Notifier
from runtime.outbox_sender import OutboxSender, stop_task
from runtime.rate_limiter import TelegramRateLimiter
from runtime.tap_batcher import TapBatcher
from runtime.timeline import Timeline
from runtime.update_processor import PerPersonUpdateProcessor
from storage.unit_of_work import Database
from texts.i18n import SUPPORTED_LANGUAGES, Translator

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def file_url_for(base_url: str) -> str:
    """Telegram serves files beside the API: ".../bot" becomes ".../file/bot"."""
    return base_url.removesuffix("/bot") + "/file/bot"


async def _set_commands(application: Application) -> None:  # type: ignore[type-arg]
    for spoken in SUPPORTED_LANGUAGES:
        _ = Translator(spoken).gettext
        code = None if spoken == "en" else spoken.split("_")[0]
        await application.bot.set_my_commands(
            [
                BotCommand("start", _("What this bot is for")),
                BotCommand("new", _("Open a purchase")),
                BotCommand("orders", _("My orders")),
                BotCommand("purchases", _("Purchases I lead")),
                BotCommand("language", _("Language")),
                BotCommand("help", _("Commands")),
            ],
            scope=BotCommandScopeAllPrivateChats(),
            language_code=code,
        )
        await application.bot.set_my_commands(
            [
                BotCommand("new", _("Open a purchase")),
                BotCommand("settings", _("Community settings")),
            ],
            scope=BotCommandScopeAllGroupChats(),
            language_code=code,
        )


HANDLER_MODULES = (
    purchase_wizard, start, language, community, new_purchase, my_orders, purchase_card,
    head_panel, head_commands, transfer, payments, pickup, helpers, supply_form, edit_purchase,
)  # fmt: skip


def build_application(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Application:  # type: ignore[type-arg]
    """A python-telegram-bot Application talking to BOT_API_BASE_URL with our handlers.

    `clock` is the one source of "now" for handlers, the timeline and the sender.
    """
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is required to build the application")
    # RetryAfter.retry_after as a timedelta, the coming default: our code reads both, and
    # without this every 429 logs a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        # The runtime's pieces get the database itself; handlers see it through its ports.
        database = Database(settings.database_url)
        application.bot_data["database"] = database
        rt = Runtime(settings, database, clock)
        rt.inbox = Inbox(database, rt.clock)
        bot.use_inbox(rt.inbox)
        processor.inbox = rt.inbox
        # What a previous run kept but did not finish goes first, in the order it came.
        for update in await rt.inbox.left_over(bot):
            await application.update_queue.put(update)
        rt.cards = CardRefresher(card_editor(rt, application.bot))
        rt.taps = TapBatcher(database)
        rt.timeline = Timeline(database, rt.clock, rt.cards.request)

        def purchase_changed(purchase_id: int) -> None:
            rt.cards.request(purchase_id)
            rt.timeline.plan(purchase_id)

        rt.notifier = Notifier(
            database, rt.clock, NotifierTiming(), application.bot.username, purchase_changed,
            yield_to=rt.timeline.reaching_deadlines,
        )  # fmt: skip
        rt.sender = OutboxSender(database, application.bot, rt.clock)
        await rt.timeline.start()
        rt.background = [
            asyncio.get_running_loop().create_task(rt.notifier.run_forever()),
            asyncio.get_running_loop().create_task(rt.sender.run_forever()),
            asyncio.get_running_loop().create_task(rt.inbox.run_forever()),
        ]
        async with database.unit_of_work() as uow:
            rt.chosen_languages = await uow.telegram.chosen_languages()
        application.bot_data["runtime"] = rt
        rt.background.append(
            asyncio.get_running_loop().create_task(resume_publishing(application.bot, rt))
        )
        await _set_commands(application)

    async def post_stop(application: Application) -> None:  # type: ignore[type-arg]
        # Runs before python-telegram-bot closes the bot's HTTP client: the sender finishes
        # the batch it is sending and records it, so a graceful stop sends nothing twice.
        rt: Runtime | None = application.bot_data.get("runtime")
        if rt is not None:
            await rt.taps.close()
            # The notifier re-plans timers and asks for card edits: it stops before those do.
            await rt.notifier.stop()
            await rt.timeline.stop()
            await rt.sender.stop()
            # Last: every update handled so far is recorded, so the next start repeats none.
            await rt.inbox.stop()
            for task in rt.background:
                await stop_task(task)
            await rt.cards.close()

    async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
        database: Database | None = application.bot_data.get("database")
        if database is not None:
            await database.dispose()

    bot = InboxBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_api_base_url,
        base_file_url=file_url_for(settings.bot_api_base_url),
        request=ConnectionSet(),
        # What python-telegram-bot uses for getUpdates when not told otherwise.
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        rate_limiter=TelegramRateLimiter(),
    )
    processor = PerPersonUpdateProcessor()
    application = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    # Each handlers module lists its own; the wizard first (its group runs before the rest),
    # and a button nobody else took is answered last.
    for module in HANDLER_MODULES:
        for handler, group in module.HANDLERS:
            application.add_handler(handler, group)
    for handler, group in start.FALLBACKS:
        application.add_handler(handler, group)
    application.add_error_handler(on_error)
    return application


async def start_running(application: Application) -> None:  # type: ignore[type-arg]
    """What `run_polling` does before it polls: initialize, post_init, start."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()


async def stop_running(application: Application) -> None:  # type: ignore[type-arg]
    """What `run_polling` does once it stopped polling, in its order."""
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


@asynccontextmanager
async def polling(
    application: Application,  # type: ignore[type-arg]
    poll_timeout: int = 1,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the application in the current event loop as `run_polling` does, for the block."""
    await start_running(application)
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
    )
    try:
        yield application
    finally:
        await application.updater.stop()
        await stop_running(application)


def run_application(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Serve updates until stopped: by webhook when WEBHOOK_URL is set, else by long polling."""
    if settings.webhook_url is None:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
        return
    from bot.webhook import serve_webhook

    asyncio.run(serve_webhook(application, settings))
