"""Sending within Telegram's limits: python-telegram-bot's AIORateLimiter (30 messages/s
overall, 20 per minute per group, retry after a 429) plus the pace Telegram asks for in each
private chat, about one message a second after a short burst, which AIORateLimiter lacks.

Telegram's limits are per bot, not per process: several processes on one PostgreSQL pace their
sends together through the database (`SharedRateLimiter`, storage/cluster.py's SendPace)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from runtime.metrics import MESSAGES_SENT, RATE_LIMITED
from storage.cluster import SendPace

log = logging.getLogger(__name__)

# Methods that post or change a message; reads such as getChatMember are not limited.
SENDING_METHODS = frozenset({
    "sendMessage", "editMessageText", "editMessageReplyMarkup", "editMessageCaption",
    "sendDocument", "sendPhoto", "sendMediaGroup", "copyMessage", "forwardMessage",
})  # fmt: skip
MAX_TRACKED_CHATS = 4096

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


# Telegram counts arrivals in any one second. A leaky bucket as deep as its rate (what
# AIORateLimiter builds from "30 per 1 s") releases a full second's worth at once after a pause
# and the next second's worth on top: up to twice the rate within one second, which drew 429s
# in the broadcast test. A bucket of one keeps any second within OVERALL_RATE + 1 sends, and
# 29.4/s leaves a send ~20 ms of lateness before a second could hold 31.
OVERALL_RATE = 29.4
OVERALL_BURST = 1
# A group's 20 a minute, as Telegram applies it: a bucket of 18 filling at 18 a minute (a
# stricter pace made a head's command in a busy group wait behind the card's edits).
GROUP_PER_MINUTE = 18
GROUP_BURST = 18
PRIVATE_PER_SECOND = 1.0
PRIVATE_BURST = 2


class TelegramRateLimiter(AIORateLimiter):
    """Paces sends under Telegram's published limits: 30/s overall (here 29.4/s one at a
    time, so no second holds more than 30), 20/min per group (here 18/min after a burst of
    18), and about one a second per private chat after a burst (here a burst of 2)."""

    def __init__(
        self,
        private_per_second: float = PRIVATE_PER_SECOND,
        private_burst: int = PRIVATE_BURST,
        max_retries: int = 3,
    ) -> None:
        super().__init__(
            overall_max_rate=OVERALL_BURST, overall_time_period=OVERALL_BURST / OVERALL_RATE,
            group_max_rate=GROUP_BURST, group_time_period=GROUP_BURST * 60 / GROUP_PER_MINUTE,
            max_retries=max_retries,
        )  # fmt: skip
        self._private_burst = private_burst
        self._private_period = private_burst / private_per_second
        self._private: dict[int, AsyncLimiter] = {}

    def _private_limiter(self, chat_id: int) -> AsyncLimiter:
        if chat_id not in self._private:
            if len(self._private) >= MAX_TRACKED_CHATS:
                # Drop chats whose bucket is full again: they have been quiet long enough.
                for key in [
                    k for k, v in self._private.items() if v.has_capacity(self._private_burst)
                ]:
                    del self._private[key]
            self._private[chat_id] = AsyncLimiter(self._private_burst, self._private_period)
        return self._private[chat_id]

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
        MESSAGES_SENT.labels(endpoint).inc()

        async def counted(*call_args: Any, **call_kwargs: Any) -> JSONResult:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                RATE_LIMITED.inc()
                raise

        chat_id = chat_of(data)
        if chat_id is not None and chat_id > 0:
            async with self._private_limiter(chat_id):
                return await super().process_request(
                    counted, args, kwargs, endpoint, data, rate_limit_args
                )
        return await super().process_request(counted, args, kwargs, endpoint, data, rate_limit_args)


def chat_of(data: dict[str, Any]) -> int | None:
    chat_id: Any = data.get("chat_id")
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)
    return None


class SharedRateLimiter(TelegramRateLimiter):
    """The same limits, held in PostgreSQL for every process of the bot: each send first
    takes its chat's next slot, waits for it, then takes the bot's next slot and waits for
    that one (taking both at once would keep an overall slot unused while the chat's comes).
    Until `use` gives it the database, and if the database fails, it paces in-process."""

    def __init__(self, max_retries: int = 3) -> None:
        super().__init__(max_retries=max_retries)
        self._pace: SendPace | None = None
        self._retries = max_retries

    def use(self, pace: SendPace) -> None:
        self._pace = pace

    async def _wait_for_slots(self, chat_id: int | None) -> None:
        assert self._pace is not None
        if chat_id is not None and chat_id > 0:
            interval, burst = 1 / PRIVATE_PER_SECOND, PRIVATE_BURST
        else:
            interval, burst = 60 / GROUP_PER_MINUTE, GROUP_BURST
        if chat_id is not None and chat_id != 0:
            await asyncio.sleep(await self._pace.reserve(chat_id, interval, burst))
        await asyncio.sleep(await self._pace.reserve(0, 1 / OVERALL_RATE, OVERALL_BURST))

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        if endpoint not in SENDING_METHODS or self._pace is None:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        for attempt in range(self._retries + 1):
            try:
                await self._wait_for_slots(chat_of(data))
            except Exception:  # the database is away: the send goes at this process's pace
                log.warning("the shared send pace is unavailable; pacing in this process")
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            MESSAGES_SENT.labels(endpoint).inc()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                RATE_LIMITED.inc()
                if attempt == self._retries:
                    raise
                delay = error.retry_after
                seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay
                await asyncio.sleep(float(seconds) + 0.1)
        raise AssertionError("unreachable")
