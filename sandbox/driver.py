"""Playing users against the sandbox, in a few readable lines per step.

sandbox = Sandbox(emulator)
head, alice = sandbox.user("Hanna"), sandbox.user("Alice")
block = sandbox.group("Block 5", members=[alice], admins=[head])
await sandbox.add_bot(block, by=head)
sent = await sandbox.send(head, "/new", chat=block)
reply = await sandbox.wait_for_message(block.id, "private chat", after=sent)
await sandbox.tap(alice, card, "+1 Honey", answer="You're in: 1 × Honey")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.emulator import TelegramSandbox
from sandbox.formatting import utf16_length
from sandbox.model import (
    CallbackAnswer,
    PendingCallback,
    PendingCheckout,
    SandboxChat,
    SandboxMessage,
    SandboxUser,
)
from sandbox.payment_methods import CHECKOUT_TIMEOUT

Match = str | re.Pattern[str] | Callable[[SandboxMessage], bool]


def _answers(answered: CallbackAnswer, expected: str) -> bool:
    text = answered.text or ""
    return text.startswith(expected) if expected else not text


def _matches(message: SandboxMessage, match: Match) -> bool:
    if callable(match) and not isinstance(match, re.Pattern):
        return match(message)
    text = message.text or message.caption or ""
    if isinstance(match, re.Pattern):
        return match.search(text) is not None
    return match in text


class Sandbox:
    """The test driver: creates people and chats, acts as them, and waits for the bot."""

    def __init__(self, emulator: TelegramSandbox) -> None:
        self.emulator = emulator
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    # --- people and chats -------------------------------------------------------------------

    def continue_numbering(self) -> None:
        """New people and groups get ids after those here already (brought back from a file)."""
        users = [u.id for u in self.emulator.users.values() if not u.is_bot]
        groups = [
            -chat.id - (1_000_000_000_000 if chat.type == "supergroup" else 0)
            for chat in self.emulator.chats.values()
            if not chat.is_private
        ]
        self._user_ids = itertools.count(max([10_000, *users]) + 1)
        self._group_ids = itertools.count(max([0, *groups]) + 1)

    def user(
        self, first_name: str, username: str | None = None, language_code: str | None = "en"
    ) -> SandboxUser:
        user = SandboxUser(next(self._user_ids), first_name, username, language_code)
        self.emulator.users[user.id] = user
        self.emulator.chats[user.id] = SandboxChat(user.id, "private", first_name)
        return user

    def group(
        self,
        title: str,
        members: Iterable[SandboxUser] = (),
        admins: Iterable[SandboxUser] = (),
        supergroup: bool = True,
    ) -> SandboxChat:
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -number
        chat = SandboxChat(chat_id, "supergroup" if supergroup else "group", title)
        for index, admin in enumerate(admins):
            chat.members[admin.id] = "creator" if index == 0 else "administrator"
        for member in members:
            chat.members.setdefault(member.id, "member")
        self.emulator.chats[chat_id] = chat
        return chat

    def join(self, chat: SandboxChat, user: SandboxUser, tell: bool = True) -> int | None:
        """The user joins the group; Telegram tells a bot that administers it (chat_member),
        unless `tell` is off (a member since before the bot heard of anything). Returns that
        update's id, when one was sent."""
        old = chat.members.get(user.id, "left")
        chat.members.setdefault(user.id, "member")
        return self._member_changed(chat, user, old) if tell else None

    def leave(self, chat: SandboxChat, user: SandboxUser, banned: bool = False) -> int | None:
        """The user leaves the group (or is banned from it): as `join`, the other way."""
        old = chat.members.get(user.id, "left")
        chat.members[user.id] = "kicked" if banned else "left"
        return self._member_changed(chat, user, old)

    def _member_changed(self, chat: SandboxChat, user: SandboxUser, old: str) -> int | None:
        new = chat.members[user.id]
        bot_is_admin = chat.members.get(self.emulator.bot.id) == "administrator"
        if old == new or not bot_is_admin:
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # set up before anything runs: nobody to tell
            return None
        return self.emulator.push_update(
            "chat_member",
            {
                "chat": chat.to_api(self.emulator.users),
                "from": user.to_api(),
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": user.to_api()},
                "new_chat_member": self.emulator._member(chat, user.id),
            },
        )

    async def add_bot(
        self, chat: SandboxChat, by: SandboxUser, as_admin: bool = False, can_pin: bool = False
    ) -> int:
        """`by` adds the bot to the group; the bot gets a my_chat_member update."""
        self._require_member(chat, by)
        chat.members[self.emulator.bot.id] = "administrator" if as_admin else "member"
        chat.bot_can_pin = can_pin
        return self.emulator.push_update(
            "my_chat_member",
            {
                "chat": chat.to_api(self.emulator.users),
                "from": by.to_api(),
                "date": int(time.time()),
                "old_chat_member": {"status": "left", "user": self.emulator.bot.to_api()},
                "new_chat_member": self.emulator._member(chat, self.emulator.bot.id),
            },
        )

    def block(self, user: SandboxUser) -> None:
        """The user blocks the bot: every later message to them gets 403."""
        user.blocked_bot = True

    def _require_member(self, chat: SandboxChat, user: SandboxUser) -> None:
        if not chat.is_private and chat.members.get(user.id) not in (
            "creator",
            "administrator",
            "member",
        ):
            raise ValueError(f"{user.first_name} is not a member of {chat.title}")

    # --- acting -----------------------------------------------------------------------------

    async def send(
        self,
        user: SandboxUser,
        text: str,
        chat: SandboxChat | None = None,
        reply_to: SandboxMessage | None = None,
    ) -> SandboxMessage:
        """`user` types `text` in `chat` (their private chat with the bot by default), as a
        reply to `reply_to` when given."""
        target = chat or self.emulator.chats[user.id]
        self._require_member(target, user)
        if target.is_private:
            # Writing to a bot is how a person starts it; the app unblocks a blocked bot first.
            user.started_bot, user.blocked_bot = True, False
        entities = []
        if text.startswith("/"):
            command = text.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_length(command)})
        message = self.emulator._new_message(target, user.id, text=text, entities=entities)
        sent = self.emulator.message_to_api(message)
        if reply_to is not None:
            sent["reply_to_message"] = self.emulator.message_to_api(reply_to)
        self.emulator.push_update("message", sent)
        return message

    async def send_photo(
        self,
        user: SandboxUser,
        data: bytes,
        caption: str | None = None,
        chat: SandboxChat | None = None,
        again: SandboxMessage | None = None,
    ) -> SandboxMessage:
        """`user` sends a photo in `chat` (their private chat with the bot by default), with
        `caption` under it: a receipt, or a purchase's picture with its template. With
        `again`, the photo of that message is sent once more (forwarded, or picked again from
        Telegram's cloud): the same file, with its file ids, and `data` is not used."""
        if again is not None and again.photo:
            return self._send_file(user, chat, caption, photo=again.photo)
        stored = self.emulator.store(("photo.jpg", "image/jpeg", data), "photo")
        return self._send_file(user, chat, caption, photo=self.emulator.photo_sizes(stored))

    async def send_document(
        self,
        user: SandboxUser,
        file_name: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat: SandboxChat | None = None,
    ) -> SandboxMessage:
        """`user` sends a file (a supplier's price list, say) as a document."""
        stored = self.emulator.store((file_name, mime_type, data), "document")
        return self._send_file(user, chat, caption, document=self.emulator._document(stored))

    async def send_sticker(
        self, user: SandboxUser, chat: SandboxChat | None = None
    ) -> SandboxMessage:
        """`user` sends a sticker: something that is neither text nor a photo."""
        stored = self.emulator.store(("sticker.webp", "image/webp", b"RIFF0000WEBP"), "sticker")
        sticker = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                   "width": 512, "height": 512, "is_animated": False, "is_video": False,
                   "type": "regular", "emoji": "👍"}  # fmt: skip
        target = chat or self.emulator.chats[user.id]
        self._require_member(target, user)
        message = self.emulator._new_message(target, user.id)
        sent = self.emulator.message_to_api(message) | {"sticker": sticker}
        self.emulator.push_update("message", sent)
        return message

    async def send_location(
        self, user: SandboxUser, latitude: float, longitude: float,
        chat: SandboxChat | None = None,
    ) -> SandboxMessage:  # fmt: skip
        """`user` shares a point on the map (📎 → Location), as Telegram's apps send it."""
        target = chat or self.emulator.chats[user.id]
        self._require_member(target, user)
        message = self.emulator._new_message(target, user.id)
        message.location = {"latitude": latitude, "longitude": longitude}
        self.emulator.push_update("message", self.emulator.message_to_api(message))
        return message

    def _send_file(
        self, user: SandboxUser, chat: SandboxChat | None, caption: str | None, **fields: Any
    ) -> SandboxMessage:
        target = chat or self.emulator.chats[user.id]
        self._require_member(target, user)
        if target.is_private:
            user.started_bot, user.blocked_bot = True, False
        entities = []
        if caption and caption.startswith("/"):
            command = caption.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_length(command)})
        message = self.emulator._new_message(
            target, user.id, caption=caption, caption_entities=entities, **fields
        )
        self.emulator.push_update("message", self.emulator.message_to_api(message))
        return message

    async def start(self, user: SandboxUser, payload: str | None = None) -> SandboxMessage:
        """The user presses Start in the bot's chat, through a deep link when `payload`."""
        if payload is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload):
            raise ValueError(f"Telegram would not pass the deep link payload {payload!r}")
        return await self.send(user, "/start" if payload is None else f"/start {payload}")

    async def open_link(self, user: SandboxUser, url: str) -> SandboxMessage:
        """Follow a t.me link to this bot, as the Telegram app would."""
        parts = urlsplit(url)
        if parts.netloc != "t.me" or parts.path.strip("/") != self.emulator.bot.username:
            raise ValueError(f"{url} is not a link to this bot")
        payload = parse_qs(parts.query).get("start", [None])[0]
        return await self.start(user, payload)

    async def press(
        self,
        user: SandboxUser,
        message: SandboxMessage,
        label: str | None = None,
        data: str | None = None,
    ) -> PendingCallback:
        """Press the button labelled `label` (or carrying `data`) under `message`.

        Only buttons that are on the message now can be pressed, as in the app; pass `data`
        with `forged=True` semantics through `press_forged` to send what no button carries.
        """
        chat = self.emulator.chats[message.chat_id]
        self._require_member(chat, user)
        current = self.emulator.messages[(message.chat_id, message.message_id)]
        if current.deleted:
            raise ValueError("that message was deleted")
        buttons = [
            b
            for b in current.buttons()
            if "callback_data" in b
            and (label is None or b["text"] == label)
            and (data is None or b["callback_data"] == data)
        ]
        if not buttons:
            shown = [b["text"] for b in current.buttons()]
            raise ValueError(f"no button {label or data!r} on that message; it has {shown}")
        return self._callback(user, current, buttons[0]["callback_data"])

    def press_forged(
        self, user: SandboxUser, message: SandboxMessage, data: str
    ) -> PendingCallback:
        """A modified client sends callback data that no button carries."""
        return self._callback(user, message, data)

    def _callback(self, user: SandboxUser, message: SandboxMessage, data: str) -> PendingCallback:
        pending = PendingCallback(
            str(next(self._callback_ids)), user.id, message.chat_id, message.message_id, data
        )
        pending.pressed_at = time.perf_counter()
        self.emulator.callbacks[pending.id] = pending
        pending.update_id = self.emulator.push_update(
            "callback_query",
            {
                "id": pending.id,
                "from": user.to_api(),
                "message": self.emulator.message_to_api(message),
                "chat_instance": str(message.chat_id),
                "data": data,
            },
        )
        return pending

    async def answer_of(self, pending: PendingCallback, timeout: float = 10.0) -> CallbackAnswer:
        """The toast the bot answered a button press with. Waits on the press's own event: a
        rush of a thousand presses waiting on the sandbox's one "something changed" would wake
        every waiter at every call the bot makes (a thousand squared checks, spent in the same
        process as the bot under measure)."""
        await asyncio.wait_for(pending.answered.wait(), timeout)
        assert pending.answer is not None
        return pending.answer

    async def tap(
        self,
        user: SandboxUser,
        message: SandboxMessage,
        label: str,
        timeout: float = 10.0,
        *,
        answer: str | None = None,
    ) -> CallbackAnswer:
        """Press a button and wait for its toast. With `answer`, the toast must start with it
        ("" for a press answered without a word)."""
        answered = await self.answer_of(await self.press(user, message, label), timeout)
        if answer is not None and not _answers(answered, answer):
            raise AssertionError(f"{label!r} was answered {answered.text!r}, not {answer!r}")
        return answered

    # --- paying -----------------------------------------------------------------------------

    def checkout(
        self,
        user: SandboxUser,
        invoice: SandboxMessage | None = None,
        *,
        payload: str | None = None,
        currency: str | None = None,
        total_amount: int | None = None,
    ) -> PendingCheckout:
        """`user` taps Pay on `invoice` (or, with the keywords, on an invoice as Telegram
        would show one that says so): Telegram asks the bot with a pre-checkout query."""
        if invoice is not None:
            current = self.emulator.messages[(invoice.chat_id, invoice.message_id)]
            if current.invoice is None or current.invoice_payload is None:
                raise ValueError("that message is no invoice")
            payload = current.invoice_payload if payload is None else payload
            currency = current.invoice["currency"] if currency is None else currency
            total_amount = current.invoice["total_amount"] if total_amount is None else total_amount
        if payload is None or currency is None or total_amount is None:
            raise ValueError("an invoice, or its payload, currency and total amount")
        pending = PendingCheckout(
            str(next(self._callback_ids)), user.id, payload, currency, total_amount
        )
        pending.asked_at = time.perf_counter()
        self.emulator.checkouts[pending.id] = pending
        self.emulator.push_update(
            "pre_checkout_query",
            {
                "id": pending.id,
                "from": user.to_api(),
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
            },
        )
        return pending

    async def pay(
        self, user: SandboxUser, invoice: SandboxMessage, **changed: Any
    ) -> PendingCheckout:
        """Pay on `invoice`: the pre-checkout query, and when the bot answers ok within
        Telegram's 10 seconds, the payment as a service message in `user`'s chat."""
        pending = await self.checked(self.checkout(user, invoice, **changed))
        if pending.ok:
            self.paid(user, pending)
            self.emulator.messages[(invoice.chat_id, invoice.message_id)].invoice_paid = True
        return pending

    async def checked(self, pending: PendingCheckout) -> PendingCheckout:
        """The checkout once the bot answered it, or Telegram's 10 seconds passed (then its
        `ok` is still None: Telegram tells the person the bot did not answer)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pending.answered.wait(), CHECKOUT_TIMEOUT)
        return pending

    def paid(self, user: SandboxUser, pending: PendingCheckout) -> SandboxMessage:
        """The provider charged `user`: Telegram's service message with the payment, whose
        charge ids are new for every payment (`redeliver` sends the same update again)."""
        message = self.emulator._new_message(self.emulator.chats[user.id], user.id)
        message.successful_payment = {
            "currency": pending.currency,
            "total_amount": pending.total_amount,
            "invoice_payload": pending.payload,
            "telegram_payment_charge_id": f"tg_{secrets.token_hex(12)}",
            "provider_payment_charge_id": f"ch_{secrets.token_hex(12)}",
        }
        pending.payment = message
        pending.payment_update_id = self.emulator.push_update(
            "message", self.emulator.message_to_api(message)
        )
        return message

    # --- waiting and reading ----------------------------------------------------------------

    def bot_messages(self, chat_id: int, after: SandboxMessage | int = 0) -> list[SandboxMessage]:
        since = after.message_id if isinstance(after, SandboxMessage) else after
        return [
            m
            for m in self.emulator.chat_messages(chat_id)
            if m.sender_id == self.emulator.bot.id and m.message_id > since
        ]

    async def wait_for_message(
        self,
        chat_id: int,
        match: Match = "",
        after: SandboxMessage | int = 0,
        timeout: float = 10.0,
    ) -> SandboxMessage:
        """The first message from the bot in `chat_id` after `after` that matches."""

        def found() -> SandboxMessage | None:
            return next((m for m in self.bot_messages(chat_id, after) if _matches(m, match)), None)

        try:
            message: SandboxMessage = await self.emulator.wait_until(found, timeout)
        except TimeoutError:
            seen = [m.text or m.caption for m in self.bot_messages(chat_id, after)]
            raise AssertionError(
                f"no bot message matching {match!r} in chat {chat_id} within {timeout}s; "
                f"the bot sent {seen}"
            ) from None
        return message

    async def wait_for_edit(
        self, message: SandboxMessage, match: Match, timeout: float = 10.0
    ) -> SandboxMessage:
        """Wait until the bot has edited `message` into something that matches."""
        key = (message.chat_id, message.message_id)
        await self.emulator.wait_until(
            lambda: _matches(self.emulator.messages[key], match), timeout
        )
        return self.emulator.messages[key]

    def photos(self, chat_id: int) -> list[tuple[str | None, bytes]]:
        """(caption, image) of every photo the bot sent to `chat_id`."""
        return [
            (message.caption, self.emulator.files[message.photo[-1]["file_id"]].data)
            for message in self.bot_messages(chat_id)
            if message.photo
        ]

    def documents(self, chat_id: int) -> list[tuple[str, bytes]]:
        """(file name, content) of every document the bot sent to `chat_id`."""
        result = []
        for message in self.bot_messages(chat_id):
            if message.document is not None:
                stored = self.emulator.files[message.document["file_id"]]
                result.append((stored.file_name, stored.data))
        return result
