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
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.settings import Settings
from handlers.community import bot_added, settings_command
from handlers.edit_purchase import edit_command
from handlers.failure import on_error
from handlers.head_panel import (
    arrived_with_pickup,
    cancel_with_reason,
    head_button,
    list_purchases,
    message_all,
    open_panel,
)
from handlers.helpers import add_helper, helpers_button, remove_helper_button
from handlers.language import language_button, language_command
from handlers.my_orders import (
    ask_to_leave,
    choose_slot,
    editor_button,
    head_answers_withdrawal,
    list_orders,
    open_editor,
    receipt_photo,
)
from handlers.new_purchase import new_in_group
from handlers.payments import drop_button, head_answers_payment, typed_amount
from handlers.pickup import hand_over_by_code, handover_button
from handlers.purchase_card import card_editor, resume_publishing, tap_plus_one
from handlers.purchase_wizard import wizard_handlers
from handlers.runtime import Runtime, utc_now
from handlers.start import reminders, show_help, start, unknown_button
from handlers.supply_form import supplier_confirmed
from handlers.transfer import admin_command, head_offers_transfer, member_answers_transfer
from runtime.card_refresher import CardRefresher
from runtime.connections import ConnectionSet
from runtime.inbox import Inbox, InboxBot
from runtime.notifier import Notifier, NotifierTiming
from runtime.outbox_sender import OutboxSender, stop_task
from runtime.rate_limiter import TelegramRateLimiter
from runtime.tap_batcher import TapBatcher
from runtime.timeline import Timeline
from runtime.update_processor import PerPersonUpdateProcessor
from storage.unit_of_work import Database
from texts.callback_data import Action, is_action
from texts.i18n import Translator

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def file_url_for(base_url: str) -> str:
    """Telegram serves files beside the API: ".../bot" becomes ".../file/bot"."""
    return base_url.removesuffix("/bot") + "/file/bot"


async def _set_commands(application: Application) -> None:  # type: ignore[type-arg]
    for language in ("en", "ru", "zh_Hans"):
        _ = Translator(language).gettext
        code = None if language == "en" else language.split("_")[0]
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
    for handler, group in wizard_handlers():
        application.add_handler(handler, group)
    application.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    application.add_handler(CommandHandler("help", show_help))
    application.add_handler(
        CommandHandler("reminders", reminders, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(CommandHandler("language", language_command))
    application.add_handler(
        CallbackQueryHandler(language_button, pattern=is_action(Action.LANGUAGE))
    )
    application.add_handler(CommandHandler("new", new_in_group, filters=filters.ChatType.GROUPS))
    application.add_handler(CommandHandler("settings", settings_command))
    application.add_handler(CommandHandler("orders", list_orders, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(tap_plus_one, pattern=is_action(Action.JOIN)))
    for action in (Action.ORDER_OPEN, Action.ORDER_REFRESH):
        application.add_handler(CallbackQueryHandler(open_editor, pattern=is_action(action)))
    for action in (Action.ORDER_ADD, Action.ORDER_TOLERANCE, Action.ORDER_WITHDRAW,
                   Action.ORDER_ASK_WITHDRAW, Action.ORDER_PAID):  # fmt: skip
        application.add_handler(CallbackQueryHandler(editor_button, pattern=is_action(action)))
    application.add_handler(
        CallbackQueryHandler(choose_slot, pattern=is_action(Action.PICKUP_CHOOSE))
    )
    application.add_handler(
        CallbackQueryHandler(ask_to_leave, pattern=is_action(Action.ORDER_ASK_LEAVE))
    )
    for action in (Action.WITHDRAWAL_ACCEPT, Action.WITHDRAWAL_CONFIRM, Action.WITHDRAWAL_DECLINE):
        application.add_handler(
            CallbackQueryHandler(head_answers_withdrawal, pattern=is_action(action))
        )
    application.add_handler(
        CommandHandler("purchases", list_purchases, filters=filters.ChatType.PRIVATE)
    )
    for action in (Action.HEAD_STOP, Action.HEAD_GO_AHEAD, Action.HEAD_EXTEND, Action.HEAD_CANCEL,
                   Action.HEAD_ORDERED, Action.HEAD_ARRIVED, Action.HEAD_COMPLETE,
                   Action.HEAD_GO_AHEAD_CONFIRM, Action.HEAD_ORDERED_CONFIRM,
                   Action.HEAD_ARRIVED_CONFIRM,
                   Action.HEAD_COMPLETE_ANYWAY,
                   Action.HEAD_PANEL, Action.HEAD_PARTICIPANTS, Action.HEAD_EXPORT,
                   Action.HEAD_MESSAGE, Action.HEAD_PAYMENTS,
                   Action.HEAD_REMIND_UNPAID, Action.HEAD_TRANSFER,
                   Action.HEAD_SUPPLY, Action.HEAD_EDIT):  # fmt: skip
        application.add_handler(CallbackQueryHandler(head_button, pattern=is_action(action)))
    application.add_handler(
        CallbackQueryHandler(head_offers_transfer, pattern=is_action(Action.TRANSFER_OFFER))
    )
    for action in (Action.TRANSFER_ACCEPT, Action.TRANSFER_DECLINE):
        application.add_handler(
            CallbackQueryHandler(member_answers_transfer, pattern=is_action(action))
        )
    application.add_handler(
        CommandHandler("admin", admin_command, filters=filters.ChatType.PRIVATE)
    )
    for action in (Action.PAYMENT_CONFIRM, Action.PAYMENT_REJECT, Action.PAYMENT_CASH,
                   Action.REFUND_GIVEN):  # fmt: skip
        application.add_handler(
            CallbackQueryHandler(head_answers_payment, pattern=is_action(action))
        )
    for action in (Action.HEAD_DROP_UNPAID, Action.HEAD_DROP_CONFIRM):
        application.add_handler(CallbackQueryHandler(drop_button, pattern=is_action(action)))
    for action in (Action.HANDOVER, Action.HANDOVER_LATER, Action.HANDOVER_UNDO):
        application.add_handler(CallbackQueryHandler(handover_button, pattern=is_action(action)))
    application.add_handler(CommandHandler("helper", add_helper))
    application.add_handler(
        CallbackQueryHandler(remove_helper_button, pattern=is_action(Action.HELPER_REMOVE))
    )
    application.add_handler(
        CallbackQueryHandler(helpers_button, pattern=is_action(Action.HEAD_HELPERS))
    )
    for command in ("paid", "refund"):
        application.add_handler(
            CommandHandler(command, typed_amount, filters=filters.ChatType.PRIVATE)
        )
    application.add_handler(CallbackQueryHandler(open_panel, pattern=is_action(Action.HEAD_OPEN)))
    application.add_handler(
        CommandHandler("arrived", arrived_with_pickup, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(
        CommandHandler("message", message_all, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(
        CommandHandler("cancel_purchase", cancel_with_reason, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(
        CommandHandler("supply", supplier_confirmed, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(CommandHandler("edit", edit_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(
        MessageHandler(
            # A pickup code as people type it: any case, spaces anywhere ("kx 7p").
            filters.ChatType.PRIVATE & filters.Regex(r"^\s*(?:[A-Za-z0-9]\s*){4}$"),
            hand_over_by_code,
        )
    )
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.PHOTO, receipt_photo))
    application.add_handler(CallbackQueryHandler(unknown_button))
    application.add_error_handler(on_error)
    application.add_handler(ChatMemberHandler(bot_added, ChatMemberHandler.MY_CHAT_MEMBER))
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
