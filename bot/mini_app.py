"""The catalog Mini App over HTTP: the page (bot/static/mini_app.html, its script and style
served beside it), a session for it, its two JSON requests and the items' photos.

The page trades Telegram's launch data, once, in the X-Telegram-Init-Data header, for a session
(POST /app/api/session/<purchase>); its requests carry the session as `Authorization: Bearer`,
and the catalog gives each photo a signed address that works for minutes
(runtime/mini_app_auth.py). Launch data, a session or a photo address that is missing, forged,
lapsed or for another purchase is answered 401 and changes nothing; what the use cases refuse
comes back with the reason in the person's language (handlers/mini_app.py). There are no
cookies, so another site cannot make a person's browser save an order.

In webhook mode the webhook server serves these routes at MINI_APP_URL's path; in polling mode
(and the sandbox) `MiniAppServer` does, on MINI_APP_LISTEN. Either way these routes read a body
themselves, up to one limit.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from cachetools import LRUCache
from telegram.error import TelegramError

from bot.process import BotApplication
from handlers import mini_app
from handlers.runtime import Runtime
from runtime.mini_app_auth import (
    InitDataRefused,
    MiniAppUser,
    SessionRefused,
    check_photo,
    check_session,
    claimed_language,
    open_session,
    photo_expiry,
    sign_photo,
    validate_init_data,
)

log = logging.getLogger(__name__)

INIT_DATA_HEADER = "X-Telegram-Init-Data"
PAGE_PATH = "/app"
PURCHASE = "{purchase_id:\\d{1,18}}"
# An order of every item of a large purchase is a few kilobytes; the webhook server's own limit
# is Telegram's update size (bot/webhook.py), so these routes keep to this one themselves.
MAX_BODY_BYTES = 64 * 1024
# Photos fetched from Telegram, the most recently shown kept: a catalog shows the same ones to
# many people. Telegram lets a bot download files of up to 20 MB.
PHOTO_CACHE_BYTES = 20 * 1024 * 1024
STATIC = {"mini_app.js": "text/javascript", "mini_app.css": "text/css"}
# Telegram's apps open the page in a web view (no frame) or, on the web, in a frame of
# web.telegram.org. Telegram's script, which its docs ask a Mini App to load, may be (the page
# needs only the address's fragment today); nothing else comes from elsewhere.
TELEGRAM_FRAMES = "https://web.telegram.org https://*.telegram.org"
LOOPBACK_FRAMES = "http://127.0.0.1:* http://localhost:*"
POLICY = (
    "default-src 'self'; script-src 'self' https://telegram.org/js/telegram-web-app.js; "
    "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors "
)


class BodyTooLarge(Exception):
    """A request body over MAX_BODY_BYTES: answered 413, nothing read beyond it."""


class PhotoCache(LRUCache[str, bytes]):
    """Photos by Telegram file id, up to a number of bytes in all, the least recently used
    forgotten first."""

    def __init__(self, max_bytes: int = PHOTO_CACHE_BYTES) -> None:
        super().__init__(maxsize=max_bytes, getsizeof=len)

    def keep(self, file_id: str, data: bytes) -> None:
        if len(data) <= self.maxsize:  # one larger than the whole budget is served, not kept
            self[file_id] = data


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


async def read_body(request: web.Request) -> bytes:
    """The body, or BodyTooLarge once it passes MAX_BODY_BYTES (before a byte is read, when
    the request says its length)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLarge
    return bytes(body)


class MiniAppRoutes:
    def __init__(self, application: BotApplication) -> None:
        self._application = application
        self._photos = PhotoCache()

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(PAGE_PATH, self._page)
        app.router.add_get(PAGE_PATH + "/static/{name}", self._static)
        app.router.add_post(PAGE_PATH + "/api/session/" + PURCHASE, self._session)
        app.router.add_get(PAGE_PATH + "/api/purchase/" + PURCHASE, self._catalog)
        app.router.add_post(PAGE_PATH + "/api/purchase/" + PURCHASE, self._save)
        app.router.add_get(PAGE_PATH + "/photo/" + PURCHASE + "/{item_id:\\d{1,9}}", self._photo)
        app.on_response_prepare.append(self._headers)

    @property
    def _runtime(self) -> Runtime:
        return self._application.bot_data.made_runtime()

    @property
    def _token(self) -> str:
        token: str = self._application.bot.token
        return token

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """On every response of the app's, errors included: no content sniffing, no referrer;
        the page may be framed only by Telegram; nothing of the API is cached."""
        if request.path != PAGE_PATH and not request.path.startswith(PAGE_PATH + "/"):
            return  # the webhook server's own routes
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.path == PAGE_PATH:
            response.headers["Content-Security-Policy"] = POLICY + self._frame_ancestors()
        elif request.path.startswith(PAGE_PATH + "/api/"):
            response.headers["Cache-Control"] = "no-store"

    def _frame_ancestors(self) -> str:
        # Served over plain http (the sandbox, or a try-out without MINI_APP_URL) no Telegram
        # app can open it: only a page on this machine, as the sandbox's chat page does.
        url = self._runtime.mini_app_url
        local = url is not None and urlsplit(url).scheme == "http"
        return TELEGRAM_FRAMES + (" " + LOOPBACK_FRAMES if local else "")

    async def _page(self, _request: web.Request) -> web.Response:
        page = resources.files("bot").joinpath("static/mini_app.html").read_text("utf-8")
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound
        text = resources.files("bot").joinpath("static", name).read_text("utf-8")
        return web.Response(text=text, content_type=STATIC[name], charset="utf-8")

    async def _session(self, request: web.Request) -> web.Response:
        """Launch data, in a header, traded for a session for this purchase."""
        rt, purchase_id = self._runtime, int(request.match_info["purchase_id"])
        init_data = request.headers.get(INIT_DATA_HEADER, "")
        try:
            person = validate_init_data(init_data, self._token, rt.clock())
        except InitDataRefused:
            return _json({"error": mini_app.reopen(rt, *claimed_language(init_data))}, 401)
        try:
            await mini_app.may_open(self._application.bot, rt, person, purchase_id)
        except mini_app.Refused as refused:
            return _json({"error": refused.reason}, refused.status)
        now = rt.clock()
        session = open_session(person, purchase_id, self._token, now)
        lasts = int((session.expires - now).total_seconds())
        return _json({"token": session.token, "expires_in": lasts})

    def _person(self, request: web.Request) -> MiniAppUser:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            raise SessionRefused("no session")
        purchase_id = int(request.match_info["purchase_id"])
        return check_session(token.strip(), purchase_id, self._token, self._runtime.clock())

    def _with_photos(self, catalog: dict[str, Any]) -> dict[str, Any]:
        """Each photo as an address signed for its purchase and item, for minutes."""
        expires = photo_expiry(self._runtime.clock())
        for item in catalog["items"]:
            signature = sign_photo(self._token, catalog["id"], item["id"], expires)
            item["photo"] = (
                f"{PAGE_PATH}/photo/{catalog['id']}/{item['id']}?exp={expires}&sig={signature}"
                if item["photo"] else None
            )  # fmt: skip
        return catalog

    async def _catalog(self, request: web.Request) -> web.Response:
        try:
            person = self._person(request)
            body = await mini_app.catalog(
                self._application.bot, self._runtime, person,
                int(request.match_info["purchase_id"]),
            )  # fmt: skip
        except SessionRefused as refused:
            return _json({"error": str(refused)}, 401)
        except mini_app.Refused as refused:
            return _json({"error": refused.reason}, refused.status)
        return _json(self._with_photos(body))

    async def _save(self, request: web.Request) -> web.Response:
        try:
            person = self._person(request)
            raw = await read_body(request)
        except SessionRefused as refused:
            return _json({"error": str(refused)}, 401)
        except BodyTooLarge:
            return _json({"error": "the request is too large"}, 413)
        try:
            sent = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            sent = None
        try:
            body = await mini_app.save(
                self._application.bot, self._runtime, person,
                int(request.match_info["purchase_id"]), sent,
            )  # fmt: skip
        except mini_app.Refused as refused:
            return _json({"error": refused.reason}, refused.status)
        return _json(self._with_photos(body))

    async def _photo(self, request: web.Request) -> web.Response:
        """An item's photo, by the address the catalog signed (an <img> sends no header)."""
        rt = self._runtime
        purchase_id, item_id = (int(request.match_info[k]) for k in ("purchase_id", "item_id"))
        try:
            until = check_photo(
                self._token, purchase_id, item_id,
                request.query.get("exp", ""), request.query.get("sig", ""), rt.clock(),
            )  # fmt: skip
            file_id = await mini_app.photo_of(rt, purchase_id, item_id)
        except SessionRefused as refused:
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
            self._photos.keep(file_id, data)
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        # Kept by the browser no longer than its address works.
        lasts = max(int((until - rt.clock()).total_seconds()), 0)
        return web.Response(body=data, content_type=kind,
                            headers={"Cache-Control": f"private, max-age={lasts}"})  # fmt: skip


class MiniAppServer:
    """The Mini App on its own port, for polling mode and the sandbox."""

    def __init__(self, application: BotApplication, host: str, port: int) -> None:
        self._routes = MiniAppRoutes(application)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Serve it; returns the page's URL (on the port taken, when asked for any)."""
        app = web.Application()  # the routes keep to MAX_BODY_BYTES themselves
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
