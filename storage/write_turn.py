"""Whose turn it is to write to SQLite, within one process."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class WriteTurn:
    """One writer at a time, in the order they came, except that an urgent one goes next.

    SQLite has one writer at a time; waiting here, in memory, is cheaper than spinning on
    "database is locked". The inbox's write of a fetched batch of updates is urgent: the next
    getUpdates waits for it, so behind a queue of a thousand taps it would stall them all.
    """

    def __init__(self) -> None:
        self._held = False
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def acquire(self, urgent: bool = False) -> None:
        if not self._held and not self._waiting:
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if urgent:
            self._waiting.appendleft(turn)
        else:
            self._waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed the turn just as the waiter was cancelled: pass it on
            elif turn in self._waiting:  # release() may have dropped it already
                self._waiting.remove(turn)
            raise

    def release(self) -> None:
        """Hand the turn to the next waiter (it stays held), or free it."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._held = False

    @contextlib.asynccontextmanager
    async def urgent(self) -> AsyncIterator[None]:
        await self.acquire(urgent=True)
        try:
            yield
        finally:
            self.release()
