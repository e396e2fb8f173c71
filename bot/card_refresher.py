"""Coalesced card edits: many taps in a second make one edit, at most one per card every few
seconds, and the last state always wins because the card is rendered when the edit is made."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.error import BadRequest, RetryAfter, TelegramError

log = logging.getLogger(__name__)

MIN_SECONDS_BETWEEN_EDITS = 3.0


class CardRefresher:
    """`request(purchase_id)` after any change; `edit(purchase_id)` renders and edits."""

    def __init__(
        self,
        edit: Callable[[int], Awaitable[None]],
        min_interval: float = MIN_SECONDS_BETWEEN_EDITS,
    ) -> None:
        self._edit = edit
        self._min_interval = min_interval
        self._dirty: set[int] = set()
        self._last_edit: dict[int, float] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}

    def request(self, purchase_id: int) -> None:
        self._dirty.add(purchase_id)
        if purchase_id not in self._workers:
            self._workers[purchase_id] = asyncio.get_running_loop().create_task(
                self._work(purchase_id)
            )

    async def _work(self, purchase_id: int) -> None:
        try:
            while purchase_id in self._dirty:
                since = time.monotonic() - self._last_edit.get(purchase_id, -1e9)
                if since < self._min_interval:
                    await asyncio.sleep(self._min_interval - since)
                self._dirty.discard(purchase_id)
                self._last_edit[purchase_id] = time.monotonic()
                try:
                    await self._edit(purchase_id)
                except RetryAfter as error:
                    self._dirty.add(purchase_id)
                    delay = error.retry_after
                    seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay
                    await asyncio.sleep(float(seconds))
                except BadRequest as error:
                    if "not modified" not in error.message:
                        log.warning("card of purchase %s not edited: %s", purchase_id, error)
                except TelegramError as error:
                    log.warning("card of purchase %s not edited: %s", purchase_id, error)
        finally:
            self._workers.pop(purchase_id, None)

    async def close(self) -> None:
        for task in list(self._workers.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
