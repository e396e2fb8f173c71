"""A handler that fails (here: a real database fault, a table gone) answers the person and
saves nothing; once the fault is gone the same tap works."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from tests.support.scenario import Community, community_running, template

SORRY_TAP = "Something went wrong and nothing was changed. Please tap again."


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def order_log_moved(c: Community, away: bool) -> None:
    names = ("order_requests", "order_requests_away")
    old, new = names if away else reversed(names)
    async with c.runtime.database.engine.begin() as connection:
        await connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def units(c: Community) -> int:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase.firm_units()


async def test_a_failing_tap_is_answered_and_changes_nothing(community: Community) -> None:
    c = community
    card = await c.publish(template())
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await order_log_moved(c, away=True)
    answer = await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg")
    assert answer.text == SORRY_TAP
    assert answer.show_alert
    sent = await c.sandbox.start(c.bob)
    await c.sandbox.wait_for_message(c.bob.id, "Hello", after=sent)
    sent = await c.sandbox.send(c.bob, "/orders")
    reply = await c.sandbox.wait_for_message(c.bob.id, after=sent)
    assert reply.text == "Something went wrong and nothing was changed. Please try again."

    await order_log_moved(c, away=False)
    assert await units(c) == 1
    answer = await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg")
    assert answer.text is not None and answer.text.startswith("You're in")
    assert await units(c) == 2
