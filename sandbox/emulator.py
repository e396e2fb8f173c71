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
import itertools
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
from aiohttp import web

from sandbox.formatting import ParseError, parse_html, utf16_length
from sandbox.limits import FloodControl, Limits
from sandbox.model import (
    CallbackAnswer,
    PendingCallback,
    PendingCheckout,
    RecordedCall,
    SandboxChat,
    SandboxMessage,
    SandboxUser,
    StoredFile,
)

log = logging.getLogger(__name__)

UPDATE_TYPES = (
    "message", "edited_message", "callback_query", "my_chat_member", "chat_member",
    "pre_checkout_query",
)  # fmt: skip
# How long Telegram waits for the bot's answer to a pre-checkout query before it gives up.
CHECKOUT_TIMEOUT = 10.0
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Fields Telegram takes as JSON objects; form-encoded clients send them as JSON text.
JSON_FIELDS = {
    "reply_markup", "allowed_updates", "entities", "commands", "link_preview_options", "media",
    "prices", "reply_parameters",
}  # fmt: skip
# What a picture's bytes begin with (PNG, JPEG, GIF, WebP's RIFF): Telegram decodes a photo.
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")
# A photo sent by URL: the sandbox cannot fetch it, so it keeps this 1×1 grey PNG instead.
STAND_IN_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c"
    "636800000082008177cd72b60000000049454e44ae426082"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """Answered to the bot as Telegram would: status code, description, maybe retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


# What a restricted member may not do (getChatMember lists every right of theirs).
RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)


def sender_of(update: dict[str, Any]) -> int:
    """Whose update it is (its sender, else its chat): the webhook delivers each one's in turn."""
    for kind in UPDATE_TYPES:
        body = update.get(kind)
        if isinstance(body, dict):
            sender = body.get("from") or body.get("chat") or {}
            return int(sender.get("id", 0))
    return 0


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


class Params:
    """A method's parameters from JSON, urlencoded or multipart bodies, read strictly."""

    def __init__(self, values: dict[str, Any], files: dict[str, tuple[str, str, bytes]]) -> None:
        self.values = values
        self.files = files

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        if name in JSON_FIELDS and isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def required(self, name: str) -> Any:
        value = self.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty" if name == "text" else f"{name} is required")
        return value

    def int(self, name: str, default: int | None = None) -> int:
        value = self.values.get(name)
        if value is None or value == "":
            if default is None:
                raise bad_request(f"{name} is required")
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def file(self, name: str) -> tuple[str, str, bytes] | str:
        """An uploaded file (name, mime, bytes), or the file_id string to send again."""
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            name, value = value.removeprefix("attach://"), None
        if name in self.files:
            return self.files[name]
        if isinstance(value, str) and value:
            return value
        raise bad_request(f"there is no {name} in the request")


class TelegramSandbox:
    """The emulator: state, the HTTP server, and the Bot API methods."""

    def __init__(
        self,
        token: str | None = None,
        limits: Limits | None = None,
        bot_username: str = "groupbuy_sandbox_bot",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token or f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(27)}"
        bot_id = int(self.token.split(":", 1)[0])
        self.bot = SandboxUser(bot_id, "GroupBuy", bot_username, None, is_bot=True)
        self.limits = limits or Limits()
        self.flood = FloodControl(self.limits)
        # Seconds, as time.monotonic: what flood control counts. A test of the limits moves
        # it itself, so that how long its calls take (a loaded machine) cannot matter.
        self.clock = clock
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.messages: dict[tuple[int, int], SandboxMessage] = {}
        # Each chat's messages in order, so reading one chat costs that chat, not every chat.
        self._by_chat: dict[int, list[SandboxMessage]] = {}
        self.callbacks: dict[str, PendingCallback] = {}
        self.checkouts: dict[str, PendingCheckout] = {}
        # The test payment provider's token, as BotFather gives one ("<id>:TEST:<secret>"):
        # an invoice with any other token is refused, as Telegram refuses an unknown one.
        self.payment_provider_token = f"{bot_id}:TEST:{secrets.token_urlsafe(12)}"
        self.provider_tokens = {self.payment_provider_token}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.calls: list[RecordedCall] = []
        # Method name (lower case) → seconds its answer is held after the call took effect:
        # Telegram answering late (the message is in the chat; the bot does not know yet).
        self.late_answers: dict[str, float] = {}
        # Method name (lower case) → the errors its next calls are answered with, one a call,
        # nothing done: Telegram refusing (a 429) or failing (a 5xx) for a while.
        self.refusals: dict[str, list[ApiError]] = {}
        # Set to an unset event, file downloads wait for it: a file the bot is still fetching
        # and reading, for as long as a test needs (other updates must be answered meanwhile).
        self.downloads_held: asyncio.Event | None = None
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_max_connections = 40
        self._polls = 0  # getUpdates calls so far: a newer one ends an older one waiting
        self._pending_updates: list[dict[str, Any]] = []
        self.sent_updates: dict[int, dict[str, Any]] = {}
        self._allowed_updates: list[str] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._by_url: dict[str, str] = {}  # a photo's URL → the file it became
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.port = 0

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

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

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

    # --- what tests read --------------------------------------------------------------------

    @property
    def rate_limited(self) -> list[RecordedCall]:
        """Every 429 handed out."""
        return [call for call in self.calls if call.status == 429]

    @property
    def broken_rules(self) -> list[RecordedCall]:
        """Every call refused for breaking a rule (4xx other than 429)."""
        return [call for call in self.calls if 400 <= call.status < 500 and call.status != 429]

    def chat_messages(self, chat_id: int) -> list[SandboxMessage]:
        return [m for m in self._by_chat.get(chat_id, []) if not m.deleted]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `condition()` is truthy (checked after every change); returns its value."""
        async with self._changed:
            result = await asyncio.wait_for(self._changed.wait_for(condition), timeout)
        return result

    # --- updates ----------------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self.sent_updates[update_id] = update
        self._pending_updates.append(update)
        if self.webhook_url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an update again with the same id, as Telegram does after a crash."""
        self._pending_updates.append(self.sent_updates[update_id])
        if self.webhook_url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        asyncio.get_running_loop().create_task(self._notify())

    def _deliverable(self) -> list[dict[str, Any]]:
        if not self._allowed_updates:
            return list(self._pending_updates)
        allowed = set(self._allowed_updates)
        self._pending_updates = [
            u for u in self._pending_updates if allowed & (u.keys() - {"update_id"})
        ]
        return list(self._pending_updates)

    async def api_getupdates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.int("offset", 0)
        limit = min(max(params.int("limit", 100), 1), 100)
        timeout = max(params.int("timeout", 0), 0)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = [kind for kind in allowed if kind in UPDATE_TYPES]
        if offset:
            # Updates are forgotten only once the bot confirms them with a higher offset.
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        # As Telegram: a getUpdates while another one waits ends the waiting one with 409
        # (two processes polling with one token take turns failing).
        self._polls += 1
        this_poll = self._polls
        await self._notify()
        if not self._deliverable() and timeout:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(
                    lambda: self._deliverable() or self._polls != this_poll, timeout
                )
        if self._polls != this_poll:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._deliverable()[:limit]

    async def api_setwebhook(self, params: Params) -> bool:
        url = params.get("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
                # The sandbox only ever talks to this machine.
                raise bad_request("bad webhook: the sandbox delivers to 127.0.0.1 only")
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token")
        self.webhook_max_connections = min(max(params.int("max_connections", 40), 1), 100)
        if params.bool("drop_pending_updates"):
            self._pending_updates.clear()
        # One deliverer at a time, as Telegram sends one update after another: a task still
        # running (retrying a bot that died) goes on, to the new address.
        running = self._webhook_task is not None and not self._webhook_task.done()
        if url and self._pending_updates and not running:
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        return True

    async def api_deletewebhook(self, params: Params) -> bool:
        self.webhook_url = ""
        if params.bool("drop_pending_updates"):
            self._pending_updates.clear()
        return True

    async def api_getwebhookinfo(self, params: Params) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }

    async def _deliver_webhook(self) -> None:
        """Post pending updates to the webhook as Telegram does: up to `max_connections` at
        once, each person's one after another (the next waits for the answer to the last),
        and again after a pause until the bot answers 2xx."""
        in_flight: dict[int, asyncio.Task[None]] = {}
        connector = aiohttp.TCPConnector(limit=self.webhook_max_connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                while self.webhook_url and (self._pending_updates or in_flight):
                    self._post_next_updates(session, in_flight)
                    if not in_flight:
                        await asyncio.sleep(0.05)
                        continue
                    await asyncio.wait(set(in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
                    for update_id in [i for i, task in in_flight.items() if task.done()]:
                        del in_flight[update_id]
            finally:
                for task in in_flight.values():
                    task.cancel()

    def _post_next_updates(
        self, session: aiohttp.ClientSession, in_flight: dict[int, asyncio.Task[None]]
    ) -> None:
        busy = {sender_of(self.sent_updates[update_id]) for update_id in in_flight}
        room = self.webhook_max_connections - len(in_flight)
        for update in list(self._pending_updates):
            who = sender_of(update)
            if room <= 0:
                break
            if update["update_id"] in in_flight or who in busy:
                continue
            busy.add(who)
            room -= 1
            in_flight[update["update_id"]] = asyncio.create_task(self._post_update(session, update))

    async def _post_update(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret or ""}
        try:
            async with session.post(self.webhook_url, json=update, headers=headers) as response:
                delivered = 200 <= response.status < 300
        except aiohttp.ClientError:
            delivered = False
        if delivered:
            if update in self._pending_updates:  # setWebhook may have dropped it
                self._pending_updates.remove(update)
            await self._notify()
        else:
            await asyncio.sleep(0.2)  # the person's next update waits behind this one

    # --- chats and members ------------------------------------------------------------------

    def _chat(self, params: Params) -> SandboxChat:
        raw = params.values.get("chat_id")
        try:
            chat_id = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _ensure_can_post(self, chat: SandboxChat) -> None:
        if chat.is_private:
            user = self.users[chat.id]
            if user.blocked_bot:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started_bot:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.members.get(self.bot.id) not in ("member", "administrator"):
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")

    def _member(self, chat: SandboxChat, user_id: int) -> dict[str, Any]:
        user = self.bot if user_id == self.bot.id else self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        status = chat.members.get(user_id, "left")
        member: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "administrator":
            member |= {
                "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                "can_delete_messages": True, "can_manage_video_chats": False,
                "can_restrict_members": False, "can_promote_members": False,
                "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False,
                "can_pin_messages": chat.bot_can_pin if user_id == self.bot.id else True,
            }  # fmt: skip
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0  # banned for good
        elif status.startswith("restricted"):  # "restricted" (still in) or "restricted-left"
            member |= {"status": "restricted", "is_member": status == "restricted",
                       "until_date": 0} | dict.fromkeys(RESTRICTED_RIGHTS, False)  # fmt: skip
        return member

    async def api_getme(self, params: Params) -> dict[str, Any]:
        return self.bot.to_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_getchat(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        return chat.to_api(self.users) | {"accent_color_id": 0, "max_reaction_count": 11}

    async def api_getchatmember(self, params: Params) -> dict[str, Any]:
        return self._member(self._chat(params), params.int("user_id"))

    async def api_getchatadministrators(self, params: Params) -> list[dict[str, Any]]:
        chat = self._chat(params)
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        return [
            self._member(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]

    async def api_setmycommands(self, params: Params) -> bool:
        commands = params.required("commands")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[scope + str(params.get("language_code") or "")] = commands
        return True

    async def api_sendchataction(self, params: Params) -> bool:
        self._ensure_can_post(self._chat(params))
        return True

    # --- messages ---------------------------------------------------------------------------

    def _check_flood(self, chat: SandboxChat, messages: int = 1) -> None:
        wait = self.flood.retry_after(chat.id, chat.is_private, self.clock(), messages)
        if wait:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _text(self, params: Params, field: str, limit: int) -> tuple[str, str | None]:
        source = params.get(field)
        if source is None or source == "":
            if field == "caption":
                return "", None
            raise bad_request("message text is empty")
        source = str(source)
        html = None
        text = source
        mode = (params.get("parse_mode") or "").lower()
        if mode == "html":
            try:
                text = parse_html(source)
            except ParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
            html = source
        elif mode:
            raise bad_request(f"unsupported parse_mode {mode!r} in the sandbox")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_length(text) > limit:
            raise bad_request(
                "message is too long" if field == "text" else "message caption is too long"
            )
        return text, html

    def _markup(self, params: Params, chat: SandboxChat | None = None) -> dict[str, Any] | None:
        """The inline keyboard as Telegram checks it; `chat` is where it is shown (a message
        edited keeps its chat): a Mini App button works in private chats only."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                url = button.get("url")
                web_app = button.get("web_app")
                if web_app is not None:
                    if chat is not None and not chat.is_private:
                        raise bad_request("BUTTON_TYPE_INVALID")
                    address = urlsplit(str(web_app.get("url", "")) if isinstance(web_app, dict)
                                       else "")  # fmt: skip
                    # Telegram takes https only; the sandbox's own Mini App server is http on
                    # the loopback, which stands in for it.
                    local = address.scheme == "http" and address.hostname == "127.0.0.1"
                    if address.scheme != "https" and not local:
                        raise bad_request("BUTTON_URL_INVALID")
                elif data is not None:
                    size = len(str(data).encode())
                    if not 1 <= size <= self.limits.max_callback_data_bytes:
                        raise bad_request("BUTTON_DATA_INVALID")
                elif url is not None:
                    if urlsplit(str(url)).scheme not in ("http", "https", "tg"):
                        raise bad_request("BUTTON_URL_INVALID")
                else:
                    raise bad_request('can\'t find field "callback_data" or "url" in the button')
        return markup

    def _new_message(self, chat: SandboxChat, sender_id: int, **fields: Any) -> SandboxMessage:
        message = SandboxMessage(
            chat.id, chat.next_message_id, sender_id, int(time.time()), **fields
        )
        chat.next_message_id += 1
        self.messages[(chat.id, message.message_id)] = message
        self._by_chat.setdefault(chat.id, []).append(message)
        return message

    def message_to_api(self, message: SandboxMessage, nested: bool = False) -> dict[str, Any]:
        sender = self.bot if message.sender_id == self.bot.id else self.users[message.sender_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chats[message.chat_id].to_api(self.users),
            "from": sender.to_api(),
        }
        if message.text is not None:
            data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.document is not None:
            data["document"] = message.document
        if message.photo is not None:
            data["photo"] = message.photo
        if message.location is not None:
            data["location"] = message.location
        if message.caption:
            data["caption"] = message.caption
        if message.caption_entities:
            data["caption_entities"] = message.caption_entities
        if message.media_group_id is not None:
            data["media_group_id"] = message.media_group_id
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.invoice is not None:
            data["invoice"] = message.invoice
        if message.successful_payment is not None:
            data["successful_payment"] = message.successful_payment
        answered = self.messages.get((message.chat_id, message.reply_to_message_id or 0))
        # As Telegram: the message answered, without the one it answered in turn.
        if answered is not None and not answered.deleted and not nested:
            data["reply_to_message"] = self.message_to_api(answered, nested=True)
        return data

    def _answered(self, params: Params, chat: SandboxChat) -> int | None:
        """The message of `chat` a new one answers (reply_parameters), if it is there."""
        wanted = params.get("reply_parameters")
        if wanted is None:
            return None
        if not isinstance(wanted, dict):
            raise bad_request("can't parse reply parameters JSON object")
        answered = self.messages.get((chat.id, int(wanted.get("message_id", 0))))
        if answered is None or answered.deleted:
            raise bad_request("message to be replied not found")
        return answered.message_id

    async def api_sendmessage(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        text, html = self._text(params, "text", self.limits.max_text_length)
        markup = self._markup(params, chat)
        self._ensure_can_post(chat)
        self._check_flood(chat)
        answered = self._answered(params, chat)
        message = self._new_message(
            chat, self.bot.id, text=text, html=html, reply_markup=markup,
            reply_to_message_id=answered,
        )  # fmt: skip
        return self.message_to_api(message)

    def _own_message(self, params: Params) -> SandboxMessage:
        chat = self._chat(params)
        message = self.messages.get((chat.id, params.int("message_id")))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if message.sender_id != self.bot.id:
            raise bad_request("message can't be edited")
        return message

    async def api_editmessagetext(self, params: Params) -> dict[str, Any]:
        message = self._own_message(params)
        text, html = self._text(params, "text", self.limits.max_text_length)
        markup = self._markup(params, self.chats[message.chat_id])
        if (text, html, markup) == (message.text, message.html, message.reply_markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_flood(self.chats[message.chat_id])
        message.text, message.html, message.reply_markup = text, html, markup
        message.edit_date = int(time.time())
        message.edits += 1
        return self.message_to_api(message)

    async def api_editmessagereplymarkup(self, params: Params) -> dict[str, Any]:
        message = self._own_message(params)
        markup = self._markup(params, self.chats[message.chat_id])
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_flood(self.chats[message.chat_id])
        message.reply_markup = markup
        message.edit_date = int(time.time())
        message.edits += 1
        return self.message_to_api(message)

    async def api_deletemessage(self, params: Params) -> bool:
        chat = self._chat(params)
        message = self.messages.get((chat.id, params.int("message_id")))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True

    async def api_pinchatmessage(self, params: Params) -> bool:
        self._pinnable(params, "message to pin not found").pinned = True
        return True

    async def api_unpinchatmessage(self, params: Params) -> bool:
        self._pinnable(params, "message to unpin not found").pinned = False
        return True

    def _pinnable(self, params: Params, not_found: str) -> SandboxMessage:
        chat = self._chat(params)
        message = self.messages.get((chat.id, params.int("message_id")))
        if message is None or message.deleted:
            raise bad_request(not_found)
        if not chat.is_private and not (
            chat.members.get(self.bot.id) == "administrator" and chat.bot_can_pin
        ):
            raise bad_request("not enough rights to manage pinned messages in the chat")
        return message

    def _store_file(
        self, upload: tuple[str, str, bytes] | str, kind: str = "document"
    ) -> StoredFile:
        if isinstance(upload, str):
            if urlsplit(upload).scheme in ("http", "https") and kind == "photo":
                # Telegram would fetch it; the sandbox has no internet: a stand-in picture.
                return self.store(("url.png", "image/png", STAND_IN_PNG), kind, source=upload)
            stored = self.files.get(upload)
            if stored is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if stored.kind != kind:
                raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
            return stored
        _name, mime, data = upload
        if not data:
            raise bad_request("file must be non-empty")
        if kind == "photo" and not mime.startswith("image/") and not data.startswith(IMAGE_MAGIC):
            raise bad_request("IMAGE_PROCESS_FAILED")
        return self.store(upload, kind)

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

    def store(self, upload: tuple[str, str, bytes], kind: str, source: str = "") -> StoredFile:
        """Keep a file as Telegram would (a photo sent twice by URL is one file)."""
        if source and source in self._by_url:
            return self.files[self._by_url[source]]
        name, mime, data = upload
        unique = f"U{next(self._ids):06d}"
        stored = StoredFile(f"F{unique}{secrets.token_hex(4)}", unique, name, mime, data, kind)
        self.files[stored.file_id] = stored
        if source:
            self._by_url[source] = stored.file_id
        return stored

    def photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        """A photo as messages carry it: its sizes, the largest last (one size here)."""
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 800,
                "height": 600,
                "file_size": len(stored.data),
            }
        ]

    async def api_senddocument(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        caption, html = self._text(params, "caption", self.limits.max_caption_length)
        markup = self._markup(params, chat)
        stored = self._store_file(params.file("document"))
        self._ensure_can_post(chat)
        self._check_flood(chat)
        document = self._document(stored)
        message = self._new_message(
            chat, self.bot.id, document=document, caption=caption or None, html=html,
            reply_markup=markup,
        )  # fmt: skip
        return self.message_to_api(message)

    @staticmethod
    def _document(stored: StoredFile) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }

    async def api_sendphoto(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        caption, html = self._text(params, "caption", self.limits.max_caption_length)
        markup = self._markup(params, chat)
        stored = self._store_file(params.file("photo"), "photo")
        self._ensure_can_post(chat)
        self._check_flood(chat)
        message = self._new_message(
            chat, self.bot.id, photo=self.photo_sizes(stored), caption=caption or None, html=html,
            reply_markup=markup,
        )  # fmt: skip
        return self.message_to_api(message)

    async def api_sendmediagroup(self, params: Params) -> list[dict[str, Any]]:
        """An album: 2 to 10 photos (documents too, not mixed), each with its own caption."""
        chat = self._chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album (2 to 10)")
        kinds = {entry.get("type") for entry in media if isinstance(entry, dict)}
        if len(kinds) != 1 or not kinds <= {"photo", "document"}:
            raise bad_request("MEDIA_INVALID: an album is of photos or of documents")
        kind = str(kinds.pop())
        prepared = []
        for entry in media:
            caption, html = self._text(Params(entry, {}), "caption", self.limits.max_caption_length)
            stored = self._store_file(Params(entry, params.files).file("media"), kind)
            prepared.append((stored, caption, html))
        self._ensure_can_post(chat)
        self._check_flood(chat, len(prepared))
        sent = []
        album = f"{next(self._ids):012d}"
        for stored, caption, html in prepared:
            fields: dict[str, Any] = (
                {"photo": self.photo_sizes(stored)}
                if kind == "photo"
                else {"document": self._document(stored)}
            )
            message = self._new_message(
                chat, self.bot.id, caption=caption or None, html=html, media_group_id=album,
                **fields,
            )  # fmt: skip
            sent.append(self.message_to_api(message))
        return sent

    async def api_editmessagecaption(self, params: Params) -> dict[str, Any]:
        message = self._own_message(params)
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        caption, html = self._text(params, "caption", self.limits.max_caption_length)
        markup = self._markup(params, self.chats[message.chat_id])
        if (caption or None, html, markup) == (message.caption, message.html, message.reply_markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_flood(self.chats[message.chat_id])
        message.caption, message.html, message.reply_markup = caption or None, html, markup
        message.edit_date = int(time.time())
        message.edits += 1
        return self.message_to_api(message)

    async def api_getfile(self, params: Params) -> dict[str, Any]:
        stored = self.files.get(str(params.required("file_id")))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def api_answercallbackquery(self, params: Params) -> bool:
        pending = self.callbacks.get(str(params.required("callback_query_id")))
        if pending is None or pending.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and utf16_length(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        pending.answer = CallbackAnswer(
            None if text is None else str(text), params.bool("show_alert"), params.get("url")
        )
        pending.answered_at = time.perf_counter()
        pending.answered.set()
        return True

    # --- payments ---------------------------------------------------------------------------

    async def api_sendinvoice(self, params: Params) -> dict[str, Any]:
        """An invoice message, checked as Telegram checks one: the limits of its texts and
        payload, a known provider token, a currency and prices that add up to more than 0."""
        chat = self._chat(params)
        title = str(params.required("title"))
        description = str(params.required("description"))
        payload = str(params.required("payload"))
        currency = str(params.required("currency"))
        if not 1 <= len(title) <= 32:
            raise bad_request("INVOICE_TITLE_INVALID" if title else "title is empty")
        if not 1 <= len(description) <= 255:
            raise bad_request("INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= 128:
            raise bad_request("INVOICE_PAYLOAD_INVALID")
        if str(params.get("provider_token") or "") not in self.provider_tokens:
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise bad_request("CURRENCY_INVALID")
        prices = params.required("prices")
        if not isinstance(prices, list) or not prices:
            raise bad_request("can't parse prices JSON object")
        total = 0
        for price in prices:
            amount = price.get("amount") if isinstance(price, dict) else None
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise bad_request("can't parse prices JSON object")
            if not str(price.get("label", "")).strip():
                raise bad_request("label is empty")
            total += amount
        if total <= 0:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        markup = self._markup(params, chat)
        self._ensure_can_post(chat)
        self._check_flood(chat)
        message = self._new_message(chat, self.bot.id, reply_markup=markup)
        message.invoice = {
            "title": title,
            "description": description,
            "start_parameter": str(params.get("start_parameter") or ""),
            "currency": currency,
            "total_amount": total,
        }
        message.invoice_payload = payload
        return self.message_to_api(message)

    def connect_provider(self) -> str:
        """Another provider account connected in @BotFather → Payments (a head's own): the
        token Telegram gives for it, which invoices may use from now on."""
        token = f"{secrets.randbelow(10**9)}:TEST:{secrets.token_urlsafe(12)}"
        self.provider_tokens.add(token)
        return token

    async def api_answerprecheckoutquery(self, params: Params) -> bool:
        pending = self.checkouts.get(str(params.required("pre_checkout_query_id")))
        if (
            pending is None
            or pending.ok is not None
            or time.perf_counter() - pending.asked_at > CHECKOUT_TIMEOUT
        ):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        ok = params.bool("ok")
        error = params.get("error_message")
        if not ok and not str(error or "").strip():
            raise bad_request("ERROR_MESSAGE_EMPTY")
        pending.ok, pending.error_message = ok, None if ok else str(error)
        pending.answered_at = time.perf_counter()
        pending.answered.set()
        return True

    async def api_close(self, params: Params) -> bool:
        return True

    async def api_logout(self, params: Params) -> bool:
        return True
