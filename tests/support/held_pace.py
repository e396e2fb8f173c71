"""The bot's send pace with a person's chat held still: their replies wait until the test
lets them go, instead of going out a second apart while a loaded machine is still busy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from runtime.rate_limiter import LocalPace


class HeldPace(LocalPace):
    """LocalPace, except that a send to a held chat (`holding`) waits to be let go before it
    takes its slot: nothing of that chat's goes out, and its handlers stay waiting, for as long
    as the test needs (and no HTTP request is open meanwhile, to time out)."""

    def __init__(self) -> None:
        super().__init__()
        self._held: dict[int, asyncio.Event] = {}

    @contextmanager
    def holding(self, chat_id: int) -> Iterator[None]:
        """The chat held for the block; let go however the block ends (a test failing in it
        must not leave handlers waiting: the bot would never stop)."""
        self._held[chat_id] = asyncio.Event()
        try:
            yield
        finally:
            self._held.pop(chat_id).set()

    async def reserve(self, chat_id: int, interval: float, burst: int) -> tuple[datetime, float]:
        held = self._held.get(chat_id)
        if held is not None:
            await held.wait()
        return await super().reserve(chat_id, interval, burst)
