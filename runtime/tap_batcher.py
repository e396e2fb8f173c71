"""Group commit for taps: the taps on one purchase that arrive while its last batch is being
written go into the next transaction together.

A rush of taps on one card used to be one transaction per tap, each waiting for the write turn
(SQLite) or the row lock (PostgreSQL) of the same purchase. Now the first tap starts writing,
the ones arriving meanwhile queue, and each later transaction takes every queued tap, up to
MAX_TAPS_PER_BATCH. Each tap still gets the outcome it would have had alone (its order, the
rule that refused it, or "already handled"), and the started-the-bot check for the toasts is
one query per batch.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from domain import services
from domain.services import Tap, TapOutcome
from domain.views import MemberOrderView
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

MAX_TAPS_PER_BATCH = 100


@dataclass(frozen=True)
class TapResult:
    view: MemberOrderView
    started: bool  # whether the member has started the bot (can get private messages)


class TapBatcher:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._queued: dict[int, list[tuple[Tap, asyncio.Future[TapResult]]]] = {}
        self._writers: set[asyncio.Task[None]] = set()

    async def add_units(self, purchase_id: int, tap: Tap) -> TapResult:
        """The tap's outcome: its result, or the DomainError / AlreadyProcessed it raises."""
        future: asyncio.Future[TapResult] = asyncio.get_running_loop().create_future()
        queue = self._queued.get(purchase_id)
        if queue is None:
            self._queued[purchase_id] = [(tap, future)]
            writer = asyncio.get_running_loop().create_task(self._write(purchase_id))
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        else:
            queue.append((tap, future))
        return await future

    async def _write(self, purchase_id: int) -> None:
        """Write the purchase's queued taps, batch after batch, until none are left."""
        queue = self._queued[purchase_id]
        try:
            while queue:
                batch = queue[:MAX_TAPS_PER_BATCH]
                del queue[:MAX_TAPS_PER_BATCH]
                outcomes: list[TapResult | BaseException]
                try:
                    outcomes = await self._outcomes(purchase_id, [tap for tap, _ in batch])
                except Exception as error:  # each tap's handler reports it (failure.py)
                    outcomes = [error] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue  # its handler was cancelled (a shutdown): nobody waits
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            del self._queued[purchase_id]

    async def _outcomes(self, purchase_id: int, taps: list[Tap]) -> list[TapResult | BaseException]:
        outcomes: list[TapOutcome] = await services.add_units_together(
            self._database.unit_of_work(), purchase_id, taps
        )
        members = [tap.member_id for tap in taps]
        async with self._database.reading() as uow:  # beside the next batch's write
            started = await uow.telegram.started_among(members)
        return [
            TapResult(outcome, tap.member_id in started)
            if isinstance(outcome, MemberOrderView)
            else outcome
            for tap, outcome in zip(taps, outcomes, strict=True)
        ]

    async def close(self) -> None:
        """Let the batches being written finish (a graceful stop loses no tap)."""
        if self._writers:
            await asyncio.wait(set(self._writers))
