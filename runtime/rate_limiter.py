"""Sending within Telegram's limits: about 30 messages a second for the whole bot, about one a
second per chat after a short burst (private chats and groups alike), and under 20 a minute per
group, every card, topic and post of the group sharing that one budget; a 429 is waited out
and retried.

Each limit is a pace (the generic cell rate algorithm: a token bucket kept as the one moment
its next slot ends). A send takes its chat's next slot and waits for it, then the bot's next
slot and waits for that one (taking both at once would keep a bot slot unused while the chat's
comes). Slots are absolute moments, so a send that wakes a millisecond late does not push the
ones after it back: the bot sends at its full pace.

Telegram's limits are per bot, not per process: on PostgreSQL every process paces through the
database (storage/cluster.py's SendPace), in one process it is kept in memory (`LocalPace`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from runtime.metrics import MESSAGES_SENT, RATE_LIMITED

log = logging.getLogger(__name__)

# Methods that post or change a message; reads such as getChatMember are not limited.
SENDING_METHODS = frozenset({
    "sendMessage", "editMessageText", "editMessageReplyMarkup", "editMessageCaption",
    "sendDocument", "sendPhoto", "sendMediaGroup", "copyMessage", "forwardMessage", "sendInvoice",
})  # fmt: skip
# Chat 0 is no chat: its pace is the whole bot's.
WHOLE_BOT = 0
# Telegram counts arrivals in any one second. One send at a time (a burst of 1) at 29.4/s
# keeps any second within 30, with ~20 ms of lateness to spare before one could hold 31; a
# bucket as deep as its rate would let twice the rate through in one second after a pause.
OVERALL_RATE = 29.4
OVERALL_BURST = 1
# A group's 20 a minute, as Telegram applies it: a bucket of 18 filling at 18 a minute (a
# stricter pace made a head's command in a busy group wait behind the card's edits).
GROUP_PER_MINUTE = 18
GROUP_BURST = 18
# ... and about one a second: two cards posted together and their first edits, half a second
# apart, were answered 429. No burst of our own: what Telegram allows as a burst is left for a
# process that restarts (its pace, kept in memory, starts afresh) to spend.
GROUP_PER_SECOND = 1.0
GROUP_SECOND_BURST = 1
# A group's per-second pace is kept under a key of its own: the group's id moved beyond any
# chat id Telegram gives (they stay within 52 bits).
GROUP_SECOND_KEYS = -(10**16)
PRIVATE_PER_SECOND = 1.0
PRIVATE_BURST = 2
MAX_RETRIES = 3

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class Pace(Protocol):
    async def reserve(self, chat_id: int, interval: float, burst: int) -> tuple[datetime, float]:
        """Take the chat's next slot: when it opens, and the seconds to wait for it."""
        ...


class LocalPace:
    """The paces of one process, in memory."""

    MAX_TRACKED_CHATS = 4096

    def __init__(self) -> None:
        self._next: dict[int, float] = {}  # chat → monotonic moment its next slot ends

    async def reserve(self, chat_id: int, interval: float, burst: int) -> tuple[datetime, float]:
        now = time.monotonic()
        if len(self._next) >= self.MAX_TRACKED_CHATS:  # quiet chats weigh nothing: forget them
            self._next = {chat: end for chat, end in self._next.items() if end > now}
        ends = max(self._next.get(chat_id, now), now) + interval
        self._next[chat_id] = ends
        wait = max(0.0, ends - interval - (burst - 1) * interval - now)
        return datetime.now(UTC) + timedelta(seconds=wait), wait


def chat_of(data: dict[str, Any]) -> int | None:
    chat_id: Any = data.get("chat_id")
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)
    return None


def paces_of(chat_id: int | None) -> list[tuple[int, float, int]]:
    """The paces a send to this chat waits for, in turn: (key, interval, burst)."""
    paces: list[tuple[int, float, int]] = []
    if chat_id is not None and chat_id > 0:
        paces.append((chat_id, 1 / PRIVATE_PER_SECOND, PRIVATE_BURST))
    elif chat_id is not None and chat_id != WHOLE_BOT:
        paces.append((chat_id, 60 / GROUP_PER_MINUTE, GROUP_BURST))
        paces.append((GROUP_SECOND_KEYS + chat_id, 1 / GROUP_PER_SECOND, GROUP_SECOND_BURST))
    paces.append((WHOLE_BOT, 1 / OVERALL_RATE, OVERALL_BURST))
    return paces


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Paces sends under Telegram's limits (see the module's docstring), in this process until
    `use` gives it a shared pace, and in this process again whenever that one fails."""

    def __init__(self, max_retries: int = MAX_RETRIES) -> None:
        self._local = LocalPace()
        self._shared: Pace | None = None
        self._retries = max_retries

    def use(self, pace: Pace) -> None:
        self._shared = pace

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def _reserve(self, chat_id: int, interval: float, burst: int) -> float:
        if self._shared is not None:
            try:
                return (await self._shared.reserve(chat_id, interval, burst))[1]
            except Exception:  # the database is away: pace in this process meanwhile
                log.warning("the shared send pace is unavailable; pacing in this process")
        return (await self._local.reserve(chat_id, interval, burst))[1]

    async def _wait_for_slots(self, chat_id: int | None, messages: int) -> None:
        """A slot of each pace; of a group's 18 a minute, one per message (an album of five
        photos is one request but five of the group's messages)."""
        for key, interval, burst in paces_of(chat_id):
            per_message = chat_id is not None and chat_id < 0 and key == chat_id
            for _ in range(messages if per_message else 1):
                await asyncio.sleep(await self._reserve(key, interval, burst))

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        if endpoint not in SENDING_METHODS:
            return await callback(*args, **kwargs)
        media = data.get("media") if endpoint == "sendMediaGroup" else None
        messages = len(media) if isinstance(media, list | tuple) and media else 1
        for attempt in range(self._retries + 1):
            await self._wait_for_slots(chat_of(data), messages)
            MESSAGES_SENT.labels(endpoint).inc()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                RATE_LIMITED.inc()
                if attempt == self._retries:
                    raise
                delay = error.retry_after
                seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay
                log.info("Telegram asks to wait %s s before the next %s", seconds, endpoint)
                await asyncio.sleep(float(seconds) + 0.1)
        raise AssertionError("unreachable: the last attempt returns or raises")
