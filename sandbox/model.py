"""The sandbox's world: users, chats, messages, callback queries and files, as Telegram has them."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SandboxUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False
    started_bot: bool = False
    blocked_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class SandboxChat:
    id: int
    type: str  # "private", "group" or "supergroup"
    title: str
    # user id → "creator", "administrator", "member", "left" or "kicked"
    members: dict[int, str] = field(default_factory=dict)
    bot_can_pin: bool = False
    next_message_id: int = 1

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def to_api(self, users: dict[int, SandboxUser]) -> dict[str, Any]:
        if self.is_private:
            user = users[self.id]
            data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": user.first_name}
            if user.username:
                data["username"] = user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class SandboxMessage:
    chat_id: int
    message_id: int
    sender_id: int
    date: int
    text: str | None = None
    html: str | None = None  # the source as the bot sent it, when parse_mode was HTML
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    media_group_id: str | None = None  # the album a photo was sent in
    location: dict[str, float] | None = None  # a point a person shared: latitude, longitude
    # An invoice the bot sent (title, description, currency, total_amount as Telegram shows
    # them) and the payload it carries, which Telegram hands back at checkout only.
    invoice: dict[str, Any] | None = None
    invoice_payload: str | None = None
    invoice_paid: bool = False  # the app shows a receipt instead of Pay once it is paid
    successful_payment: dict[str, Any] | None = None  # the service message of a payment
    edit_date: int | None = None
    reply_to_message_id: int | None = None  # the message of this chat this one answers
    deleted: bool = False
    pinned: bool = False
    edits: int = 0

    @property
    def body(self) -> str:
        """What the person reads: the text, or the caption of a photo or a file."""
        return self.text or self.caption or ""

    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button, row by row."""
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [button for row in self.reply_markup["inline_keyboard"] for button in row]


@dataclass
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class PendingCallback:
    """A button press delivered to the bot, and the answer it gave (once)."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    update_id: int = 0
    pressed_at: float = 0.0  # time.perf_counter() when the person pressed
    answered_at: float = 0.0  # and when the bot's answer arrived


@dataclass
class PendingCheckout:
    """A person pressed Pay on an invoice: the pre-checkout query sent to the bot, its answer
    (once), and the payment that followed an ok."""

    id: str
    user_id: int
    payload: str
    currency: str
    total_amount: int
    ok: bool | None = None  # the bot's answer; None while it has not answered
    error_message: str | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    asked_at: float = 0.0  # time.perf_counter() when Telegram asked the bot
    answered_at: float = 0.0  # and when the bot's answer arrived
    # The service message the payment came as, and its update (to deliver it again).
    payment: SandboxMessage | None = None
    payment_update_id: int = 0


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    data: bytes
    # What Telegram made of it: "photo", "document" or "sticker"; a file id is sent again
    # only as what it is (a document's id is no photo).
    kind: str = "document"

    @property
    def file_path(self) -> str:
        folder = "photos" if self.kind == "photo" else "documents"
        return f"{folder}/{self.file_unique_id}_{self.file_name}"


@dataclass
class RecordedCall:
    """One Bot API call the bot made, and how the sandbox answered it."""

    method: str
    params: dict[str, Any]
    status: int
    description: str = ""
    retry_after: int | None = None
    # When the sandbox took the call (its clock, time.monotonic() unless a test set one):
    # what flood control counted.
    at: float = field(default_factory=time.monotonic)
