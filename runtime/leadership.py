"""One leader among the bot processes on one PostgreSQL: it runs the timeline (deadlines,
reminders, the sweep), the notifier, the outbox sender and every card edit; the others handle
updates and hand it what it must do (card edits, timers to re-plan) through the database.

The leader is whoever holds an advisory lock (storage/cluster.py). The others try for it every
second, so when the leader dies its lock goes with its connection and another process leads
within about a second, catching up from the database: every job there is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from runtime.background import BackgroundLoop
from storage.cluster import SingletonLock

log = logging.getLogger(__name__)

TRY_EVERY_SECONDS = 1.0


class Leadership(BackgroundLoop):
    name = "leadership"
    rest_after_work = TRY_EVERY_SECONDS

    def __init__(
        self,
        lock: SingletonLock,
        lead: Callable[[], Awaitable[None]],
        lost: Callable[[], None],
        listen: dict[str, Callable[[str], None]] | None = None,
    ) -> None:
        """`lead()` starts the leader's work; `lost()` is called when the lock is lost while
        leading (its connection broke): the process must stop, so no two lead at once.
        `listen` maps notification channels to what to do with each payload."""
        super().__init__()
        self._lock = lock
        self._lead = lead
        self._lost = lost
        self._listen = listen or {}
        self.leading = False
        self._lost_it = False  # then the process stops: it must not lead again meanwhile

    async def open(self) -> None:
        await self._lock.open()
        for channel, heard in self._listen.items():
            await self._lock.listen(channel, heard)

    async def run_once(self) -> int:
        if self._lost_it:
            return 0
        if self.leading:
            if not await self._lock.still_held():
                log.critical("lost the leader's database connection; stopping this process")
                self.leading = False
                self._lost_it = True
                self._lost()
            return 1
        if not self._lock.is_alive():  # the database went away: connect again, then try
            await self._lock.close()
            await self.open()
        if await self._lock.try_take():
            log.info("this process leads: timers, notices, sending and card edits run here")
            self.leading = True
            await self._lead()
        return 1

    async def stop(self) -> None:
        await super().stop()
        await self._lock.close()
