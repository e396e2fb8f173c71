"""Webhook mode: a small aiohttp server that takes Telegram's updates, keeps each in the inbox
before answering 200 (Telegram forgets an update once it is answered), and hands it to the
application (on PostgreSQL: to its lane, which any of several processes may hold,
runtime/lanes.py); plus a health endpoint for the load balancer. (Prometheus' metrics are on
METRICS_LISTEN, never here: bot/metrics_server.py.)

It listens on WEBHOOK_LISTEN (loopback by default): WEBHOOK_URL is the public address, usually a
reverse proxy that terminates TLS in front of it. Every request must carry WEBHOOK_SECRET in
Telegram's X-Telegram-Bot-Api-Secret-Token header; anything else is refused and changes nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.lifecycle import ALLOWED_UPDATES, start_running, stop_running
from bot.mini_app import MiniAppRoutes
from bot.process import BotApplication
from bot.settings import Settings
from bot.takeover import TakenOver, held_takeover, taken_over_message, watch_webhook
from runtime.inbox import lighten
from runtime.outbox_sender import stop_task
from storage.inbox import lane_of
from storage.migrate import is_up_to_date
from storage.takeover import Takeover

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
# How long a stopping worker of several answers 503 to health checks, still taking updates,
# before it closes: longer than the load balancer needs to stop sending it any
# (deploy/haproxy.cfg: two failed checks 0.5 s apart).
DRAIN_SECONDS = 1.5
# Telegram's updates are small; a larger body is not one of them.
MAX_BODY_BYTES = 1 << 20


class WebhookServer:
    def __init__(self, application: BotApplication, settings: Settings) -> None:
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        self._application = application
        self._settings = settings
        self._secret = settings.webhook_secret.get_secret_value().encode()
        self.path = "/" + urlsplit(settings.webhook_url).path.lstrip("/")
        self._runner: web.AppRunner | None = None
        self.draining = False

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.path, self._update)
        app.router.add_get(HEALTH_PATH, self._health)
        if self._settings.mini_app_url is not None:  # the catalog Mini App, at /app
            MiniAppRoutes(self._application).add_to(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.listen_host, self._settings.listen_port)
        await site.start()
        log.info("webhook server listening on %s", self._settings.webhook_listen)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=401, text="wrong or missing secret token")
        try:
            data: Any = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="the body must be a JSON update")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="the body must be a JSON update")
        runtime = self._application.bot_data.made_runtime()
        lighten(data)
        # Kept before the 200: once answered, Telegram never sends this update again.
        await runtime.inbox.keep([data])
        cluster = self._application.bot_data.cluster
        if cluster is not None and cluster.dispatcher is not None:
            cluster.dispatcher.arrived(lane_of(data))
            return web.Response(text="ok")
        try:
            update = Update.de_json(data, self._application.bot)
        except Exception:  # Telegram's, yet unreadable: answered, so it is not sent again
            log.exception("update %s cannot be read; skipped", data["update_id"])
            return web.Response(text="ok")
        await self._application.update_queue.put(update)
        return web.Response(text="ok")

    async def _health(self, _request: web.Request) -> web.Response:
        """200 once the bot runs, its database answers and has every migration this code
        knows; 503 otherwise, with why (the load balancer sends updates only on a 200)."""
        database = self._application.bot_data.database
        if self.draining:
            return web.json_response({"status": "stopping"}, status=503)
        if database is None or self._application.bot_data.runtime is None:
            return web.json_response({"status": "starting"}, status=503)
        if not self._application.running:
            return web.json_response({"status": "starting"}, status=503)
        try:
            async with database.engine.connect() as connection:
                current = await asyncio.wait_for(is_up_to_date(connection), 5)
        except Exception as error:  # any failure of the database is "unhealthy", with why
            return web.json_response(
                {"status": "database unavailable", "error": type(error).__name__}, status=503
            )
        if not current:
            return web.json_response({"status": "migrations not applied"}, status=503)
        return web.json_response({"status": "ok"})


async def serve_webhook(application: BotApplication, settings: Settings) -> None:
    """Run the bot in webhook mode until SIGINT or SIGTERM, then stop it gracefully; raises
    TakenOver when a poller holds a take-over of the updates (bot/takeover.py)."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    url = settings.webhook_url
    stopping = asyncio.Event()
    application.bot_data.stopping = stopping  # the leader's lost lock stops the process too
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    server = WebhookServer(application, settings)
    watch: asyncio.Task[None] | None = None
    secret = settings.webhook_secret.get_secret_value()

    async def set_ours() -> None:  # at start, and again when it is gone (bot/takeover.py)
        await application.bot.set_webhook(
            url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )

    try:
        await start_running(application)
        held = await held_takeover(application)
        if held is not None:  # a poller has the updates: this worker does not start
            application.bot_data.taken_over = held
        else:
            await server.start()
            await set_ours()
            watch = loop.create_task(watch_webhook(application, settings, set_ours))
            await stopping.wait()
            if application.bot_data.cluster is not None:  # behind a load balancer: let it turn away
                server.draining = True
                await asyncio.sleep(DRAIN_SECONDS)
    finally:
        await stop_task(watch)
        await server.stop()
        await stop_running(application)
    taken_over: Takeover | None = application.bot_data.taken_over
    if taken_over is not None:
        raise TakenOver(taken_over_message(taken_over))
