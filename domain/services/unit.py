"""The unit of work every use case runs in: load the purchase, apply one change, commit. A
conflict (another writer changed the purchase first, a deadlock, a serialization failure) runs
the whole unit of work again, after a short random wait: `retried`, the one retry policy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from domain.errors import N_, NotFound
from domain.ports import Conflict, UnitOfWork
from domain.purchase import Purchase


async def load(uow: UnitOfWork, purchase_id: int) -> Purchase:
    """A purchase to change: its row is locked until the unit of work ends (PostgreSQL)."""
    purchase = await uow.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    return purchase


async def view(uow: UnitOfWork, purchase_id: int) -> Purchase:
    """A purchase to show or check, as last committed: no lock, so it waits for no tap."""
    purchase = await uow.purchases.read(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    return purchase


# Conflicts are rare (PostgreSQL row locks serialize changers of one purchase, and they lock
# purchases in the order of their ids); a few attempts cover a clash without letting a hot loop
# hide a real fault. The waits are random (full jitter: up to 10, 20, 40… ms, at most 200 ms)
# so that two units of work that clashed do not clash again in step.
CONFLICT_RETRIES = 6
FIRST_WAIT_SECONDS = 0.01
LONGEST_WAIT_SECONDS = 0.2

T = TypeVar("T")


async def retried(work: Callable[[], Awaitable[T]]) -> T:
    """Run a whole unit of work (`work` opens it, changes, commits) again on a Conflict;
    nothing it sends is sent before its commit, so running it again sends nothing twice."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(Conflict),
        stop=stop_after_attempt(CONFLICT_RETRIES),
        wait=wait_random_exponential(multiplier=FIRST_WAIT_SECONDS, max=LONGEST_WAIT_SECONDS),
        reraise=True,
    ):
        with attempt:
            return await work()
    raise AssertionError("unreachable: the last attempt returns or raises")


async def apply(
    uow: UnitOfWork, purchase_id: int, change: Callable[[Purchase], object]
) -> Purchase:
    async def work() -> Purchase:
        async with uow:
            purchase = await load(uow, purchase_id)
            change(purchase)
            await uow.commit()
        return purchase

    return await retried(work)
