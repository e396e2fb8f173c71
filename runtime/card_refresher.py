"""Coalesced card edits: many taps in a second make one edit, at most one per card every few
seconds, and the last state always wins because the card is rendered when the edit is made.
The same coalescing redraws a member's order editor after her taps on the card."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from datetime import timedelta
from typing import Generic, TypeVar

from cachetools import TTLCache
from telegram.error import BadRequest, RetryAfter, TelegramError

from runtime.background import finish_or_cancel

log = logging.getLogger(__name__)

MIN_SECONDS_BETWEEN_EDITS = 3.0
# Edits under way at once: each reads the purchase (a database connection) and then waits on
# Telegram's limits, so 500 cards changed together (a campaign's cut-off) must not take every
# connection of the pool from the taps meanwhile.
EDITS_AT_ONCE = 4
# How long a stop waits for edits under way (most wait for a group's 20-a-minute limit).
CLOSE_TIMEOUT_SECONDS = 2.0
# When each card or editor was last edited matters only for `min_interval`: kept that long, so
# a day of taps by thousands of members (keyed by member and purchase) is not kept forever.
REMEMBERED_EDITS = 100_000


Key = TypeVar("Key", bound=Hashable)


class CardRefresher(Generic[Key]):
    """`request(purchase_id)` after any change; `edit(purchase_id)` renders and edits. (Keyed
    by (member, purchase), it redraws order editors the same way.)"""

    def __init__(
        self,
        edit: Callable[[Key], Awaitable[None]],
        min_interval: float = MIN_SECONDS_BETWEEN_EDITS,
    ) -> None:
        self._edit = edit
        self._min_interval = min_interval
        self._dirty: set[Key] = set()
        self._last_edit: TTLCache[Key, float] = TTLCache(REMEMBERED_EDITS, ttl=min_interval)
        self._workers: dict[Key, asyncio.Task[None]] = {}
        self._editing = asyncio.Semaphore(EDITS_AT_ONCE)
        self._closing = asyncio.Event()
        # In a process that does not lead (runtime/leadership.py): asks the leader, which
        # edits every card, so edits stay coalesced across processes.
        self.forward: Callable[[Key], None] | None = None

    def request(self, purchase_id: Key) -> None:
        if self.forward is not None:
            self.forward(purchase_id)
            return
        if self._closing.is_set():
            return  # the card is rendered from the database: the next edit shows this change
        self._dirty.add(purchase_id)
        if purchase_id not in self._workers:
            self._workers[purchase_id] = asyncio.get_running_loop().create_task(
                self._work(purchase_id)
            )

    async def _work(self, purchase_id: Key) -> None:
        try:
            while purchase_id in self._dirty and not self._closing.is_set():
                since = time.monotonic() - self._last_edit.get(purchase_id, -1e9)
                if since < self._min_interval and await self._closed_within(
                    self._min_interval - since
                ):
                    break
                self._dirty.discard(purchase_id)
                self._last_edit[purchase_id] = time.monotonic()
                try:
                    async with self._editing:
                        await self._edit(purchase_id)
                except RetryAfter as error:
                    self._dirty.add(purchase_id)
                    delay = error.retry_after
                    seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay
                    await self._closed_within(float(seconds))
                except BadRequest as error:
                    if "not modified" not in error.message:
                        log.warning("card of purchase %s not edited: %s", purchase_id, error)
                except TelegramError as error:
                    log.warning("card of purchase %s not edited: %s", purchase_id, error)
        finally:
            self._workers.pop(purchase_id, None)

    async def _closed_within(self, seconds: float) -> bool:
        """Wait `seconds`, less if the refresher closes meanwhile; True if it closed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        return self._closing.is_set()

    async def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Start no more edits and let those under way finish; cancel the ones still waiting
        on Telegram's limits after `timeout`. An edit cancelled while it read the purchase
        would leave its database connection to be closed under the cancellation, which the
        pool reports as an error (a stop right after 1,000 deadlines did)."""
        self._closing.set()
        await finish_or_cancel(set(self._workers.values()), timeout)
