"""Coalesced card edits, and how they stop: an edit under way finishes, nothing new starts."""

from __future__ import annotations

import asyncio
import time

from runtime.card_refresher import CardRefresher
from tests.support.running import eventually


class Edits:
    """The edit function the refresher calls, recording each purchase it edited."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.started = asyncio.Event()
        self.done: list[int] = []
        self.started_at: list[float] = []  # time.monotonic() as each edit began

    async def __call__(self, purchase_id: int) -> None:
        self.started_at.append(time.monotonic())
        self.started.set()
        await asyncio.sleep(self.seconds)
        self.done.append(purchase_id)


async def test_many_requests_make_one_edit_then_one_more_after_the_interval() -> None:
    edits = Edits()
    refresher = CardRefresher(edits, min_interval=0.2)
    for _ in range(50):
        refresher.request(7)
    await asyncio.wait_for(edits.started.wait(), 5)
    for _ in range(50):
        refresher.request(7)
    # Waited for, not given a fixed 0.6 s: a loaded machine may take longer to come round to it.
    await eventually(lambda: len(edits.done) >= 2)
    assert edits.started_at[1] - edits.started_at[0] >= 0.2  # not before the interval
    await asyncio.sleep(0.3)  # a third edit, were one due, would have started by now
    assert edits.done == [7, 7]
    await refresher.close()


async def test_closing_lets_an_edit_under_way_finish() -> None:
    edits = Edits(seconds=0.3)
    refresher = CardRefresher(edits)
    refresher.request(7)
    await asyncio.wait_for(edits.started.wait(), 5)
    await refresher.close()
    assert edits.done == [7]  # not cancelled halfway, as it was before


async def test_closing_wakes_an_edit_waiting_out_the_interval_and_drops_it() -> None:
    edits = Edits()
    refresher = CardRefresher(edits, min_interval=600)
    refresher.request(7)
    await asyncio.wait_for(edits.started.wait(), 5)
    refresher.request(7)  # due in ten minutes
    await asyncio.wait_for(refresher.close(timeout=600), 5)
    refresher.request(8)  # after the close: nothing starts
    await asyncio.sleep(0.05)
    assert edits.done == [7]


async def test_when_a_card_was_edited_is_forgotten_once_its_interval_is_over() -> None:
    """Keyed by member and purchase, the memory of edits would otherwise grow all day."""
    edits = Edits()
    refresher = CardRefresher(edits, min_interval=0.05)
    for purchase_id in range(20):
        refresher.request(purchase_id)
    await eventually(lambda: len(edits.done) == 20)
    await eventually(lambda: len(refresher._last_edit) == 0)
    await refresher.close()
