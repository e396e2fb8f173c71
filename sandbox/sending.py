"""The driver's people writing to the bot: texts, commands, photos, files, stickers, places."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.formatting import utf16_length
from sandbox.model import (
    SandboxChat,
    SandboxMessage,
    SandboxUser,
)
from sandbox.people import People


class Sending(People):
    """What a person sends, in a group or in their private chat with the bot."""

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
