"""One bot token, one way of taking its updates. A process without WEBHOOK_URL would delete the
production workers' webhook as it starts polling (python-telegram-bot's start_polling does),
and when it stopped no webhook would be set: production would silently receive nothing. So:

- before polling, a process asks Telegram (getWebhookInfo) and, while a webhook is set,
  refuses in one line (exit 2) unless TAKE_OVER_WEBHOOK says to take the updates over;
- a take-over is recorded in the database and held while the poller runs (renewed every
  RENEW_EVERY, let go when it stops, lapsing HOLD_FOR after it dies): webhook workers that see
  it stop (exit 3), and none starts while it is held;
- the leading webhook worker checks every WEBHOOK_CHECK_SECONDS that the webhook is still its
  own, and sets it again when it is gone without a take-over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from telegram.error import TelegramError

from bot.process import BotApplication
from bot.settings import Settings
from storage.database import HeldByAnotherProcess
from storage.takeover import Takeover
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

HOLD_FOR = timedelta(seconds=90)
RENEW_EVERY = 20.0


def _where(url: str) -> str:
    return urlsplit(url).netloc or url


class TakenOver(HeldByAnotherProcess):
    """A poller holds a take-over of the updates: this webhook worker stops, exit 3 (one the
    systemd unit does not restart; 2, a setting or a database that is away, it does)."""


def taken_over_message(takeover: Takeover) -> str:
    return (
        f"a polling process ({takeover.taken_by}) took this bot's updates over at "
        f"{takeover.taken_at:%Y-%m-%d %H:%M:%S} UTC (TAKE_OVER_WEBHOOK); this webhook worker "
        "stops. Stop that process before starting the workers again (docs/deploy.md)"
    )


async def refuse_beside_webhook(application: BotApplication, settings: Settings) -> bool:
    """Before polling: raises HeldByAnotherProcess while Telegram has a webhook set for this
    token, unless TAKE_OVER_WEBHOOK; returns whether this poller takes a webhook's place."""
    await application.bot.initialize()
    info = await application.bot.get_webhook_info()
    if not info.url:
        return False
    if not settings.take_over_webhook:
        raise HeldByAnotherProcess(
            f"Telegram sends this bot's updates to a webhook ({_where(info.url)}): webhook "
            "workers take them, and polling would take them away. Not polling; to take the "
            "updates over anyway (the workers stop), set TAKE_OVER_WEBHOOK=true (docs/deploy.md)"
        )
    log.warning("taking this bot's updates over from the webhook at %s", _where(info.url))
    return True


class PollerHold:
    """The take-over, recorded and held while this poller runs."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._database, self._clock = database, clock
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._task: asyncio.Task[None] | None = None

    async def take(self) -> None:
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            await uow.takeovers.take(self.name, now, now + HOLD_FOR)
            await uow.commit()
        self._task = asyncio.get_running_loop().create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                await self._hold_until(self._clock() + HOLD_FOR)
            except Exception:  # the database is away for a moment: the hold lasts HOLD_FOR
                log.exception("the take-over of the webhook's updates could not be renewed")

    async def _hold_until(self, until: datetime) -> None:
        async with self._database.unit_of_work() as uow:
            await uow.takeovers.hold(self.name, until)
            await uow.commit()

    async def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):  # not let go: it lapses after HOLD_FOR
            await self._hold_until(self._clock())


async def held_takeover(application: BotApplication) -> Takeover | None:
    """The take-over a poller holds now, if one does."""
    database = application.bot_data.made_database()
    rt = application.bot_data.made_runtime()
    async with database.unit_of_work() as uow:
        takeover = await uow.takeovers.current()
    return takeover if takeover is not None and takeover.held_until > rt.clock() else None


async def watch_webhook(
    application: BotApplication,
    settings: Settings,
    set_ours: Callable[[], Awaitable[None]],
) -> None:
    """A webhook worker's watch: stop when a poller took over; the leader sets the webhook
    again (`set_ours`, as at start) when it is gone without a take-over."""
    stopping = application.bot_data.stopping
    assert stopping is not None  # set by serve_webhook before it starts watching
    while not stopping.is_set():
        await asyncio.sleep(settings.webhook_check_seconds)
        try:
            takeover = await held_takeover(application)
            if takeover is not None:
                log.warning("%s", taken_over_message(takeover))
                application.bot_data.taken_over = takeover
                stopping.set()
                return
            cluster = application.bot_data.cluster
            if cluster is not None and not cluster.leading:
                continue
            info = await application.bot.get_webhook_info()
            # Asked again: a poller may have taken over (and deleted it) between the two.
            if info.url != settings.webhook_url and await held_takeover(application) is None:
                log.warning(
                    "the webhook was gone (%s) with no take-over recorded; setting it again",
                    _where(info.url) if info.url else "none set",
                )
                await set_ours()
        except (TelegramError, OSError) as error:
            log.warning("the webhook could not be checked: %s", error)
        except Exception:  # the database is away for a moment: the next check tries again
            log.exception("the webhook's take-over could not be checked")
