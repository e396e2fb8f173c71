"""Handing a purchase over through the sandbox and the real Application: the head picks a
participant, who accepts or declines; everyone is told and may withdraw for 24 hours even after
the stop; a platform admin reassigns an abandoned purchase; forged buttons change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.purchase import Purchase
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.scenario import Community, community_running
from tests.test_head_panel import stopped_purchase
from texts.callback_data import Action, encode

HEAD_ONLY = "Not done: only the head of this purchase (or a platform admin) can do this"


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


async def forged(c: Community, user: SandboxUser, data: str) -> str | None:
    anywhere = c.sandbox.bot_messages(user.id)[-1]
    return (await c.sandbox.answer_of(c.sandbox.press_forged(user, anywhere, data))).text


async def offer_to(c: Community, name: str) -> SandboxMessage:
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Hand over to another member", answer="")
    choice = await c.sandbox.wait_for_message(c.head.id, "Who should lead", after=panel)
    assert sorted(b["text"] for b in choice.buttons()) == ["Alice Zebra", "Bob"]
    answer = await c.sandbox.tap(c.head, choice, name)
    assert answer.text == f"Offered. {name} must accept."
    await c.sandbox.wait_for_edit(choice, f"Offered to {name}")
    return choice


async def test_a_new_head_accepts_and_a_member_withdraws_after_the_stop(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    await offer_to(c, "Alice Zebra")
    assert await forged(c, c.bob, encode(Action.TRANSFER_ACCEPT, 1, 1)) == (
        "Not done: nobody offered you to lead this purchase"
    )
    offer = await c.sandbox.wait_for_message(c.alice.id, "asks you to take it over")
    answer = await c.sandbox.tap(c.alice, offer, "I'll lead it")
    assert answer.text == "You lead this purchase now."
    assert (await stored(c)).head_id == c.alice.id

    await c.sandbox.wait_for_message(c.chat.id, "has a new head: Alice Zebra")
    await c.sandbox.wait_for_message(c.head.id, "you no longer manage it")
    await c.sandbox.wait_for_message(c.alice.id, "You lead Wildflower honey")
    told = await c.sandbox.wait_for_message(c.bob.id, "Alice Zebra now leads")
    assert "withdraw until" in (told.text or "")

    # The old head's controls are gone; the new head's panel shows the participants.
    assert await forged(c, c.head, encode(Action.HEAD_ORDERED, 1)) == HEAD_ONLY
    assert await forged(c, c.head, encode(Action.HEAD_PARTICIPANTS, 1)) == HEAD_ONLY
    sent = await c.sandbox.send(c.alice, "/purchases")
    panel = await c.sandbox.wait_for_message(
        c.alice.id, lambda m: bool(m.buttons()) and "🛒" in (m.text or ""), after=sent
    )
    await c.sandbox.tap(c.alice, panel, "Participants", answer="")
    await c.sandbox.wait_for_message(c.alice.id, "Participants of")

    # Bob may leave although the purchase has stopped: the head changed.
    sent = await c.sandbox.send(c.bob, "/orders")
    editor = await c.sandbox.wait_for_message(c.bob.id, "Total due", after=sent)
    await c.sandbox.tap(c.bob, editor, "Withdraw", answer="")
    asked = await c.sandbox.wait_for_edit(editor, "Your whole order is removed")
    answer = await c.sandbox.tap(c.bob, asked, "Yes, withdraw me")
    assert answer.text == "You are out of this purchase."
    assert (await stored(c)).participant_ids() == [c.alice.id]


async def test_an_offer_declined_keeps_the_head_and_an_admin_reassigns(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    assert await forged(c, c.alice, encode(Action.TRANSFER_OFFER, 1, c.alice.id)) == HEAD_ONLY
    await offer_to(c, "Bob")
    offer = await c.sandbox.wait_for_message(c.bob.id, "asks you to take it over")
    answer = await c.sandbox.tap(c.bob, offer, "No, thanks")
    assert answer.text == "Declined."
    await c.sandbox.wait_for_message(c.head.id, "Bob would rather not lead")
    assert (await stored(c)).head_id == c.head.id
    assert await forged(c, c.bob, encode(Action.TRANSFER_ACCEPT, 1, 1)) == (
        "Not done: nobody offered you to lead this purchase"
    )

    sent = await c.sandbox.send(c.alice, f"/admin reassign 1 {c.alice.id}")
    refused = await c.sandbox.wait_for_message(c.alice.id, after=sent)
    assert refused.text == "/admin is for the platform's admins only."
    sent = await c.sandbox.send(c.admin, "/admin")
    overview = await c.sandbox.wait_for_message(c.admin.id, after=sent)
    assert f"#1 Wildflower honey from Altai — head {c.head.id}, stopped · 2 members" in (
        overview.text or ""
    )
    await c.sandbox.tap(c.admin, overview, "#1 Wildflower honey from Altai", answer="")
    admin_panel = await c.sandbox.wait_for_message(c.admin.id, "🛒", after=overview)
    await c.sandbox.tap(
        c.admin, admin_panel, "Participants", answer=""
    )  # an admin sees what a head sees
    await c.sandbox.wait_for_message(c.admin.id, "Participants of")
    sent = await c.sandbox.send(c.admin, "/admin reassign 1 x")
    usage = await c.sandbox.wait_for_message(c.admin.id, after=sent)
    assert "/admin reassign <purchase> <user id>" in (usage.text or "")
    sent = await c.sandbox.send(c.admin, f"/admin reassign 1 {c.bob.id}")
    done = await c.sandbox.wait_for_message(c.admin.id, after=sent)
    assert done.text == f"Done: purchase #1 is now led by Bob ({c.bob.id})."
    assert (await stored(c)).head_id == c.bob.id
    await c.sandbox.wait_for_message(c.alice.id, "Bob now leads")
    await c.sandbox.wait_for_message(c.head.id, "you no longer manage it")
