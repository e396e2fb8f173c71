"""The SQLite write turn: first come, first served, an urgent writer next, and a waiter
cancelled as it was handed the turn passes it on."""

from __future__ import annotations

import asyncio

from storage.write_turn import WriteTurn


async def test_writers_go_in_order_and_an_urgent_one_goes_next() -> None:
    turn = WriteTurn()
    order: list[str] = []

    async def write(name: str, urgent: bool = False) -> None:
        await turn.acquire(urgent)
        order.append(name)
        await asyncio.sleep(0)
        turn.release()

    await turn.acquire()  # held: everyone below waits
    tasks = [asyncio.create_task(write(name)) for name in ("a", "b", "c")]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(write("inbox", urgent=True)))
    await asyncio.sleep(0)
    turn.release()
    await asyncio.gather(*tasks)
    assert order == ["inbox", "a", "b", "c"]


async def test_a_cancelled_waiter_does_not_keep_the_turn() -> None:
    turn = WriteTurn()
    await turn.acquire()
    waiting = asyncio.create_task(turn.acquire())
    after = asyncio.create_task(turn.acquire())
    await asyncio.sleep(0)
    turn.release()  # handed to `waiting` ...
    waiting.cancel()  # ... which is cancelled before it runs
    await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.wait_for(after, 1)  # the turn went on to the next
    turn.release()
    async with turn.urgent():  # and it is free again afterwards
        pass
    await asyncio.wait_for(turn.acquire(), 1)


async def test_a_waiter_cancelled_while_the_turn_passes_it_by_leaves_cleanly() -> None:
    turn = WriteTurn()
    await turn.acquire()
    waiting = asyncio.create_task(turn.acquire())
    after = asyncio.create_task(turn.acquire())
    await asyncio.sleep(0)
    waiting.cancel()  # its turn is cancelled at once ...
    turn.release()  # ... so the release skips it and hands the turn to `after`
    results = await asyncio.gather(waiting, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    await asyncio.wait_for(after, 1)
    turn.release()
    await asyncio.wait_for(turn.acquire(), 1)
