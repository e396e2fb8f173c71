"""The Application factory: wires settings, shared resources and handlers together."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.cluster import Cluster
from bot.metrics_server import MetricsServer
from bot.mini_app import MiniAppServer
from bot.process import BotApplication, ProcessParts
from bot.settings import Settings
from handlers import (
    admission,
    campaigns,
    checkout,
    community,
    drivers,
    edit_purchase,
    head_commands,
    head_panel,
    helpers,
    language,
    my_data,
    my_orders,
    new_purchase,
    operator_campaigns,
    order_editor,
    payments,
    pickup,
    pickup_points,
    price_lists,
    purchase_card,
    purchase_wizard,
    ratings,
    receipts,
    roles,
    routes,
    scorecards,
    start,
    supply_form,
    transfer,
    unusual_orders,
    wizard_sources,
)
from handlers.failure import on_error
from handlers.flood import turn_away
from handlers.order_editor import editor_redrawer
from handlers.purchase_card import card_editor, finish_posting
from handlers.runtime import BotContext, Runtime, utc_now
from runtime.card_refresher import CardRefresher
from runtime.connections import ConnectionSet
from runtime.event_notices import NotifierTiming
from runtime.inbox import Inbox, InboxBot
from runtime.lanes import LaneDispatcher
from runtime.metrics import UPDATES_HANDLED
from runtime.notifier import Notifier
from runtime.outbox_sender import OutboxSender, stop_task
from runtime.rate_limiter import TelegramRateLimiter
from runtime.tap_batcher import TapBatcher
from runtime.timeline import Timeline
from runtime.update_processor import PerPersonUpdateProcessor
from storage.cluster import POLLING, SingletonLock
from storage.database import HeldByAnotherProcess, is_sqlite
from storage.secrets import Secrets
from storage.unit_of_work import Database
from texts.i18n import SUPPORTED_LANGUAGES, Translator

log = logging.getLogger(__name__)


def file_url_for(base_url: str) -> str:
    """Telegram serves files beside the API: ".../bot" becomes ".../file/bot"."""
    return base_url.removesuffix("/bot") + "/file/bot"


async def _set_commands(application: BotApplication) -> None:
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
                BotCommand("mydata", _("What the bot keeps about me")),
                BotCommand("help", _("Commands")),
            ],
            scope=BotCommandScopeAllPrivateChats(),
            language_code=code,
        )
        await application.bot.set_my_commands(
            [
                BotCommand("new", _("Open a purchase")),
                BotCommand("campaigns", _("Campaigns to sell here")),
                BotCommand("point", _("Pickup point on the map")),
                BotCommand("settings", _("Community settings")),
                BotCommand("paytoken", _("Payments in Telegram")),
            ],
            scope=BotCommandScopeAllGroupChats(),
            language_code=code,
        )


HANDLER_MODULES = (
    purchase_wizard, wizard_sources, start, language, community, new_purchase, my_orders,
    receipts, purchase_card, head_panel, head_commands, transfer, payments, pickup, helpers,
    supply_form, edit_purchase, price_lists, campaigns, operator_campaigns, pickup_points, routes,
    drivers, ratings, scorecards, checkout, admission, my_data, unusual_orders, order_editor,
    roles,
)  # fmt: skip


async def hold_polling(application: BotApplication, url: str) -> None:
    """Make this the one process polling Telegram for the PostgreSQL database at `url` (for
    as long as it runs): Telegram gives each update to one getUpdates, so two pollers would
    each miss the other's updates (and Telegram answers both with 409 Conflict)."""
    poller = SingletonLock(url, POLLING)
    await poller.open()
    if not await poller.try_take():
        await poller.close()
        raise HeldByAnotherProcess(
            "another bot process is polling Telegram for this database; polling means one "
            "process: stop the other one, or run several in webhook mode (docs/deploy.md)"
        )
    application.bot_data.poller = poller


def handler_of(
    application: BotApplication,
    rt: Runtime,
) -> Callable[[dict[str, Any]], Awaitable[bool]]:
    """What a lane does with an update kept in the inbox: handle it now, and say whether
    its handler claimed it in the transaction of its change."""

    async def handle(data: dict[str, Any]) -> bool:
        update_id = int(data["update_id"])
        try:
            update = Update.de_json(data, application.bot)
        except Exception:  # Telegram's, yet unreadable: logged, not retried forever
            log.exception("update %s in the inbox cannot be read; skipped", update_id)
            return False
        await application.process_update(update)
        UPDATES_HANDLED.inc()
        return rt.inbox.take_claim(update_id)

    return handle


def turn_away_of(
    application: BotApplication,
    rt: Runtime,
) -> Callable[[dict[str, Any], bool], Awaitable[None]]:
    """What a lane does with an update of a flood it does not take: tell the person."""

    async def refuse(data: dict[str, Any], first: bool) -> None:
        await turn_away(rt, Update.de_json(data, application.bot), first)

    return refuse


def build_application(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> BotApplication:
    """A python-telegram-bot Application talking to BOT_API_BASE_URL with our handlers.

    `clock` is the one source of "now" for handlers, the timeline and the sender.
    """
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is required to build the application")
    # RetryAfter.retry_after as a timedelta, the coming default: our code reads both, and
    # without this every 429 logs a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")

    limiter = TelegramRateLimiter()  # on PostgreSQL the cluster gives it the shared pace
    webhook = settings.webhook_url is not None

    async def post_init(application: BotApplication) -> None:
        if not webhook and not is_sqlite(settings.database_url):
            await hold_polling(application, settings.database_url)
        # The runtime's pieces get the database itself; handlers see it through its ports.
        database = Database(settings.database_url, Secrets(settings.secrets_keys))
        if not database.keeps_secrets:  # a chat admin who tries is told to ask the operator
            log.info("SECRETS_KEY is not set: chat admins cannot set their own payment token")
        application.bot_data.database = database
        rt = Runtime(settings, database, clock)
        rt.inbox = Inbox(database, rt.clock)
        bot.use_inbox(rt.inbox)
        processor.inbox = rt.inbox
        processor.turn_away = functools.partial(turn_away, rt)
        rt.cards = CardRefresher(card_editor(rt, application.bot))
        rt.editor_redraws = CardRefresher(editor_redrawer(rt, application.bot))
        rt.taps = TapBatcher(database)
        rt.timeline = Timeline(database, rt.clock, rt.cards.request)

        def purchase_changed(purchase_id: int) -> None:
            rt.cards.request(purchase_id)
            rt.timeline.plan(purchase_id)

        if settings.payment_provider_token is not None:
            rt.payment_token = settings.payment_provider_token.get_secret_value()
        rt.notifier = Notifier(
            database, rt.clock, NotifierTiming(), application.bot.username, purchase_changed,
            yield_to=rt.timeline.reaching_deadlines, pay_in_telegram=rt.payment_token is not None,
        )  # fmt: skip
        rt.sender = OutboxSender(database, application.bot, rt.clock)
        async with database.unit_of_work() as uow:
            rt.chosen_languages = await uow.telegram.chosen_languages()
        application.bot_data.runtime = rt
        if settings.metrics_listen is not None:
            metrics = MetricsServer(application, settings.metrics_listen)
            application.bot_data.metrics = metrics
            await metrics.start()
        rt.mini_app_url = settings.mini_app_url  # in webhook mode the webhook server serves it
        if settings.mini_app_listen is not None and not webhook:
            host, _, port = settings.mini_app_listen.rpartition(":")
            server = MiniAppServer(application, host.strip("[]"), int(port))
            application.bot_data.mini_app = server
            local = await server.start()
            rt.mini_app_url = settings.mini_app_url or local
        rt.notifier.mini_app_url = rt.mini_app_url
        rt.background = [asyncio.get_running_loop().create_task(rt.inbox.run_forever())]

        async def lead() -> None:
            """The timers, the notices, the sender and the cards: one process's work."""
            await rt.timeline.start()
            loop = asyncio.get_running_loop()
            rt.background += [
                loop.create_task(rt.notifier.run_forever()),
                loop.create_task(rt.sender.run_forever()),
                loop.create_task(finish_posting(application.bot, rt)),
            ]

        lanes = webhook and not database.is_sqlite
        if not lanes:
            # What a previous run kept but did not finish goes first, in the order it came.
            # (With lanes, several processes share the inbox: their sweep takes what waits.)
            for update in await rt.inbox.left_over(bot):
                await application.update_queue.put(update)
        if database.is_sqlite:
            await lead()
        else:
            cluster = Cluster(settings.database_url, rt, limiter, lead, stop_soon, lanes)
            application.bot_data.cluster = cluster
            dispatcher = LaneDispatcher(
                cluster.lanes, rt.clock, handler_of(application, rt),
                turn_away_of(application, rt),
            )  # fmt: skip
            await cluster.start(dispatcher if lanes else None)
        await _set_commands(application)

    def stop_soon() -> None:
        """The leader's lock was lost: stop, so that the new leader is alone."""
        stopping: asyncio.Event | None = application.bot_data.stopping
        if stopping is not None:  # webhook mode (bot/webhook.py)
            stopping.set()
        else:
            application.stop_running()

    async def post_stop(application: BotApplication) -> None:
        # Runs before python-telegram-bot closes the bot's HTTP client: the sender finishes
        # the batch it is sending and records it, so a graceful stop sends nothing twice.
        rt: Runtime | None = application.bot_data.runtime
        cluster: Cluster | None = application.bot_data.cluster
        if rt is not None:
            if cluster is not None and cluster.dispatcher is not None:
                await cluster.dispatcher.stop()  # the lanes under way finish their update
            await rt.taps.close()
            if cluster is None or cluster.leading:
                # The notifier re-plans timers and asks for card edits: it stops before those.
                await rt.notifier.stop()
                await rt.timeline.stop()
                await rt.sender.stop()
            # Last: every update handled so far is recorded, so the next start repeats none.
            await rt.inbox.stop()
            for task in rt.background:
                await stop_task(task)
            await rt.cards.close()
            await rt.editor_redraws.close()
        if cluster is not None:
            await cluster.stop()

    async def post_shutdown(application: BotApplication) -> None:
        parts = application.bot_data
        for server in (parts.mini_app, parts.metrics):
            if server is not None:
                await server.stop()
        if parts.database is not None:
            await parts.database.dispose()
        if parts.poller is not None:
            await parts.poller.close()

    bot = InboxBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_api_base_url,
        base_file_url=file_url_for(settings.bot_api_base_url),
        request=ConnectionSet(),
        # What python-telegram-bot uses for getUpdates when not told otherwise.
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        rate_limiter=limiter,
    )
    processor = PerPersonUpdateProcessor()
    application = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .context_types(ContextTypes(context=BotContext, bot_data=ProcessParts))
        .job_queue(None)  # the timeline (runtime/timeline.py) keeps the bot's times
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
