"""Time-driven behaviour through the sandbox, the real Application and the real scheduler:
the deadline, reminders, each short-MOQ policy, pickup with codes, and a restart."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.purchase import PurchaseStatus
from runtime.timeline import Timeline
from sandbox.model import SandboxUser
from storage.unit_of_work import Database
from tests.support.running import ShiftedClock, bot_running, eventually, sandbox_running
from tests.support.scenario import Community, community_running, local, tap_and_confirm, template

DAY = timedelta(days=1)


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def community(sqlite_url: str, clock: ShiftedClock) -> AsyncIterator[Community]:
    async with community_running(sqlite_url, clock) as running:
        yield running


def texts(c: Community, chat_id: int) -> list[str]:
    return [m.text or "" for m in c.sandbox.bot_messages(chat_id)]


async def jump(
    c: Community, clock: ShiftedClock, to_deadline: timedelta, purchase_id: int = 1
) -> None:
    """Move the bot's clock to `to_deadline` before (negative: after) the stored deadline,
    then run the sweep, as its 30-second timer would."""
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    assert purchase is not None
    clock.offset = purchase.deadline - to_deadline - datetime.now(UTC)
    await c.runtime.timeline.sweep()


async def started(c: Community, *people: SandboxUser) -> None:
    for person in people:
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, "Hello", after=sent)


async def test_the_whole_timeline_from_open_to_completed(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    await started(c, c.head, c.alice, c.bob)
    card = await c.publish(template(**{"Min order": "6 units", "Delivery": ""}))
    # 24 h and 1 h before, the deadline, and the card countdown's next step.
    await eventually(lambda: len(c.runtime.timeline.planned(1)) == 4)
    for units in range(1, 6):
        await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer=f"You're in: {units} × Honey")
    await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.tap(c.bob, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")

    await jump(c, clock, timedelta(hours=23))
    await c.sandbox.wait_for_message(c.alice.id, "stops in 24 hours. Your order: 5 × Honey 1 kg")
    await jump(c, clock, timedelta(minutes=40))
    await c.runtime.timeline.sweep()  # twice: still once each
    await c.sandbox.wait_for_message(
        c.chat.id, "Stop-purchase of Wildflower honey from Altai in 1 hour — 7/6 units"
    )
    await c.sandbox.wait_for_message(c.bob.id, "stops in 1 hour")

    await jump(c, clock, -timedelta(seconds=1))
    await c.sandbox.wait_for_message(c.chat.id, "has stopped: 2 members, 7/6 units")
    alice = await c.sandbox.wait_for_message(c.alice.id, "has stopped")
    assert "You get: 5 × Honey 1 kg" in (alice.text or "")
    assert "Amount due: €65.63 (goods €62.50, fee €3.13, delivery €0.00)" in (alice.text or "")
    assert "Pay the head as they tell you." in (alice.text or "")  # no payment details given
    bob = await c.sandbox.wait_for_message(c.bob.id, "has stopped")
    assert "You get: 1 × Honey 1 kg, 1 × Honey 0.5 kg" in (bob.text or "")
    summary = await c.sandbox.wait_for_message(c.head.id, "Supplier order")
    assert "Honey 1 kg: 6 (1 pack of 6) × €12.50 = €75.00" in (summary.text or "")
    await c.sandbox.wait_for_edit(card, "Stopped")

    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Mark ordered")
    panel = await c.sandbox.wait_for_edit(panel, "Ordered")
    await c.sandbox.wait_for_message(c.alice.id, "is ordered from the supplier")
    await tap_and_confirm(c.sandbox, c.head, panel, "Mark arrived")
    await c.sandbox.wait_for_message(c.chat.id, "have arrived")
    notice = await c.sandbox.wait_for_message(c.alice.id, "Your pickup code:")
    code = notice.body.split("Your pickup code: ", 1)[1][:4]
    assert code.isalnum() and code.isupper()
    assert "Not paid yet: €65.63" in notice.body  # prepaid, and still unpaid
    assert "Community hall, 5 Main St" in notice.body

    async with c.runtime.database.unit_of_work() as uow:
        arrived = await uow.purchases.get(1)
    assert arrived is not None
    window = arrived.pickup_slots[0].starts_at
    clock.offset = window - timedelta(minutes=30) - datetime.now(UTC)
    await c.runtime.timeline.sweep()
    await c.sandbox.wait_for_message(c.alice.id, "starts in 30 minutes")
    clock.advance(timedelta(minutes=40))
    await c.runtime.timeline.sweep()
    await c.sandbox.wait_for_message(c.chat.id, "is open now")

    wrong = await c.sandbox.send(c.head, "ZZZZ")
    await c.sandbox.wait_for_message(
        c.head.id, "No member of your arrived purchases has the code ZZZZ", after=wrong
    )
    handed = await c.sandbox.send(c.head, code.lower())
    handover = await c.sandbox.wait_for_message(c.head.id, "Alice Zebra — code", after=handed)
    await c.sandbox.tap(c.head, handover, "Handed over, not paid yet", answer="Handed over.")
    await c.sandbox.wait_for_message(c.alice.id, "You have received your goods")
    panel_sent = await c.sandbox.send(c.head, "/purchases")
    panel = await c.sandbox.wait_for_message(c.head.id, "Handed over: 1 of 2", after=panel_sent)
    await c.sandbox.tap(c.head, panel, "Complete", answer="")
    ask = await c.sandbox.wait_for_message(c.head.id, "Not completed yet", after=panel)
    await c.sandbox.tap(c.head, ask, "Close with open balances", answer="Done.")
    await c.sandbox.wait_for_edit(ask, "Completed")
    # nothing was sent twice
    for person in (c.alice, c.bob):
        assert sum("has stopped" in t for t in texts(c, person.id)) == 1
        assert sum("stops in 1 hour" in t for t in texts(c, person.id)) == 1
    assert sum("in 1 hour —" in t for t in texts(c, c.chat.id)) == 1


async def test_short_of_the_minimum_under_fail_everyone_is_told(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    await started(c, c.alice)
    card = await c.publish(template(**{"If short": "fail"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await jump(c, clock, -timedelta(minutes=1))
    await c.sandbox.wait_for_message(c.chat.id, "did not reach its minimum order (1/30 units)")
    await c.sandbox.wait_for_message(c.alice.id, "Nothing is due")
    await c.sandbox.wait_for_edit(card, "Failed")


async def test_the_card_s_countdown_is_edited_at_each_minute_of_the_last_hour(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    card = await c.publish()
    assert re.search(r"stops in \d d \d+ h —", card.text or "")
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    await c.runtime.timeline.sweep()  # as its 30-second timer would: the countdown is known
    # A clock jump no timer saw: the sweep edits the card and plans the next step.
    await jump(c, clock, timedelta(minutes=16, seconds=30))
    await c.sandbox.wait_for_edit(card, "stops in 16 min —")
    step = purchase.deadline - timedelta(minutes=16)
    await eventually(lambda: step in c.runtime.timeline.planned(1))
    # That step's timer fires: the card reads one minute less, and the next step is planned.
    clock.offset = step - datetime.now(UTC)
    await c.runtime.timeline.countdown(1)
    await c.sandbox.wait_for_edit(card, "stops in 15 min —")
    await eventually(lambda: step + timedelta(minutes=1) in c.runtime.timeline.planned(1))
    assert step not in c.runtime.timeline.planned(1)


async def test_short_of_the_minimum_under_extend_it_is_extended_once_and_announced(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    card = await c.publish()  # If short: extend 24h
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await jump(c, clock, timedelta(0))
    await c.sandbox.wait_for_message(
        c.chat.id, "The deadline of Wildflower honey from Altai is now"
    )
    await c.sandbox.wait_for_edit(card, re.compile(r"stops in (23 h|1 d 0 h)"))
    await jump(c, clock, timedelta(0))  # the extended deadline: no second extension
    await c.sandbox.wait_for_message(c.chat.id, "did not reach its minimum order")


async def test_short_of_the_minimum_under_ask_the_head_decides_with_buttons(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    await started(c, c.head, c.alice)
    card = await c.publish(template(**{"If short": "ask"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await jump(c, clock, -timedelta(minutes=1))
    question = await c.sandbox.wait_for_message(
        c.head.id, "reached its deadline short of the minimum"
    )
    answer = await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg")
    assert answer.text == "Not added: the deadline has passed; orders can no longer change"
    await c.sandbox.tap(c.head, question, "Extend by 24 h", answer="Done.")
    await c.sandbox.wait_for_message(
        c.chat.id, "The deadline of Wildflower honey from Altai is now"
    )
    answer = await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg")
    assert (answer.text or "").startswith("You're in")
    await jump(c, clock, -timedelta(minutes=1))
    second = await c.sandbox.wait_for_message(c.head.id, "short of the minimum", after=question)
    await tap_and_confirm(c.sandbox, c.head, second, "Go ahead anyway")
    await c.sandbox.wait_for_message(c.chat.id, "has stopped: 2 members, 2/30 units")


async def test_a_stop_missed_while_the_bot_was_down_happens_once_after_restart(
    sqlite_url: str,
) -> None:
    clock = ShiftedClock()
    async with sandbox_running() as sandbox:
        head, alice = sandbox.user("Hanna"), sandbox.user("Alice")
        chat = sandbox.group("Block 5", members=[alice], admins=[head])
        async with bot_running(sandbox, sqlite_url, clock) as runtime:
            await sandbox.add_bot(chat, by=head, as_admin=True)
            await sandbox.start(alice)
            await sandbox.wait_for_message(alice.id, "Hello")
            sent = await sandbox.send(
                head, "/new\n" + template(**{"Min order": "1 units"}), chat=chat
            )
            card = await sandbox.wait_for_message(chat.id, "🛒", after=sent)
            await sandbox.tap(alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
            async with runtime.database.unit_of_work() as uow:
                stored = await uow.purchases.get(1)
            assert stored is not None
        # The bot is down while the deadline passes, and starts again five minutes after it.
        clock.offset = stored.deadline + timedelta(minutes=5) - datetime.now(UTC)
        async with bot_running(sandbox, sqlite_url, clock) as runtime:
            await sandbox.wait_for_message(alice.id, "has stopped", timeout=15)
            await runtime.timeline.sweep()
            await asyncio.sleep(1.5)
        stopped = [m for m in sandbox.bot_messages(alice.id) if "has stopped" in (m.text or "")]
        assert len(stopped) == 1
        assert (
            len([m for m in sandbox.bot_messages(chat.id) if "has stopped" in (m.text or "")]) == 1
        )
        assert sandbox.emulator.rate_limited == []


async def test_the_timer_stops_a_purchase_on_time_without_the_sweep(community: Community) -> None:
    c = community
    await started(c, c.alice)
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    deadline = datetime.now(UTC) + timedelta(seconds=2)
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
        assert purchase is not None
        purchase.deadline = deadline
        await uow.commit()
    c.runtime.timeline.plan(1)
    await eventually(lambda: deadline in c.runtime.timeline.planned(1))
    await c.sandbox.wait_for_message(c.alice.id, "has stopped", timeout=10)
    async with c.runtime.database.unit_of_work() as uow:
        stopped = await uow.purchases.get(1)
    assert stopped is not None
    assert stopped.status is PurchaseStatus.STOPPED
    lateness = (datetime.now(UTC) - deadline).total_seconds()
    print(f"\nstop notice {lateness:.2f} s after the deadline")


async def test_a_member_can_turn_reminders_off(community: Community, clock: ShiftedClock) -> None:
    c = community
    await started(c, c.alice, c.bob)
    card = await c.publish()
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.sandbox.tap(c.bob, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await c.say(c.bob, "/reminders off", "Deadline reminders are off.")
    await jump(c, clock, timedelta(hours=23))
    await c.sandbox.wait_for_message(c.alice.id, "stops in 24 hours")
    await asyncio.sleep(1.5)
    assert not any("stops in 24 hours" in text for text in texts(c, c.bob.id))


async def test_a_head_who_gave_no_pickup_is_asked_for_one_at_arrival(community: Community) -> None:
    c = community
    await started(c, c.head, c.alice)
    card = await c.publish(template(Pickup="", **{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 0.5 kg", answer="You're in: 1 × Honey 0.5 kg")
    panel = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, panel, "Stop now")
    panel = await c.sandbox.wait_for_edit(panel, "Stopped")
    await tap_and_confirm(c.sandbox, c.head, panel, "Mark ordered")
    panel = await c.sandbox.wait_for_edit(panel, "Ordered")
    await c.sandbox.tap(
        c.head, panel, "Mark arrived", answer=""
    )  # no pickup to confirm: it asks for one
    asked = await c.sandbox.wait_for_message(c.head.id, "10:00-12:00 | Community hall")
    # The example is a date ahead (five days from today), not a fixed one long past.
    example = (asked.text or "").split("/arrived 1 ", 1)[1][:10]
    assert example > datetime.now(UTC).strftime("%Y-%m-%d")
    await c.say(c.head, "/arrived 1 tomorrow | hall", "write the pickup as")
    await c.say(c.head, "/arrived", "Write it like this")
    asked = await c.say(
        c.head, f"/arrived 1 {local(5)[:10]} 17:00-19:00 | Yard by block 5", "Have the goods"
    )
    await c.sandbox.tap(c.head, asked, "✅ Yes, they are here", answer="Done.")
    notice = await c.sandbox.wait_for_message(c.alice.id, "Your pickup code:")
    assert "Yard by block 5" in notice.body
    outsider = await c.say(c.bob, f"/arrived 1 {local(5)[:10]} 17:00-19:00 | Elsewhere", "Not done")
    assert "only the head" in (outsider.text or "")


async def test_stopping_lets_a_running_timer_finish_its_work(sqlite_url: str) -> None:
    """A timer cancelled inside its transaction would leave a database connection behind."""
    database = Database(sqlite_url)
    timeline = Timeline(database, lambda: datetime.now(UTC))
    await timeline.start()
    started, finished = asyncio.Event(), []

    async def slow_timer(purchase_id: int) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(purchase_id)

    timeline._scheduler.add_job(
        timeline._tracked, "date", run_date=datetime.now(UTC), args=[slow_timer, 7]
    )
    await asyncio.wait_for(started.wait(), 5)
    await timeline.stop()
    assert finished == [7]
    await database.dispose()


async def test_a_stopped_timeline_plans_nothing(sqlite_url: str) -> None:
    """A change noticed during the stop (by the notifier's last round) is planned at the next
    start, from the database: a planning task started now would be cut off mid-transaction."""
    database = Database(sqlite_url)
    timeline = Timeline(database, lambda: datetime.now(UTC))
    await timeline.start()
    await timeline.stop()
    timeline.plan(7)
    assert not timeline._in_flight
    await database.dispose()


async def test_the_sweep_forgets_the_payment_moments_of_purchases_done_collecting(
    sqlite_url: str,
) -> None:
    """What the pay-by reminder and offer sent is remembered only while the purchase still
    collects by that pay-by time: a bot running for months keeps no moment of every purchase
    it ever had."""
    database = Database(sqlite_url)
    timeline = Timeline(database, lambda: datetime.now(UTC))
    await timeline.start()
    timeline._payment_moments.add((7, "passed", datetime.now(UTC) - DAY))  # no purchase 7
    await timeline.sweep()
    assert not timeline._payment_moments
    await timeline.stop()
    await database.dispose()


async def test_after_a_long_outage_a_stale_reminder_is_not_sent(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    await started(c, c.alice)
    card = await c.publish(template(**{"Min order": "1 units"}))
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    await jump(c, clock, timedelta(minutes=10))  # both reminder moments passed while down
    await jump(c, clock, -timedelta(seconds=1))
    await c.sandbox.wait_for_message(c.alice.id, "has stopped")
    assert not any("stops in" in text for text in texts(c, c.alice.id))
    assert not any("in 1 hour" in text for text in texts(c, c.chat.id))
