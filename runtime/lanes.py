"""Several processes, one inbox: each person's updates are handled by one process at a time,
in the order they came, whichever process the load balancer gave them to.

An update's lane is its person (or chat), folded into a number. A process that keeps an update
in the inbox then tries to take its lane (a PostgreSQL advisory lock, storage/cluster.py). If it
gets it, it handles everything waiting in the lane, oldest first, and lets go; if another
process has the lane, that process finds the update when it looks again, which it does after
letting go. A process that dies loses its locks with its connections; the sweep here (every
process runs one) takes any lane whose updates have waited too long. An update is done once its
handler's unit of work claimed it (in the same transaction as its change) or, for a handler
that changed nothing, once it is marked handled, which happens before the lane is let go.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from cachetools import TTLCache

from runtime.background import BackgroundLoop, finish_or_cancel
from runtime.metrics import UPDATES_REFUSED
from runtime.update_processor import TELLING_AT_ONCE, beyond_cap
from storage.cluster import LaneLocks

log = logging.getLogger(__name__)

# An update that waited this long with its lane free was missed (its process died, or its
# arrival fell between another process's last look and its letting go).
MISSED_AFTER = timedelta(seconds=2)
# The sweep looks at the last ten minutes of the inbox, and at all of it once a minute or so
# (what waited longer than ten minutes: an outage of every process).
RECENT = timedelta(minutes=10)
WHOLE_INBOX_EVERY = 120  # sweeps
MAX_LANES_AT_ONCE = 256
STOP_TIMEOUT_SECONDS = 10.0
# A person whose flood was turned away is told to slow down once in this long, per process.
TOLD_FOR_SECONDS = 60.0


class LaneDispatcher(BackgroundLoop):
    """Runs the lanes this process takes; its loop is the sweep for missed lanes."""

    name = "inbox lanes"
    # A lane found waiting may be another live process's, busy: look again a little later.
    rest_after_work = 0.5

    def __init__(
        self,
        locks: LaneLocks,
        clock: Callable[[], datetime],
        handle: Callable[[dict[str, Any]], Awaitable[bool]],
        turn_away: Callable[[dict[str, Any], bool], Awaitable[None]] | None = None,
    ) -> None:
        """`handle(update)` handles one update and returns whether its handler claimed it;
        `turn_away(update, first)` tells the person an update beyond MAX_WAITING of theirs
        was not taken (`first`: the first of this flood), which is then marked handled."""
        super().__init__()
        self._turn_away = turn_away
        self._told: TTLCache[int, bool] = TTLCache(maxsize=10_000, ttl=TOLD_FOR_SECONDS)
        self._locks = locks
        self._clock = clock
        self._handle = handle
        self._running: dict[int, asyncio.Task[None]] = {}
        # Lanes of this process where an update arrived while it handled the lane.
        self._look_again: set[int] = set()
        self._slots = asyncio.Semaphore(MAX_LANES_AT_ONCE)
        self._closing = False
        self._sweeps = 0

    def arrived(self, lane: int) -> None:
        """An update of this lane is in the inbox now."""
        if self._closing:
            return  # kept: another process, or the next start, handles it
        if lane in self._running:
            self._look_again.add(lane)
            return
        self._running[lane] = asyncio.get_running_loop().create_task(self._run(lane))

    async def _run(self, lane: int) -> None:
        try:
            async with self._slots:
                while not self._closing:
                    waiting = await self._locks.take(lane)
                    if waiting is None:
                        return  # another process has it
                    try:
                        while waiting:
                            waiting = await self._taken(lane, waiting)
                            for update_id, update in waiting:
                                if self._closing:
                                    break  # the rest waits in the inbox for another process
                                await self._handle_one(update_id, update)
                            waiting = []
                            if lane in self._look_again and not self._closing:
                                self._look_again.discard(lane)
                                waiting = await self._locks.waiting(lane)
                    finally:
                        self._look_again.discard(lane)
                        more = await self._locks.release(lane)
                    if not more:
                        return
        except Exception:  # the updates stay in the inbox; the sweep tries the lane again
            log.exception("lane %s failed; its updates wait for the next look", lane)
        finally:
            self._running.pop(lane, None)

    async def _taken(
        self, lane: int, waiting: list[tuple[int, dict[str, Any]]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """What waits in the lane, less what is beyond the cap of one person's waiting
        updates (runtime/update_processor.py): those are turned away, and marked handled so
        that no process or restart takes them. A lane is told to slow down once a minute."""
        beyond = beyond_cap([update for _, update in waiting])
        refused = [entry for entry, out in zip(waiting, beyond, strict=True) if out]
        told = 0
        for _update_id, update in refused:
            UPDATES_REFUSED.inc()
            first = lane not in self._told
            self._told[lane] = True
            # The note, and a few presses answered "not taken": the rest of a flood is only
            # recorded, so that its answers never crowd out everyone else's.
            if self._turn_away is None or told >= TELLING_AT_ONCE:
                continue
            if first or "callback_query" in update:
                told += 1
                try:
                    await self._turn_away(update, first)
                except Exception:  # a courtesy: the update is not taken either way
                    log.exception("could not tell a person their update was not taken")
        if refused:
            await self._locks.mark_handled([update_id for update_id, _ in refused], self._clock())
        return [entry for entry, out in zip(waiting, beyond, strict=True) if not out]

    async def _handle_one(self, update_id: int, update: dict[str, Any]) -> None:
        claimed = await self._handle(update)
        if not claimed:
            # Before the lane is let go: the next process to take it must not handle it again.
            await self._locks.mark_handled([update_id], self._clock())

    async def run_once(self) -> int:
        """The sweep: take the lanes whose updates waited too long."""
        if self._closing:
            return 0
        now = self._clock()
        self._sweeps += 1
        recent = now - RECENT if self._sweeps % WHOLE_INBOX_EVERY != 1 else None
        lanes = await self._locks.lanes_waiting(now - MISSED_AFTER, recent)
        taken = 0
        for lane in lanes:
            if lane not in self._running:
                self.arrived(lane)
                taken += 1
        return taken

    async def stop(self) -> None:
        """Take no new lanes; let the ones running finish the update in hand."""
        self._closing = True
        await super().stop()
        await finish_or_cancel(set(self._running.values()), STOP_TIMEOUT_SECONDS)
