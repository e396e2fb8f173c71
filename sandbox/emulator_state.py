"""What the emulator holds, and what its Bot API methods share: the chat a call names, whether
the bot may post there, flood control, a message's text and keyboard checked as Telegram checks
them, and a message made and shown as the Bot API shows it."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.api_params import ApiError, Params, bad_request
from sandbox.formatting import ParseError, parse_html, utf16_length
from sandbox.limits import FloodControl, Limits
from sandbox.model import (
    PendingCallback,
    PendingCheckout,
    RecordedCall,
    SandboxChat,
    SandboxMessage,
    SandboxUser,
    StoredFile,
)


class EmulatorState:
    """The emulator's state; each kind of Bot API method is a class built on it."""

    def __init__(
        self,
        token: str | None = None,
        limits: Limits | None = None,
        bot_username: str = "groupbuy_sandbox_bot",
        clock: Callable[[], float] = time.monotonic,
        first_update_id: int = 1,
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
        # Telegram's update ids only grow: a sandbox started again over the database of an
        # earlier run goes on after its last one (bot/cli.py), or they would count as seen.
        self._update_ids = itertools.count(first_update_id)
        self._ids = itertools.count(1)
        self._by_url: dict[str, str] = {}  # a photo's URL → the file it became
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.port = 0

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

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

    # --- shared by the methods ----------------------------------------------------------------

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

    def _own_message(self, params: Params) -> SandboxMessage:
        chat = self._chat(params)
        message = self.messages.get((chat.id, params.int("message_id")))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if message.sender_id != self.bot.id:
            raise bad_request("message can't be edited")
        return message
