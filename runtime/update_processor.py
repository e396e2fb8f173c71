"""Updates from different people run side by side; one person's updates stay in order.

python-telegram-bot's default handles one update at a time, so a rush of taps would queue
behind each other; its plain concurrent mode could reorder one person's messages mid-wizard.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

if TYPE_CHECKING:
    from runtime.inbox import Inbox

MAX_CONCURRENT_UPDATES = 256


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        # Set once the database is open: skips a second delivery, records what was handled.
        self.inbox: Inbox | None = None

    @staticmethod
    def _key(update: object) -> int:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return update.effective_user.id
            if update.effective_chat is not None:
                return update.effective_chat.id
        return 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        inbox = self.inbox
        if inbox is not None and not inbox.begin(update):
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # the same update, delivered again: handled once already
            return
        key = self._key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            if inbox is not None:
                inbox.handled(update)
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # Forget idle people so the table does not grow with every user ever seen.
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
