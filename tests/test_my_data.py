"""/mydata and being forgotten, through the sandbox and the real Application: the file holds
her orders and payments and nothing of others; in a group nothing personal is posted; being
forgotten withdraws her from an open purchase, pseudonymises a completed one at once and one
past its stop when it completes, on SQLite and PostgreSQL; forged and repeated presses are
harmless."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from domain import services
from domain.money import Money
from domain.payments import EntryKind
from domain.permissions import Actor
from domain.purchase import Moq, PickupSlot, PurchaseStatus
from runtime.event_notices import NotifierTiming
from sandbox.model import SandboxMessage
from storage.community_tables import BotUserRow
from storage.erasure_tables import ErasureRequestRow
from storage.purchase_tables import LedgerEntryRow, MemberRow, OrderRequestRow, PurchaseRow
from storage.telegram_tables import InboxRow
from tests.support.builders import ADMITTED, item, purchase
from tests.support.scenario import Community, community_running
from texts.callback_data import Action, encode


@pytest.fixture
async def community(database_url: str) -> AsyncIterator[Community]:
    async with community_running(database_url) as running:
        # Digests soon after a change, so the head's news of a withdrawal need not wait a minute.
        running.runtime.notifier.timing = NotifierTiming(
            timedelta(seconds=1), timedelta(seconds=0.3)
        )
        yield running


async def seeded(c: Community, title: str, stop: bool = True) -> int:
    """A purchase of the chat's head with 2 units for Alice and 1 for Bob, stopped, and
    Alice's 25.00 € recorded as paid."""
    db, now = c.runtime.database, datetime.now(UTC)
    draft = replace(
        purchase([item(1)], status=PurchaseStatus.DRAFT, moq=Moq(units=1)),
        id=0, title=title, community_id=c.chat.id, head_id=c.head.id,
        deadline=now + timedelta(days=1),
    )  # fmt: skip
    pid = await services.publish_purchase(db.unit_of_work(), draft, now, Decimal(10))
    for member, units in ((c.alice, 2), (c.bob, 1)):
        await services.add_units(
            db.unit_of_work(), pid, member.id, member.first_name, 1, units, now, ADMITTED
        )
    head = Actor(c.head.id)
    await services.go_ahead_anyway(db.unit_of_work(), pid, head)
    paid = Money.parse("25.00", "EUR")
    await services.record_money(
        db.unit_of_work(), pid, head, c.alice.id, EntryKind.PAYMENT, paid, now
    )
    return pid


async def complete(c: Community, pid: int) -> None:
    db, now, head = c.runtime.database, datetime.now(UTC), Actor(c.head.id)
    slot = PickupSlot("Hall", now + timedelta(days=2), now + timedelta(days=2, hours=2))
    await services.mark_ordered(db.unit_of_work(), pid, head)
    await services.mark_arrived(db.unit_of_work(), pid, head, [slot])
    await services.complete(db.unit_of_work(), pid, head, with_open_balances=True)


async def rows(c: Community, pid: int) -> dict[str, list[Any]]:
    """The stored rows of a purchase that name people, and its head."""
    async with c.runtime.database.sessions() as session:
        return {
            "members": [(m.user_id, m.name) for m in await session.scalars(
                select(MemberRow).where(MemberRow.purchase_id == pid))],
            "requests": [r.member_id for r in await session.scalars(
                select(OrderRequestRow).where(OrderRequestRow.purchase_id == pid))],
            "ledger": [(e.member_id, e.amount_minor) for e in await session.scalars(
                select(LedgerEntryRow).where(LedgerEntryRow.purchase_id == pid))],
            "waiting": [w.user_id for w in await session.scalars(
                select(ErasureRequestRow).where(ErasureRequestRow.purchase_id == pid))],
        }  # fmt: skip


def names_her(found: dict[str, list[Any]], c: Community) -> bool:
    return str(c.alice.id) in json.dumps(found) or "Alice" in json.dumps(found, ensure_ascii=False)


async def her_updates(c: Community) -> list[Any]:
    """The updates the inbox keeps that Alice sent (with who sent them still in them)."""
    await c.runtime.inbox.written()
    async with c.runtime.database.sessions() as session:
        payloads = list(await session.scalars(select(InboxRow.payload)))
    return [
        body for payload in payloads for body in payload.values()
        if isinstance(body, dict) and (body.get("from") or {}).get("id") == c.alice.id
    ]  # fmt: skip


def forget_button(message: SandboxMessage) -> bool:
    return "Forget me…" in [button["text"] for button in message.buttons()]


async def my_file(c: Community) -> tuple[dict[str, Any], Any]:
    before = len(c.sandbox.documents(c.alice.id))
    sent = await c.sandbox.send(c.alice, "/mydata")
    answer = await c.sandbox.wait_for_message(c.alice.id, forget_button, after=sent)
    await c.sandbox.emulator.wait_until(lambda: len(c.sandbox.documents(c.alice.id)) > before)
    name, content = c.sandbox.documents(c.alice.id)[-1]
    assert name == "groupbuy-my-data.json"
    return json.loads(content), answer


async def test_her_file_holds_her_orders_and_payments_and_nothing_of_others(
    community: Community,
) -> None:
    c = community
    sent = await c.sandbox.start(c.alice)
    await c.sandbox.wait_for_message(c.alice.id, "Hello", after=sent)
    pid = await seeded(c, "Buckwheat")
    sent = await c.sandbox.send(c.alice, "/mydata", chat=c.chat)
    said = await c.sandbox.wait_for_message(c.chat.id, after=sent)
    assert said.text == "What I keep about you is yours only: send me /mydata in our private chat."
    assert c.sandbox.documents(c.chat.id) == []

    found, answer = await my_file(c)
    assert "everything I keep about you" in (answer.caption or "")
    assert found["telegram_id"] == c.alice.id
    assert found["profile"]["telegram_language"] == "en"
    mine = found["purchases"][str(pid)]
    assert (mine["title"], mine["community"], mine["roles"]) == ("Buckwheat", "Block 5", ["member"])
    assert mine["name_stored"] == "Alice Zebra"
    assert [e["amount_minor"] for e in mine["ledger"]] == [2500]
    assert mine["order_now"]["currency"] == "EUR"
    assert mine["order_now"]["lines"][0]["quantity"] == 2
    assert mine["order_now"]["total_minor"] > 0
    text = json.dumps(found, ensure_ascii=False)
    assert str(c.bob.id) not in text and "Bob" not in text and str(c.head.id) not in text


async def test_forgetting_her_withdraws_pseudonymises_and_waits_for_the_end(
    community: Community,
) -> None:
    c = community
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, "Hello", after=sent)
    card = await c.publish()  # purchase 1: open, Alice and Bob in it
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.wait_for_edit(card, "2 members")
    finished = await seeded(c, "Buckwheat")
    await complete(c, finished)
    running = await seeded(c, "Oat milk")  # past its stop: she still pays and collects
    before = await rows(c, finished)

    # Someone else's forged "forget me" changes nothing.
    forged = c.sandbox.press_forged(
        c.bob,
        c.sandbox.bot_messages(c.bob.id)[-1],
        encode(Action.FORGET_CONFIRM, c.alice.id, int(c.runtime.clock().timestamp())),
    )
    assert (await c.sandbox.answer_of(forged)).text == "This button is not yours."
    assert names_her(await rows(c, 1), c) and await rows(c, finished) == before

    _, answer = await my_file(c)
    assert await her_updates(c)  # the inbox keeps what she sent, until she is forgotten
    await c.sandbox.tap(c.alice, answer, "Forget me…", answer="")
    asked = await c.sandbox.wait_for_message(c.alice.id, "If you go on, I forget you", after=answer)
    text = asked.text or ""
    assert "You leave these open purchases" in text and "Wildflower honey from Altai" in text
    assert "replaced by a number" in text and "Buckwheat" in text
    assert "past their stop" in text and "Oat milk" in text
    assert "go when the last of those purchases ends" in text and "go now" not in text
    yes = next(b["callback_data"] for b in asked.buttons() if b["text"] == "Yes, forget me")
    await c.sandbox.tap(c.alice, asked, "Yes, forget me", answer="Done.")
    await c.sandbox.wait_for_message(c.alice.id, "Done: I have forgotten you.", after=asked)
    await c.sandbox.wait_for_edit(asked, lambda m: not m.buttons())  # no second Yes to press

    # The open purchase: she left as a withdrawal does; the card and the head say so.
    await c.sandbox.wait_for_edit(card, "1 member")
    await c.sandbox.wait_for_message(c.head.id, "Member #1 withdrew")
    assert not names_her(await rows(c, 1), c)
    # The completed purchase: the same amounts, under a pseudonym.
    after = await rows(c, finished)
    assert not names_her(after, c)
    assert sorted(a for _, a in after["ledger"]) == sorted(a for _, a in before["ledger"])
    assert len(after["requests"]) == len(before["requests"])
    assert "Member #1" in [name for _, name in after["members"]]
    # The running purchase keeps her until it completes, then forgets her.
    assert (await rows(c, running))["waiting"] == [c.alice.id]
    assert names_her(await rows(c, running), c)
    async with c.runtime.database.sessions() as session:  # the bot still reaches her there
        assert await session.get(BotUserRow, c.alice.id) is not None
    await complete(c, running)
    ended = await rows(c, running)
    assert not names_her(ended, c) and ended["waiting"] == []
    assert [a for _, a in ended["ledger"]] == [2500]
    assert await her_updates(c) == []  # handled ones blanked, with the rest of her
    async with c.runtime.database.sessions() as session:
        assert await session.get(BotUserRow, c.alice.id) is None
        status = await session.scalar(select(PurchaseRow.status).where(PurchaseRow.id == running))
    assert status == PurchaseStatus.COMPLETED.value

    # A second press (an app that kept the button) finds nothing more to do.
    states = [await rows(c, pid) for pid in (1, finished, running)]
    again = c.sandbox.press_forged(c.alice, asked, yes)
    assert (await c.sandbox.answer_of(again)).text == "Done."
    assert [await rows(c, pid) for pid in (1, finished, running)] == states


async def test_an_old_yes_or_a_no_forgets_nothing(community: Community) -> None:
    """Yes stands for the plan she read, minutes ago: pressed later (she may have joined
    something since) it is refused and changes nothing; No keeps everything."""
    c = community
    sent = await c.sandbox.start(c.alice)
    await c.sandbox.wait_for_message(c.alice.id, "Hello", after=sent)
    card = await c.publish()
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    before = await rows(c, 1)
    for button, answer in (("No, keep my data", "Kept: nothing was forgotten."), ("Yes", "")):
        _, offered = await my_file(c)
        await c.sandbox.tap(c.alice, offered, "Forget me…", answer="")
        asked = await c.sandbox.wait_for_message(c.alice.id, "If you go on", after=offered)
        if button == "Yes":
            yes = next(b["callback_data"] for b in asked.buttons() if b["text"] == "Yes, forget me")
            old = int(c.runtime.clock().timestamp()) - 11 * 60
            pressed = c.sandbox.press_forged(c.alice, asked, yes.rsplit(":", 1)[0] + f":{old}")
            answer = "This question is too old: send /mydata and ask again."
            assert (await c.sandbox.answer_of(pressed)).text == answer
        else:
            await c.sandbox.tap(c.alice, asked, button, answer=answer)
        await c.sandbox.wait_for_edit(asked, lambda m: not m.buttons())
        assert await rows(c, 1) == before and names_her(before, c)
    async with c.runtime.database.sessions() as session:
        assert await session.get(BotUserRow, c.alice.id) is not None


async def test_a_head_of_a_running_purchase_is_told_why_not_and_nothing_changes(
    community: Community,
) -> None:
    c = community
    sent = await c.sandbox.start(c.head)
    await c.sandbox.wait_for_message(c.head.id, "Hello", after=sent)
    pid = await seeded(c, "Buckwheat")
    sent = await c.sandbox.send(c.head, "/mydata")
    answer = await c.sandbox.wait_for_message(c.head.id, forget_button, after=sent)
    await c.sandbox.tap(c.head, answer, "Forget me…", answer="")
    told = await c.sandbox.wait_for_message(c.head.id, "You lead", after=answer)
    assert "Buckwheat" in (told.text or "") and not told.buttons()
    now = int(c.runtime.clock().timestamp())
    forced = c.sandbox.press_forged(c.head, told, encode(Action.FORGET_CONFIRM, c.head.id, now))
    assert (await c.sandbox.answer_of(forced)).text is None  # answered without a word
    await c.sandbox.wait_for_message(c.head.id, "You lead", after=told)
    async with c.runtime.database.sessions() as session:
        assert await session.get(BotUserRow, c.head.id) is not None
        head_id = await session.scalar(select(PurchaseRow.head_id).where(PurchaseRow.id == pid))
    assert head_id == c.head.id


async def test_a_purchase_that_fails_at_its_deadline_forgets_whoever_waited_for_its_end(
    community: Community,
) -> None:
    """She asks between the deadline and the sweep: bound to a purchase that has not stopped,
    she waits for its end, which is a failure; she is forgotten then, not left waiting."""
    c = community
    db, now = c.runtime.database, datetime.now(UTC)
    draft = replace(
        purchase([item(1)], status=PurchaseStatus.DRAFT, moq=Moq(units=10)),
        id=0, title="Rye flour", community_id=c.chat.id, head_id=c.head.id,
        deadline=now + timedelta(hours=1),
    )  # fmt: skip
    pid = await services.publish_purchase(db.unit_of_work(), draft, now, Decimal(10))
    await services.add_units(db.unit_of_work(), pid, c.alice.id, "Alice", 1, 2, now, ADMITTED)
    later = now + timedelta(hours=2)
    await services.forget_me(db.unit_of_work(), c.alice.id, later)
    assert (await rows(c, pid))["waiting"] == [c.alice.id]
    await services.reach_deadline(db.unit_of_work(), pid, later)
    ended = await rows(c, pid)
    assert ended["waiting"] == [] and not names_her(ended, c)
    assert len(ended["requests"]) == 1  # her order stays on record, under a number
    async with db.sessions() as session:
        status = await session.scalar(select(PurchaseRow.status).where(PurchaseRow.id == pid))
    assert status == PurchaseStatus.FAILED.value
