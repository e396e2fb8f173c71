"""Editing an open purchase through the sandbox and the real Application: the form, the
changes on the card and to members, the timers, and every refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support.scenario import TIMEZONE, Community, community_running, local, template


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def test_the_head_edits_an_open_purchase(community: Community) -> None:
    c = community
    sent = await c.sandbox.start(c.alice)
    await c.sandbox.wait_for_message(c.alice.id, "Hello", after=sent)
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")

    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Edit", answer="")
    form = await c.sandbox.wait_for_message(c.head.id, "/edit 1", after=panel)
    lines = (form.text or "").splitlines()
    assert lines[:2] == ["/edit 1", "Title: Wildflower honey from Altai"]
    assert f"Deadline: {local(3)}" in lines
    assert "Item: Honey 0.5 kg | 7.00" in lines
    assert not any(line.startswith("Item: Honey 1 kg") for line in lines)  # Alice ordered it

    refusals = {
        "/edit 1\nFee: 3%": "Not done: line 2: Fee cannot change once the purchase is open",
        "/edit 1\nItem: Honey 1 kg | 1.00": (
            "Not done: Honey 1 kg: members have ordered it, so its terms stay"
        ),
        "/edit 1\nDeadline: 2020-01-01 10:00": "Not done: line 2 (Deadline): the deadline is in",
        "/edit 1\nTitle: Walnut honey\nPickup: 2020-01-01 10:00-12:00 | Yard": (
            "Not done: the pickup must come after the deadline"
        ),
        "/edit 404\nTitle: x": "Not done: no such purchase",
    }
    for text, answer in refusals.items():
        await c.say(c.head, text, answer)
    await c.say(c.bob, "/edit 1\nTitle: Mine", "Not done: only the head")
    await c.say(c.head, "/edit", "Press “Edit” on the purchase's panel")

    new_deadline = local(4, hour=20)
    await c.say(
        c.head,
        f"/edit 1\nTitle: Walnut honey\nDeadline: {new_deadline}\nItem: Honey 0.5 kg | 6.50",
        "Saved. The card shows the new terms.",
    )
    await c.sandbox.wait_for_edit(card, lambda m: "Walnut honey" in (m.text or ""))
    assert "6.50" in (card.text or "")
    told = await c.sandbox.wait_for_message(c.alice.id, "The head changed")
    assert "it now stops" in (told.text or "")
    deadline = datetime.strptime(new_deadline, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(TIMEZONE))
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    assert (purchase.title, purchase.deadline) == ("Walnut honey", deadline)
    assert deadline in c.runtime.timeline.planned(1)
    await c.say(c.head, "/edit 1\nTitle: Walnut honey", "Nothing changed")
