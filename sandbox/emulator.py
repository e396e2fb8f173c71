"""A local Telegram Bot API over real HTTP on 127.0.0.1, strict where Telegram is strict.

python-telegram-bot talks to it through BOT_API_BASE_URL exactly as it talks to Telegram:
the same envelope, status codes, limits and refusals. Tests and the console play the users
through `sandbox.driver`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from sandbox.api_params import ApiError, Params, bad_request
from sandbox.chat_methods import ChatMethods
from sandbox.file_methods import FileMethods
from sandbox.message_methods import MessageMethods
from sandbox.model import RecordedCall, SandboxUser
from sandbox.payment_methods import PaymentMethods
from sandbox.update_delivery import UpdateDelivery

log = logging.getLogger(__name__)


class TelegramSandbox(UpdateDelivery, ChatMethods, MessageMethods, FileMethods, PaymentMethods):
    """The emulator: the HTTP server that calls the Bot API methods its bases implement."""

    # --- server -----------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        """Serve on 127.0.0.1 (a free port when 0); `base_url` is then ready."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # A long poll still waiting when the bot stops must not hold the shutdown for a minute.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _read_params(self, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, str, bytes]] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad_request("request body must be a JSON object")
                values.update(body)
            elif request.content_type == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        content_type = part.headers.get("Content-Type", "application/octet-stream")
                        files[part.name] = (part.filename, content_type, await part.read())
                    else:
                        values[part.name] = await part.text()
            else:
                values.update(await request.post())
        return Params(values, files)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        name = request.match_info["method"]
        method = getattr(self, f"api_{name.lower()}", None)
        if method is None:
            return self._error(ApiError(404, "Not Found"))
        params = Params({}, {})
        try:
            params = await self._read_params(request)
            if self.refusals.get(name.lower()):
                raise self.refusals[name.lower()].pop(0)
            result = await method(params)
        except ApiError as error:
            if error.status == 409 and (
                request.transport is None or request.transport.is_closing()
            ):
                # A long poll its bot gave up (a stop cancels it, then confirms the offset
                # with one more getUpdates): ended, but nobody was there to be told.
                return self._error(error)
            self._record(name, params, error.status, error.description, error.retry_after)
            return self._error(error)
        self._record(name, params, 200)
        if name.lower() in self.late_answers:
            await asyncio.sleep(self.late_answers[name.lower()])
        return web.json_response({"ok": True, "result": result})

    def _record(
        self,
        method: str,
        params: Params,
        status: int,
        description: str = "",
        retry_after: int | None = None,
    ) -> None:
        shown = dict(params.values) | {name: f"<file {f[0]}>" for name, f in params.files.items()}
        self.calls.append(
            RecordedCall(method, shown, status, description, retry_after, at=self.clock())
        )
        asyncio.get_running_loop().create_task(self._notify())

    @staticmethod
    def _error(error: ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        if self.downloads_held is not None:
            await self.downloads_held.wait()
        for stored in self.files.values():
            if stored.file_path == request.match_info["path"]:
                return web.Response(body=stored.data, content_type=stored.mime_type)
        return web.Response(status=404)

    def web_app_init_data(self, user: SandboxUser, at: float | None = None) -> str:
        """The launch data a Telegram app hands a Mini App opened by `user`, signed as Telegram
        signs it: the hex HMAC-SHA-256 of the sorted `key=value` lines under the key
        HMAC-SHA-256("WebAppData", bot token)."""
        fields = {
            "query_id": f"AA{secrets.token_urlsafe(12)}",
            "user": json.dumps(user.to_api(), separators=(",", ":"), ensure_ascii=False),
            "auth_date": str(int(time.time() if at is None else at)),
        }
        check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()
        secret = hmac.new(b"WebAppData", self.token.encode(), hashlib.sha256).digest()
        fields["hash"] = hmac.new(secret, check, hashlib.sha256).hexdigest()
        return urlencode(fields, quote_via=quote)

    async def api_close(self, params: Params) -> bool:
        return True

    async def api_logout(self, params: Params) -> bool:
        return True
