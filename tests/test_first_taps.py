"""The taps made the moment a card appears count, however late Telegram answers its send; a
card Telegram refuses publishes nothing; a card whose send went unanswered is never a second
live card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from domain import services
from domain.permissions import Actor
from domain.purchase import PurchaseStatus
from handlers.runtime import CARDS_KEPT, Runtime
from sandbox.driver import Sandbox
from sandbox.model import SandboxChat, SandboxMessage, SandboxUser
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED
from tests.support.running import ShiftedClock, bot_running, eventually, sandbox_running
from tests.support.scenario import TIMEZONE, Community, community_running, template
from texts.callback_data import Action, encode

HONEY = "+1 Honey 1 kg"


async def tap_honey(c: Community, user: SandboxUser, card: SandboxMessage, units: int) -> None:
    answer = await c.sandbox.tap(user, card, HONEY)
    assert answer.text is not None and answer.text.startswith(f"You're in: {units} × Honey 1 kg")


async def units_of(c: Community, purchase_id: int, user: SandboxUser) -> int:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    assert purchase is not None
    return purchase.quantity(user.id, 1)


async def test_taps_on_a_card_whose_send_is_answered_late_all_count_once(
    database_url: str,
) -> None:
    async with community_running(database_url) as c:
        # Telegram shows the card at once but answers the bot's send 1.5 s later.
        c.sandbox.emulator.late_answers["sendmessage"] = 1.5
        sent = await c.sandbox.send(c.head, "/new\n" + template(), chat=c.chat)
        card = await c.sandbox.wait_for_message(c.chat.id, "🛒", after=sent)
        await tap_honey(c, c.alice, card, 1)
        await tap_honey(c, c.bob, card, 1)
        await tap_honey(c, c.alice, card, 2)
        c.sandbox.emulator.late_answers.clear()
        # The first tap found the card awaited and recorded it (the send's answer, later, finds
        # it recorded); the card is redrawn with those taps.
        edited = await c.sandbox.wait_for_edit(card, "👥 2 members")
        assert edited.buttons()
        assert (await units_of(c, 1, c.alice), await units_of(c, 1, c.bob)) == (2, 1)
        async with c.runtime.database.unit_of_work() as uow:
            location = await uow.telegram.card(1)
        assert location is not None and location.message_id == card.message_id
        cards = [m for m in c.sandbox.emulator.chat_messages(c.chat.id) if "🛒" in (m.text or "")]
        assert cards == [edited]


async def test_a_refused_card_returns_the_purchase_to_a_draft_and_says_why(
    database_url: str,
) -> None:
    async with community_running(database_url) as c:
        await c.sandbox.start(c.head, f"n{c.chat.id}")
        await c.sandbox.wait_for_message(c.head.id, "What are you buying?")
        await c.say(c.head, "/cancel", "Cancelled")
        preview = await c.say(c.head, "/new\n" + template(), "Preview of the card")
        c.chat.members[c.sandbox.emulator.bot.id] = "left"  # removed from the group meanwhile
        await c.sandbox.tap(c.head, preview, "Publish", answer="")
        refused = await c.sandbox.wait_for_message(c.head.id, "Not published", after=preview)
        assert "I could not post the card in Block 5" in (refused.text or "")
        assert "nothing was published" in (refused.text or "")
        async with c.runtime.database.unit_of_work() as uow:
            draft = await uow.purchases.get(1)
            assert await uow.telegram.card(1) is None
            assert await uow.telegram.cards_being_posted() == []
        assert draft is not None and draft.status is PurchaseStatus.DRAFT
        # Nobody can order in a purchase nobody saw, even by its link.
        await c.sandbox.start(c.alice, "o1")
        await c.sandbox.wait_for_message(c.alice.id, "does not exist")


async def post_unanswered(sandbox: Sandbox, head: SandboxUser, chat: SandboxChat) -> SandboxMessage:
    """The head publishes; Telegram shows the card but never answers the send in time (the
    bot gives up waiting after its read time-out and says "Published." to the head)."""
    sandbox.emulator.late_answers["sendmessage"] = 6
    sent = await sandbox.send(head, "/new\n" + template(), chat=chat)
    card = await sandbox.wait_for_message(chat.id, "🛒", after=sent)
    await sandbox.wait_for_message(chat.id, "Published.", after=card, timeout=15)
    sandbox.emulator.late_answers.clear()
    return card


async def test_an_unanswered_card_is_adopted_by_its_first_tap(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        card = await post_unanswered(c.sandbox, c.head, c.chat)
        async with c.runtime.database.unit_of_work() as uow:
            assert await uow.telegram.cards_being_posted() == [1]
        await tap_honey(c, c.alice, card, 1)
        await c.sandbox.wait_for_edit(card, "👥 1 member")
        async with c.runtime.database.unit_of_work() as uow:
            location = await uow.telegram.card(1)
        assert location is not None and location.message_id == card.message_id


@asynccontextmanager
async def stopped_with_its_card_unrecorded(
    url: str, clock: ShiftedClock
) -> AsyncIterator[tuple[Sandbox, SandboxUser, SandboxUser, SandboxChat, SandboxMessage]]:
    """A bot that stopped while its card's send went unanswered: the card is in the chat,
    the purchase open, its card never recorded. Yields the sandbox, the head (who started the
    bot), Alice, the chat and that card."""
    async with sandbox_running() as sandbox:
        head, alice = sandbox.user("Hanna"), sandbox.user("Alice")
        head.started_bot = True
        chat = sandbox.group("Block 5", members=[alice], admins=[head])
        async with bot_running(sandbox, url, clock, default_timezone=TIMEZONE):
            await sandbox.add_bot(chat, by=head, as_admin=True, can_pin=True)
            await sandbox.wait_for_message(chat.id)
            first = await post_unanswered(sandbox, head, chat)
        yield sandbox, head, alice, chat, first


async def recorded_card(runtime: Runtime) -> int | None:
    async with runtime.database.unit_of_work() as uow:
        location = await uow.telegram.card(1)
    return location.message_id if location else None


async def test_a_card_left_unrecorded_by_a_stop_is_posted_again_and_its_twin_retired(
    sqlite_url: str,
) -> None:
    clock = ShiftedClock()
    async with stopped_with_its_card_unrecorded(sqlite_url, clock) as (
        sandbox,
        _,
        alice,
        chat,
        first,
    ):
        # The next start, minutes on, finds the card never recorded and posts it again.
        clock.advance(timedelta(minutes=6))
        async with bot_running(sandbox, sqlite_url, clock, default_timezone=TIMEZONE) as again:
            second = await sandbox.wait_for_message(
                chat.id, lambda m: (m.text or "").startswith("🛒"), after=first
            )
            assert second.buttons()
            # Recorded, then pinned: from now on the first card is the twin.
            await sandbox.wait_for_edit(second, lambda m: m.pinned)
            # A tap on the first card still counts, and that twin goes.
            answer = await sandbox.tap(alice, first, HONEY)
            assert (answer.text or "").startswith("You're in: 1 × Honey 1 kg")
            key = (chat.id, first.message_id)
            await sandbox.emulator.wait_until(lambda: sandbox.emulator.messages[key].deleted)
            await sandbox.wait_for_edit(second, "👥 1 member")
            async with again.database.unit_of_work() as uow:
                assert await uow.telegram.cards_being_posted() == []
            assert await recorded_card(again) == second.message_id


@pytest.mark.parametrize(
    ("ordered", "status", "told"),
    [
        (False, PurchaseStatus.DRAFT, "nothing was published"),
        (True, PurchaseStatus.OPEN, "the purchase stays open, without a card"),  # by its link
    ],
)
async def test_a_card_the_sweep_cannot_post_is_let_go_and_the_head_is_told(
    sqlite_url: str, ordered: bool, status: PurchaseStatus, told: str
) -> None:
    clock = ShiftedClock()
    unrecorded = stopped_with_its_card_unrecorded(sqlite_url, clock)
    async with unrecorded as (sandbox, head, alice, chat, _):
        if ordered:  # Alice ordered by the card's link meanwhile
            database = Database(sqlite_url)
            try:
                await services.add_units(
                    database.unit_of_work(), 1, alice.id, "Alice", 1, 1, datetime.now(UTC), ADMITTED
                )
            finally:
                await database.dispose()
        chat.members[sandbox.emulator.bot.id] = "kicked"  # removed from the group meanwhile
        clock.advance(timedelta(minutes=6))
        async with bot_running(sandbox, sqlite_url, clock, default_timezone=TIMEZONE) as again:
            notice = await sandbox.wait_for_message(head.id, "I could not post the card")
            text = notice.text or ""
            assert text.startswith("Purchase “Wildflower honey from Altai”: I could not post")
            assert told in text
            async with again.database.unit_of_work() as uow:
                purchase = await uow.purchases.get(1)
                assert await uow.telegram.cards_being_posted() == []
            assert purchase is not None and purchase.status is status
            assert purchase.quantity(alice.id, 1) == int(ordered)


async def test_a_purchase_cancelled_while_its_card_waited_gets_no_card(sqlite_url: str) -> None:
    clock = ShiftedClock()
    unrecorded = stopped_with_its_card_unrecorded(sqlite_url, clock)
    async with unrecorded as (sandbox, head, alice, chat, first):
        database = Database(sqlite_url)
        try:
            await services.cancel(database.unit_of_work(), 1, Actor(head.id), "wrong honey")
        finally:
            await database.dispose()
        clock.advance(timedelta(minutes=6))
        async with bot_running(sandbox, sqlite_url, clock, default_timezone=TIMEZONE) as again:

            async def nothing_awaited() -> bool:
                async with again.database.unit_of_work() as uow:
                    return await uow.telegram.cards_being_posted() == []

            await eventually(nothing_awaited)  # the sweep, at start-up, let the card go
            cards = [
                m for m in sandbox.bot_messages(chat.id, first) if m.text and m.text[0] == "🛒"
            ]
            assert cards == []
            # The card shown before the stop still looks open: its first tap is refused, and
            # the card goes.
            answer = await sandbox.tap(alice, first, HONEY, answer="Not added: ")
            assert "cancelled" in (answer.text or "")
            key = (chat.id, first.message_id)
            await sandbox.emulator.wait_until(lambda: sandbox.emulator.messages[key].deleted)


def test_a_process_remembers_the_latest_cards_only() -> None:
    remembered = Runtime(settings=None, database=None)  # type: ignore[arg-type]
    for purchase_id in range(CARDS_KEPT + 2):
        remembered.remember_card(purchase_id, -100, purchase_id)
    assert len(remembered.recorded_cards) == CARDS_KEPT
    assert 0 not in remembered.recorded_cards and 1 not in remembered.recorded_cards
    assert remembered.recorded_cards[CARDS_KEPT + 1] == (-100, CARDS_KEPT + 1)


async def test_a_forged_press_on_another_card_retires_nothing(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        honey = await c.publish()
        tea = await c.publish(template(Title="Green tea", Item="Tea | 5.00", Item2=""))
        # Bob's modified client sends honey's +1 from the tea card: it counts for honey (as
        # his tap on the honey card would), and the tea card, which does not carry it, stays.
        forged = c.sandbox.press_forged(c.bob, tea, encode(Action.JOIN, 1, 1))
        answer = await c.sandbox.answer_of(forged)
        assert (answer.text or "").startswith("You're in: 1 × Honey 1 kg")
        await tap_honey(c, c.bob, honey, 2)  # handled after the forged press, being his
        assert not c.sandbox.emulator.messages[(c.chat.id, tea.message_id)].deleted
        assert not c.sandbox.emulator.messages[(c.chat.id, honey.message_id)].deleted
