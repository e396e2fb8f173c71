"""A loop that repeats one round of work until the bot stops: the notifier and the sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class BackgroundLoop:
    """Runs `run_once` again and again, idling when a round found nothing to do. `stop()` lets
    the round in progress finish: cancelling one mid-transaction would leave a database
    connection behind, or a sent message unrecorded."""

    name = "background loop"
    stop_timeout = 10.0
    # How long to wait after a round that did something; 0: go straight on.
    rest_after_work = 0.0

    def __init__(self) -> None:
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()

    async def run_once(self) -> int:
        """One round; returns how much it handled (0: nothing to do, idle a while)."""
        raise NotImplementedError

    def paused(self) -> bool:
        """True while the loop should not start a round."""
        return False

    async def run_forever(self, idle_seconds: float = 0.5) -> None:
        try:
            while not self._stopping.is_set():
                if self.paused():
                    await asyncio.sleep(0.01)
                    continue
                try:
                    handled = await self.run_once()
                except Exception:  # the work is still in the database; try again next round
                    log.exception("%s failed; retrying", self.name)
                    handled = 0
                rest = idle_seconds if not handled else self.rest_after_work
                if rest:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), rest)
        finally:
            self._stopped.set()

    async def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), self.stop_timeout)


async def finish_or_cancel(tasks: set[asyncio.Task[None]], timeout: float) -> None:
    """Let these tasks finish; cancel those still running after `timeout`, and wait for them."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=timeout)
    for task in late:
        task.cancel()
    for task in late:
        with contextlib.suppress(asyncio.CancelledError):
            await task
