"""Prometheus' /metrics on METRICS_LISTEN, an address of its own: never on the webhook's, which
the load balancer forwards from outside (what the bot counts says how busy it is and who
leads, which is nobody else's business). Off unless METRICS_LISTEN is set.

A scrape costs little: the counters are kept as the runtime works, and the two depths
(updates not yet handled, messages not yet sent) are counted from indexes at most once every
DEPTHS_FRESH_FOR seconds, however often, or by how many, /metrics is asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.process import BotApplication
from runtime.metrics import INBOX_DEPTH, LEADER, OUTBOX_DEPTH, REGISTRY

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
DEPTHS_FRESH_FOR = 5.0
# A database too slow to count in this long leaves the last depths shown.
COUNT_TIMEOUT = 2.0


class MetricsServer:
    def __init__(self, application: BotApplication, listen: str) -> None:
        self._application = application
        host, _, port = listen.rpartition(":")
        self._host, self._port = host.strip("[]"), int(port)
        self._runner: web.AppRunner | None = None
        self._counted_at = -DEPTHS_FRESH_FOR
        self._counting = asyncio.Lock()  # scrapes at once share one count

    async def start(self) -> int:
        """Serve /metrics; returns the port (the one taken, when asked for any)."""
        app = web.Application(client_max_size=1024)
        app.router.add_get(METRICS_PATH, self._metrics)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        port = int(self._runner.addresses[0][1])
        log.info("metrics are served at http://%s:%s%s", self._host, port, METRICS_PATH)
        return port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, _request: web.Request) -> web.Response:
        """Prometheus' text format: this process's counters, and the queues' depths."""
        await self._count_depths()
        cluster = self._application.bot_data.cluster
        LEADER.set(1 if cluster is None or cluster.leading else 0)
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def _count_depths(self) -> None:
        database = self._application.bot_data.database
        if database is None:
            return
        async with self._counting:
            if time.monotonic() - self._counted_at < DEPTHS_FRESH_FOR:
                return
            self._counted_at = time.monotonic()
            with contextlib.suppress(Exception):  # the counters are still worth showing
                async with asyncio.timeout(COUNT_TIMEOUT), database.unit_of_work() as uow:
                    INBOX_DEPTH.set(await uow.inbox.depth())
                    OUTBOX_DEPTH.set(await uow.outbox.depth())
