"""The catalog Mini App over HTTP: the page (plain HTML and JS, bot/static/mini_app.html) and
its two JSON requests, each carrying Telegram's launch data in the X-Telegram-Init-Data
header. Data that is missing, forged, stale or signed for another bot is answered 401 and
changes nothing (runtime/mini_app_auth.py); what the use cases refuse comes back with the
reason in the person's language (handlers/mini_app.py).

In webhook mode the webhook server serves these routes at MINI_APP_URL's path; in polling mode
(and the sandbox) `MiniAppServer` does, on MINI_APP_LISTEN.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from aiohttp import web
from telegram.error import TelegramError
from telegram.ext import Application

from handlers import mini_app
from handlers.runtime import Runtime
from runtime.mini_app_auth import InitDataRefused, MiniAppUser, validate_init_data

log = logging.getLogger(__name__)

INIT_DATA_HEADER = "X-Telegram-Init-Data"
PAGE_PATH = "/app"
MAX_BODY_BYTES = 64 * 1024
PHOTOS_KEPT = 200


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


class MiniAppRoutes:
    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self._application = application
        # Photos fetched from Telegram, the latest few: a catalog shows the same ones to many.
        self._photos: dict[str, bytes] = {}

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(PAGE_PATH, self._page)
        app.router.add_get(PAGE_PATH + "/api/purchase/{purchase_id:\\d{1,18}}", self._catalog)
        app.router.add_post(PAGE_PATH + "/api/purchase/{purchase_id:\\d{1,18}}", self._save)
        app.router.add_get(
            PAGE_PATH + "/photo/{purchase_id:\\d{1,18}}/{item_id:\\d{1,9}}", self._photo
        )

    @property
    def _runtime(self) -> Runtime:
        rt: Runtime = self._application.bot_data["runtime"]
        return rt

    def _person(self, request: web.Request) -> MiniAppUser:
        rt = self._runtime
        return validate_init_data(
            request.headers.get(INIT_DATA_HEADER, ""), self._application.bot.token, rt.clock()
        )

    async def _page(self, _request: web.Request) -> web.Response:
        page = resources.files("bot").joinpath("static/mini_app.html").read_text("utf-8")
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    async def _catalog(self, request: web.Request) -> web.Response:
        try:
            person = self._person(request)
            body = await mini_app.catalog(
                self._application.bot, self._runtime, person,
                int(request.match_info["purchase_id"]),
            )  # fmt: skip
        except InitDataRefused as refused:
            return _json({"error": str(refused)}, 401)
        except mini_app.Refused as refused:
            return _json({"error": refused.reason}, refused.status)
        return _json(body)

    async def _save(self, request: web.Request) -> web.Response:
        try:
            person = self._person(request)
        except InitDataRefused as refused:
            return _json({"error": str(refused)}, 401)
        try:
            sent = await request.json()
        except (ValueError, UnicodeDecodeError):
            sent = None
        try:
            body = await mini_app.save(
                self._application.bot, self._runtime, person,
                int(request.match_info["purchase_id"]), sent,
            )  # fmt: skip
        except mini_app.Refused as refused:
            return _json({"error": refused.reason}, refused.status)
        return _json(body)

    async def _photo(self, request: web.Request) -> web.Response:
        """An item's photo: an <img> sends no header, so the launch data comes as `init`."""
        try:
            person = validate_init_data(
                request.query.get("init", ""), self._application.bot.token, self._runtime.clock()
            )
            file_id = await mini_app.photo_of(
                self._application.bot, self._runtime, person,
                int(request.match_info["purchase_id"]), int(request.match_info["item_id"]),
            )  # fmt: skip
        except InitDataRefused as refused:
            return _json({"error": str(refused)}, 401)
        except mini_app.Refused as refused:
            return _json({"error": refused.reason}, refused.status)
        data = self._photos.get(file_id)
        if data is None:
            try:
                data = bytes(await (await self._application.bot.get_file(file_id))
                             .download_as_bytearray())  # fmt: skip
            except TelegramError as error:
                log.warning("an item's photo could not be fetched from Telegram: %s", error)
                return _json({"error": "the photo is not available"}, 502)
            if len(self._photos) >= PHOTOS_KEPT:
                self._photos.pop(next(iter(self._photos)))
            self._photos[file_id] = data
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        return web.Response(body=data, content_type=kind,
                            headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip


class MiniAppServer:
    """The Mini App on its own port, for polling mode and the sandbox."""

    def __init__(self, application: Application, host: str, port: int) -> None:  # type: ignore[type-arg]
        self._routes = MiniAppRoutes(application)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Serve it; returns the page's URL (on the port taken, when asked for any)."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        self._routes.add_to(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        port = self._runner.addresses[0][1]
        log.info("the catalog Mini App is served at http://%s:%s%s", self._host, port, PAGE_PATH)
        return f"http://{self._host}:{port}{PAGE_PATH}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
