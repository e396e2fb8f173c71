"""Sending within Telegram's limits: python-telegram-bot's AIORateLimiter (30 messages/s
overall, 20 per minute per group, retry after a 429) plus the pace Telegram asks for in each
private chat, about one message a second after a short burst, which AIORateLimiter lacks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

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
# in the broadcast test. A shallow bucket keeps any second within OVERALL_BURST + OVERALL_RATE.
OVERALL_RATE = 28
OVERALL_BURST = 2


class TelegramRateLimiter(AIORateLimiter):
    """Paces sends under Telegram's published limits: 30/s overall (here 28/s with a burst of
    2, so no second holds more than 30), 20/min per group (here 18/min), and about one a
    second per private chat after a burst (here a burst of 2)."""

    def __init__(
        self, private_per_second: float = 1.0, private_burst: int = 2, max_retries: int = 3
    ) -> None:
        super().__init__(
            overall_max_rate=OVERALL_BURST, overall_time_period=OVERALL_BURST / OVERALL_RATE,
            group_max_rate=18, group_time_period=60,
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
        chat_id: object = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[call-overload]
        if isinstance(chat_id, int) and chat_id > 0:
            async with self._private_limiter(chat_id):
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
