"""The same on several webhook workers behind HAProxy, on one PostgreSQL: a stranger refused
through the card and its link, let in once she joins the chat (whichever worker hears of it,
the others are told); one person's flood turned away beyond what one person may have waiting,
while another member is answered."""

from __future__ import annotations

import re

from sqlalchemy import select

from sandbox.driver import Sandbox
from sandbox.fleet import Fleet
from sandbox.update_delivery import sender_of
from storage.telegram_tables import InboxRow, ProcessedUpdateRow
from storage.unit_of_work import Database
from tests.support.running import eventually
from tests.test_scale_out import card_template, fleet, haproxy, pg_url
from texts.callback_data import Action, encode

__all__ = ["fleet", "haproxy", "pg_url"]  # the fixtures, shared with test_scale_out

REFUSED = "Not added: this purchase is for the members of its community chat"


async def test_strangers_and_floods_on_several_workers(
    fleet: tuple[Sandbox, Fleet], pg_url: str
) -> None:
    sandbox, _workers = fleet
    head, alice, bob, mallory = (sandbox.user(n) for n in ("Hanna", "Alice", "Bob", "Mallory"))
    chat = sandbox.group("Block 5", members=[alice, bob], admins=[head])
    await sandbox.add_bot(chat, by=head, as_admin=True)
    await sandbox.wait_for_message(chat.id, timeout=20)
    sent = await sandbox.send(head, card_template("Workers honey"), chat=chat)
    card = await sandbox.wait_for_message(chat.id, "Workers honey", after=sent, timeout=20)
    for person in (alice, bob, mallory):
        sent = await sandbox.start(person)
        await sandbox.wait_for_message(person.id, after=sent, timeout=20)

    pressed = sandbox.press_forged(mallory, card, encode(Action.JOIN, 1, 1))
    assert (await sandbox.answer_of(pressed, timeout=20)).text.startswith(REFUSED)
    sent = await sandbox.start(mallory, "o1")
    told = await sandbox.wait_for_message(mallory.id, after=sent, timeout=20)
    assert (told.text or "").startswith("This purchase is for the members of “Block 5”")
    sandbox.join(chat, mallory)

    async def let_in() -> bool:  # a worker that refused her moments ago may hold it a little
        pressed = sandbox.press_forged(mallory, card, encode(Action.JOIN, 1, 1))
        return (await sandbox.answer_of(pressed, timeout=20)).text.startswith("You're in: 1 ×")

    await eventually(let_in, timeout=15)
    for units in (2, 3):  # taps land on any worker: each knows she is in now
        answer = f"You're in: {units} ×"
        await sandbox.tap(mallory, card, "+1 Honey 1 kg", answer=answer, timeout=20)

    before = max(sandbox.emulator.sent_updates)
    for _ in range(100):
        await sandbox.send(bob, "/help")
    await sandbox.tap(alice, card, "+1 Honey 1 kg", answer="You're in: 1 ×", timeout=20)
    flood = [
        update_id for update_id, update in sandbox.emulator.sent_updates.items()
        if update_id > before and sender_of(update) == bob.id
    ]  # fmt: skip
    database = Database(pg_url)
    try:

        async def all_done() -> bool:
            async with database.sessions() as session:
                handled = set(
                    await session.scalars(
                        select(InboxRow.update_id).where(
                            InboxRow.update_id.in_(flood), InboxRow.handled_at.is_not(None)
                        )
                    )
                )
                claimed = set(await session.scalars(select(ProcessedUpdateRow.update_id).where(
                    ProcessedUpdateRow.update_id.in_(flood))))  # fmt: skip
            return handled | claimed == set(flood)

        await eventually(all_done, timeout=60)
    finally:
        await database.dispose()
    texts = [m.text or "" for m in sandbox.bot_messages(bob.id)]
    helped = sum("/help: this list" in text for text in texts)
    notes = sum(bool(re.match("You are sending faster than I can answer", t)) for t in texts)
    assert helped < len(flood)  # some were turned away, not answered
    assert 1 <= notes <= 3  # one per worker that turned some away, at most
