"""The unit of work every use case runs in: load the purchase, apply one change, commit;
a version conflict is retried a few times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.errors import N_, NotFound
from domain.ports import Conflict, UnitOfWork
from domain.purchase import Purchase


async def load(uow: UnitOfWork, purchase_id: int) -> Purchase:
    purchase = await uow.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    return purchase


# Conflicts are rare (PostgreSQL row locks serialize changers of one purchase); a few retries
# cover a version clash without letting a hot loop hide a real fault.
CONFLICT_RETRIES = 5


T = TypeVar("T")


async def retried(work: Callable[[], Awaitable[T]]) -> T:
    """Run a use case's unit of work again on a version conflict (a few times at most)."""
    attempt = 1
    while True:
        try:
            return await work()
        except Conflict:
            if attempt >= CONFLICT_RETRIES:
                raise
            attempt += 1


async def apply(
    uow: UnitOfWork, purchase_id: int, change: Callable[[Purchase], object]
) -> Purchase:
    attempt = 1
    while True:
        try:
            async with uow:
                purchase = await load(uow, purchase_id)
                change(purchase)
                await uow.commit()
            return purchase
        except Conflict:
            if attempt >= CONFLICT_RETRIES:
                raise
            attempt += 1
