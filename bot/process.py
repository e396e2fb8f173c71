"""One process of the bot: the parts it keeps beside the handlers' runtime (the application's
`bot_data`, typed), and the type of its application."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from telegram.ext import Application

from handlers.runtime import BotContext, BotData
from runtime.inbox import InboxBot

if TYPE_CHECKING:  # these modules read the parts; the parts only name their types
    from bot.cluster import Cluster
    from bot.metrics_server import MetricsServer
    from bot.mini_app import MiniAppServer
    from storage.cluster import SingletonLock
    from storage.takeover import Takeover
    from storage.unit_of_work import Database


class ProcessParts(BotData):
    """Made in `post_init` (bot/app.py) and the serving loops (bot/serving.py, bot/webhook.py);
    closed in `post_stop` and `post_shutdown`. None until made, or when this process runs
    without them (no metrics, no Mini App server, SQLite's single process without a cluster)."""

    database: Database | None = None
    cluster: Cluster | None = None
    metrics: MetricsServer | None = None
    mini_app: MiniAppServer | None = None
    # The lock of the one process that polls Telegram for a PostgreSQL database.
    poller: SingletonLock | None = None
    # Set to stop serving: by a signal, or by the leader's lock lost.
    stopping: asyncio.Event | None = None
    # A poller's take-over of the updates, met by a webhook worker: why it stopped.
    taken_over: Takeover | None = None

    def made_database(self) -> Database:
        if self.database is None:
            raise RuntimeError("the database is opened in post_init, and was not yet")
        return self.database


BotApplication = Application[
    InboxBot, BotContext, dict[Any, Any], dict[Any, Any], ProcessParts, None
]
