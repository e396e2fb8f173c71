"""Pickup points and slots: several `Pickup:` lines with capacity, a member's choice in the
private chat (capacity held under a rush of choices), reminders on each member's own slot,
the packing list by slot, and the head moving the slots at /arrived."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from domain import events
from domain.errors import IllegalTransition, InvalidPurchase, LimitExceeded, NotAllowed, NotFound
from domain.form_fields import FormError, parse_pickups
from domain.permissions import Actor
from domain.purchase import PickupSlot, Purchase, PurchaseStatus, numbered_slots
from domain.purchase_form import TemplateContext, parse_template
from handlers.packing_list import TICK_BOX
from sandbox.model import SandboxMessage
from tests.support import builders
from tests.support.builders import NOW
from tests.support.running import ShiftedClock, eventually
from tests.support.scenario import community_running, local, tap_and_confirm
from tests.test_pickup_day import stored
from texts.callback_data import Action, encode

HEAD = Actor(builders.HEAD)
A, B, C = 1, 2, 3
DAY = NOW + timedelta(days=5)
HALL_MORNING = PickupSlot("Hall", DAY, DAY + timedelta(hours=2), capacity=1)
HALL_AFTERNOON = PickupSlot("Hall", DAY + timedelta(hours=4), DAY + timedelta(hours=6))
YARD = PickupSlot("Yard", DAY + timedelta(hours=6), DAY + timedelta(hours=8))


def three_slots(status: PurchaseStatus = PurchaseStatus.OPEN) -> Purchase:
    p = builders.purchase(
        pickup_slots=numbered_slots([], [HALL_MORNING, HALL_AFTERNOON, YARD]), status=status
    )
    for member in (A, B, C):
        p.set_quantity(member, f"M{member}", 1, 1, NOW)
    return p


def test_slots_keep_their_numbers_while_they_stay() -> None:
    first = numbered_slots([], [HALL_MORNING, HALL_AFTERNOON, YARD])
    assert [s.number for s in first] == [1, 2, 3]
    late = PickupSlot("Yard", DAY + timedelta(hours=9), DAY + timedelta(hours=10))
    again = numbered_slots(first, [YARD, late, HALL_MORNING])
    assert [s.number for s in again] == [3, 4, 1]


def test_a_member_chooses_a_slot_and_a_full_or_past_one_is_refused() -> None:
    p = three_slots()
    assert p.pickup_slot_of(A) is None  # several: nothing chosen yet
    assert p.choose_pickup(A, 1, NOW) == HALL_MORNING
    assert p.pickup_slot_of(A) == HALL_MORNING
    assert p.places_left(p.pickup_slots[0]) == 0
    with pytest.raises(LimitExceeded, match="full"):
        p.choose_pickup(B, 1, NOW)
    p.choose_pickup(A, 1, NOW)  # the same again changes nothing
    p.choose_pickup(A, 2, NOW)  # moving frees the place
    p.choose_pickup(B, 1, NOW)
    assert p.pickup_choices == {A: 2, B: 1}
    with pytest.raises(NotAllowed, match="over"):
        p.choose_pickup(C, 1, DAY + timedelta(hours=3))
    with pytest.raises(NotFound, match="not offered"):
        p.choose_pickup(C, 9, NOW)
    with pytest.raises(NotFound, match="nothing to pick up"):
        p.choose_pickup(99, 2, NOW)
    assert p.pickup_choices == {A: 2, B: 1}


def test_a_member_who_leaves_frees_their_place() -> None:
    p = three_slots()
    p.choose_pickup(A, 1, NOW)
    p.set_quantity(A, "M1", 1, 0, NOW)
    p.choose_pickup(B, 1, NOW)
    assert p.slot_takers() == {1: 1, 2: 0, 3: 0}


def test_a_finished_purchase_takes_no_choice() -> None:
    p = three_slots()
    p.cancel(HEAD, "supplier gone")
    with pytest.raises(IllegalTransition):
        p.choose_pickup(A, 2, NOW)


def test_moving_the_slots_on_the_day_keeps_choices_of_slots_that_stay() -> None:
    p = three_slots()
    p.choose_pickup(A, 1, NOW)
    p.choose_pickup(B, 2, NOW)
    p.stop_now(HEAD)
    p.mark_ordered(HEAD)
    p.mark_arrived(
        HEAD, [], lambda: "ACDE" if not p.pickup_codes else "FGHJ" + str(len(p.pickup_codes))
    )
    p.events.clear()
    evening = PickupSlot("Yard", DAY + timedelta(hours=9), DAY + timedelta(hours=10))
    p.mark_arrived(HEAD, [HALL_MORNING, evening], lambda: "XXXX", NOW)
    assert [s.number for s in p.pickup_slots] == [1, 4]
    assert p.pickup_choices == {A: 1}  # B's afternoon slot is gone: B chooses again
    assert [type(e) for e in p.events] == [events.PurchaseEdited]
    past = PickupSlot("Hall", NOW - timedelta(hours=3), NOW - timedelta(hours=1))
    with pytest.raises(InvalidPurchase, match="over already"):
        p.mark_arrived(HEAD, [past], lambda: "XXXX", NOW)
    assert [s.number for s in p.pickup_slots] == [1, 4]


def test_the_same_slot_twice_and_too_many_slots_are_refused() -> None:
    with pytest.raises(InvalidPurchase, match="twice"):
        builders.purchase(pickup_slots=[YARD, YARD])
    many = [PickupSlot("Hall", DAY + timedelta(hours=h), DAY + timedelta(hours=h + 1))
            for h in range(13)]  # fmt: skip
    with pytest.raises(InvalidPurchase, match="at most 12 pickup slots"):
        builders.purchase(pickup_slots=many)


CONTEXT = TemplateContext("EUR", "Europe/Berlin", NOW)


def test_pickup_lines_with_capacity_in_any_words() -> None:
    slots = parse_pickups(
        "2026-11-27 10:00-12:00 | Hall | 20\n\n2026-11-27 14:00-16:00 | Hall | до 15 человек\n"
        "2026-11-28 10:00-12:00 | School yard | 限8人\n2026-11-28 14:00-15:00 | Yard",
        "Europe/Berlin",
        NOW,
    )
    assert [(s.place, s.capacity) for s in slots] == [
        ("Hall", 20),
        ("Hall", 15),
        ("School yard", 8),
        ("Yard", None),
    ]
    for wrong in ("2026-11-27 10:00-12:00 | Hall | many", "2026-11-27 10:00-12:00 | Hall | 0",
                  "2026-11-27 10:00-12:00 | Hall | 1 | 2"):  # fmt: skip
        with pytest.raises(FormError):
            parse_pickups(wrong, "Europe/Berlin", NOW)
    with pytest.raises(FormError) as raised:
        parse_pickups("2026-11-27 10:00-12:00 | Hall\n2026-11-27 | Yard", "Europe/Berlin", NOW)
    assert raised.value.message == "slot {number}: {reason}" and raised.value.values["number"] == 2


def test_a_template_takes_one_pickup_line_per_slot() -> None:
    form = parse_template(
        "Title: Cheese\nItem: Gouda | 8.40\nDeadline: 2026-11-25 18:00\n"
        "Pickup: 2026-11-27 10:00-12:00 | Hall | 2\nВыдача: 2026-11-27 14:00-16:00 | Yard",
        CONTEXT,
    )
    purchase = form.to_purchase(-100, 1, "EUR", NOW, builders.Decimal(10))
    assert [(s.number, s.place, s.capacity) for s in purchase.pickup_slots] == [
        (1, "Hall", 2),
        (2, "Yard", None),
    ]
    with pytest.raises(FormError, match="Title"):
        parse_template("Title: A\nTitle: B", CONTEXT)  # other keys still once


# --- through the sandbox and the real Application ---------------------------------------------


def cheese(day: str) -> str:
    return "\n".join(
        [
            "Title: Farm gouda",
            "Item: Gouda | 8.40",
            f"Deadline: {local(3)}",
            f"Pickup: {day} 10:00-12:00 | Community hall | 1",
            f"Pickup: {day} 14:00-16:00 | Community hall",
            f"Pickup: {day} 17:00-19:00 | School yard",
            "Payment: postpay",
        ]
    )


def slot_data(number: int, in_editor: int = 0) -> str:
    return encode(Action.PICKUP_CHOOSE, 1, number, in_editor)


def plain(text: str | None) -> str:
    """Babel's times with plain spaces (it writes narrow and thin ones)."""
    return (text or "").replace("\u202f", " ").replace("\u2009", " ")


def labels(message: SandboxMessage) -> list[str]:
    return [b["text"] for b in message.buttons()]


async def test_a_whole_pickup_day_with_two_points_and_three_slots(sqlite_url: str) -> None:
    clock = ShiftedClock()
    async with community_running(sqlite_url, clock) as c:
        carol = c.sandbox.user("Carol")
        c.sandbox.join(c.chat, carol)
        for person in (c.head, c.alice, c.bob, carol):
            sent = await c.sandbox.start(person)
            await c.sandbox.wait_for_message(person.id, after=sent)
        day = local(6)[:10]
        card = await c.publish(cheese(day))
        assert (card.text or "").count("📍") == 3
        for person in (c.alice, c.bob, carol):
            await c.sandbox.tap(person, card, "+1 Gouda", answer="You're in: 1 × Gouda")

        # Before the stop, in the order editor: Alice takes the one place of the morning.
        editor = await c.say(c.alice, "/orders", "Choose where and when you pick up")
        morning = next(b for b in labels(editor) if "10:00" in b)
        assert morning.endswith("· 1 place left") and morning.startswith("Community hall")
        answer = await c.sandbox.answer_of(
            await c.sandbox.press(c.alice, editor, data=slot_data(1, 1))
        )
        assert (answer.text or "").startswith("You pick up: Community hall")
        editor = await c.sandbox.wait_for_edit(editor, "You pick up: Community hall")
        assert any(b.startswith("✅ Community hall") and "10:00" in b for b in labels(editor))
        # Bob finds it full.
        bobs = await c.say(c.bob, "/orders", "Choose where and when you pick up")
        assert any("10:00" in b and b.endswith("· full") for b in labels(bobs))
        full = await c.sandbox.answer_of(await c.sandbox.press(c.bob, bobs, data=slot_data(1, 1)))
        assert (full.text or "") == "Not done: this pickup slot is full; choose another one"
        # A forged slot, or a forged flag, is refused and changes nothing.
        for data in (slot_data(9, 1), encode(Action.PICKUP_CHOOSE, 1, 2, 7)):
            forged = await c.sandbox.answer_of(c.sandbox.press_forged(c.bob, bobs, data))
            assert "not offered any more" in (forged.text or "")
        assert (await stored(c)).pickup_choices == {c.alice.id: 1}

        control = await c.panel()
        await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
        control = await c.panel()
        await tap_and_confirm(c.sandbox, c.head, control, "Mark ordered")
        await c.sandbox.wait_for_edit(control, "Ordered")
        await tap_and_confirm(c.sandbox, c.head, control, "Mark arrived")

        # Alice's notice names her slot only; Bob's lists the three and lets him choose.
        alices = await c.sandbox.wait_for_message(c.alice.id, "Your pickup code")
        assert alices.body.count("📍") == 1 and "10:00" in alices.body
        bobs = await c.sandbox.wait_for_message(c.bob.id, "Your pickup code")
        assert bobs.body.count("📍") == 3 and "Choose when you come" in bobs.body
        yard = next(b for b in labels(bobs) if b.startswith("School yard"))
        answer = await c.sandbox.tap(c.bob, bobs, yard)
        assert (answer.text or "").startswith("You pick up: School yard")
        bobs = await c.sandbox.wait_for_edit(bobs, lambda m: "✅ School yard" in labels(m)[-1])
        assert (await stored(c)).pickup_choices == {c.alice.id: 1, c.bob.id: 3}

        # An hour before the morning: Alice for her slot, Carol asked to choose; Bob not yet.
        purchase = await stored(c)
        first, _, evening = purchase.pickup_slots
        clock.offset = first.starts_at - timedelta(hours=1) - datetime.now(UTC)
        await c.runtime.timeline.sweep()
        reminder = await c.sandbox.wait_for_message(c.alice.id, "⏰ Pickup")
        assert "starts in 1 hour: Community hall" in (reminder.text or "")
        asked = await c.sandbox.wait_for_message(carol.id, "you have not chosen when you come")
        assert len(asked.buttons()) == 3
        assert not any("⏰ Pickup" in (m.text or "") for m in c.sandbox.bot_messages(c.bob.id))
        # Carol's morning is full; she takes the afternoon from the reminder.
        full = await c.sandbox.answer_of(await c.sandbox.press(carol, asked, data=slot_data(1)))
        assert "full" in (full.text or "")
        afternoon = next(b for b in labels(asked) if "2:00 – 4:00 PM" in plain(b))
        await c.sandbox.tap(
            carol,
            asked,
            afternoon,
            answer="You pick up: Community hall, Dec 13, 2026 2:00\u2009–\u20094:00\u202fPM",
        )

        # An hour before the evening: Bob, for his own slot.
        clock.offset = evening.starts_at - timedelta(hours=1) - datetime.now(UTC)
        await c.runtime.timeline.sweep()
        reminder = await c.sandbox.wait_for_message(c.bob.id, "⏰ Pickup")
        assert "starts in 1 hour: School yard" in (reminder.text or "")
        # The morning is over now: choosing it is refused.
        late = await c.sandbox.answer_of(c.sandbox.press_forged(carol, asked, slot_data(1)))
        assert "over" in (late.text or "")

        # The packing list goes by slot, each with its members.
        control = await c.panel()
        assert "School yard" in (control.text or "") and "1 member chose it" in (control.text or "")
        await c.sandbox.answer_of(
            await c.sandbox.press(c.head, control, data=encode(Action.HEAD_EXPORT, 1))
        )
        await eventually(
            lambda: any(n.endswith(".xlsx") for n, _ in c.sandbox.documents(c.head.id))
        )
        xlsx = dict(c.sandbox.documents(c.head.id))["purchase-1.xlsx"]
        sheet = load_workbook(io.BytesIO(xlsx)).worksheets
        packing = next(s for s in sheet if s.title == "Packing list")
        cells = [[v for v in row if v is not None] for row in packing.iter_rows(values_only=True)]
        headings = [row[0] for row in cells if len(row) == 1]
        assert [h.split(",")[0] for h in headings] == ["Community hall", "Community hall",
                                                       "School yard"]  # fmt: skip
        names = [row[1] for row in cells if row and row[0] in (TICK_BOX, "☑")]
        assert names == ["Alice Zebra", "Carol", "Bob"]

        # The head moves the evening an hour later: Bob is told, and chooses again.
        moved = f"/arrived 1 {day} 10:00-12:00 | Community hall | 1\n" \
                f"{day} 14:00-16:00 | Community hall\n{day} 18:00-20:00 | School yard"  # fmt: skip
        await c.say(c.head, moved, "Done. Members of Farm gouda are told to come to:")
        told = await c.sandbox.wait_for_message(c.bob.id, "✏️ The head changed")
        assert "6:00 – 8:00 PM" in plain(told.text)
        assert len(told.buttons()) == 1  # the morning and the afternoon are over
        purchase = await stored(c)
        assert purchase.pickup_choices == {c.alice.id: 1, carol.id: 2}
        assert [s.number for s in purchase.pickup_slots] == [1, 2, 4]
        assert purchase.status is PurchaseStatus.ARRIVED


async def test_fifty_members_choose_one_slot_of_ten_places_at_once(database_url: str) -> None:
    async with community_running(database_url) as c:
        day = local(6)[:10]
        card = await c.publish(cheese(day).replace("| Community hall | 1", "| Community hall | 10"))
        members = [c.sandbox.user(f"Neighbour {n}") for n in range(50)]
        for member in members:
            c.sandbox.join(c.chat, member)
            sent = await c.sandbox.start(member)
            await c.sandbox.wait_for_message(member.id, after=sent)
        presses = [await c.sandbox.press(m, card, "+1 Gouda") for m in members]
        await asyncio.gather(*(c.sandbox.answer_of(p, 60) for p in presses))
        control = await c.panel()
        await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
        for label in ("Mark ordered", "Mark arrived"):
            control = await c.panel()
            await tap_and_confirm(c.sandbox, c.head, control, label)
        notices = [
            await c.sandbox.wait_for_message(m.id, "Your pickup code", timeout=30) for m in members
        ]
        presses = [
            await c.sandbox.press(m, notice, data=slot_data(1))
            for m, notice in zip(members, notices, strict=True)
        ]
        answers = await asyncio.gather(*(c.sandbox.answer_of(p, 60) for p in presses))
        texts = [a.text or "" for a in answers]
        assert sum(t.startswith("You pick up: Community hall") for t in texts) == 10
        assert texts.count("Not done: this pickup slot is full; choose another one") == 40
        purchase = await stored(c)
        assert purchase.slot_takers() == {1: 10, 2: 0, 3: 0}
        chose = {m.id for m, t in zip(members, texts, strict=True) if t.startswith("You pick up")}
        assert set(purchase.pickup_choices) == chose
