"""The Bot API's methods on files: documents, photos, albums, captions, getFile."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from sandbox.api_params import NOT_MODIFIED, Params, bad_request
from sandbox.emulator_state import EmulatorState
from sandbox.model import StoredFile

# What a picture's bytes begin with (PNG, JPEG, GIF, WebP's RIFF): Telegram decodes a photo.
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")
# A photo sent by URL: the sandbox cannot fetch it, so it keeps this 1×1 grey PNG instead.
STAND_IN_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c"
    "636800000082008177cd72b60000000049454e44ae426082"
)


class FileMethods(EmulatorState):
    """Files kept as Telegram keeps them, and the methods that send or read them."""

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
