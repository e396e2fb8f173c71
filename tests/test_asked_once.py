"""Steps a head cannot take back ask once: the first press only asks (saying what happens to
how many members), "yes" does it once, the way out keeps everything, and a yes that is
repeated, too old, counted other members or was forged is refused and changes nothing.
Buttons that could not succeed are not offered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from domain.confirmation import (
    CONFIRM_WITHIN,
    AlreadyTaken,
    Asked,
    StaleAnswer,
    Step,
    ensure_still_meant,
)
from domain.permissions import Actor
from domain.purchase import Moq, PurchaseStatus
from sandbox.model import SandboxMessage
from tests.support import builders
from tests.support.running import ShiftedClock
from tests.support.scenario import (
    Community,
    community_running,
    joined_toast,
    tap_and_confirm,
    template,
)
from tests.test_pickup_day import arrived, stored
from texts.callback_data import Action, decode, encode
from texts.i18n import Translator, pick_language
from texts.panel import panel_keyboard

EN = Translator(pick_language("en"))


@pytest.fixture
async def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def community(sqlite_url: str, clock: ShiftedClock) -> AsyncIterator[Community]:
    async with community_running(sqlite_url, clock) as running:
        yield running


async def status(c: Community) -> PurchaseStatus:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase.status


def data_of(message: SandboxMessage, action: Action) -> str:
    return next(
        b["callback_data"]
        for b in message.buttons()
        if (pressed := decode(b.get("callback_data"))) and pressed.action is action
    )


async def two_members_in(c: Community, t: Translator = EN) -> SandboxMessage:
    """A purchase with a minimum of 1 unit, Alice and Bob in it; returns its card."""
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)
    card = await c.publish(template(**{"Min order": "1 units"}))
    for person in (c.alice, c.bob):
        await c.sandbox.tap(person, card, "+1 Honey 1 kg", answer=joined_toast(t, 1, "Honey 1 kg"))
    return card


@pytest.mark.parametrize(
    ("language", "question"),
    [("en", "Stop Wildflower honey from Altai now? Orders freeze for good: 2 members get"),
     ("ru", "Остановить Wildflower honey from Altai сейчас? Заказы замрут насовсем: 2 участника")],
)  # fmt: skip
async def test_stop_now_asks_once_with_the_members_told_and_back_keeps_it_open(
    sqlite_url: str, language: str, question: str
) -> None:
    t = Translator(pick_language(language))
    async with community_running(sqlite_url, language=language) as c:
        await two_members_in(c, t)
        panel = await c.panel()
        await c.sandbox.tap(c.head, panel, t.gettext("Stop now"), answer="")
        asked = await c.sandbox.wait_for_edit(panel, question)
        assert await status(c) is PurchaseStatus.OPEN  # asking changed nothing
        await c.sandbox.tap(c.head, asked, t.gettext("↩️ Back"), answer="")
        back = await c.sandbox.wait_for_edit(panel, lambda m: "🛒" in (m.text or ""))
        assert await status(c) is PurchaseStatus.OPEN
        assert not any("🛑" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))
        await tap_and_confirm(c.sandbox, c.head, back, t.gettext("Stop now"), t)
        assert await status(c) is PurchaseStatus.STOPPED


async def test_a_yes_pressed_again_is_refused_and_stops_nothing_twice(
    community: Community,
) -> None:
    c = community
    await two_members_in(c)
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Stop now", answer="")
    asked = await c.sandbox.wait_for_edit(panel, "Orders freeze for good")
    yes = data_of(asked, Action.HEAD_STOP_CONFIRM)
    await c.sandbox.tap(c.head, asked, "✅ Yes, stop now", answer="Done.")
    await c.sandbox.wait_for_edit(panel, lambda m: "Mark ordered" in str(m.buttons()))
    await c.sandbox.wait_for_message(c.alice.id, "🛑")
    told = len(c.sandbox.bot_messages(c.alice.id))
    again = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, panel, yes))
    assert again.text == "Not done: this is done already: the purchase is stopped"
    assert await status(c) is PurchaseStatus.STOPPED
    assert len(c.sandbox.bot_messages(c.alice.id)) == told


async def test_a_yes_too_old_or_from_the_future_is_refused(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    await two_members_in(c)
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Stop now", answer="")
    asked = await c.sandbox.wait_for_edit(panel, "Orders freeze for good")
    yes = data_of(asked, Action.HEAD_STOP_CONFIRM)
    clock.advance(timedelta(minutes=11))
    old = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, asked, yes))
    assert old.text == "Not done: this question is too old: open the panel and ask again"
    # The question goes: the panel is back, with nothing changed.
    await c.sandbox.wait_for_edit(panel, lambda m: "Stop now" in str(m.buttons()))
    assert await status(c) is PurchaseStatus.OPEN
    for asked_at in (int(clock().timestamp()) + 3600, 10**18):  # not asked yet; no clock has it
        forged = encode(Action.HEAD_STOP_CONFIRM, 1, asked_at, 2)
        answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, panel, forged))
        assert answer.text == "Not done: this question is too old: open the panel and ask again"
    assert await status(c) is PurchaseStatus.OPEN


async def test_a_yes_asked_before_a_member_joined_is_refused(community: Community) -> None:
    c = community
    card = await two_members_in(c)
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, "Stop now", answer="")
    asked = await c.sandbox.wait_for_edit(panel, "2 members get")
    newcomer = c.sandbox.user("Carol")
    c.sandbox.join(c.chat, newcomer)
    await c.sandbox.tap(newcomer, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    answer = await c.sandbox.tap(c.head, asked, "✅ Yes, stop now")
    assert answer.text == (
        "Not done: members joined or left since I asked: open the panel and ask again"
    )
    assert await status(c) is PurchaseStatus.OPEN
    # Asked again, the question counts three.
    again = await c.sandbox.wait_for_edit(panel, lambda m: "Stop now" in str(m.buttons()))
    await c.sandbox.tap(c.head, again, "Stop now", answer="")
    await c.sandbox.wait_for_edit(panel, "3 members get")


async def test_stop_is_not_offered_below_the_minimum_and_a_forged_stop_asks_nothing(
    community: Community,
) -> None:
    c = community
    card = await c.publish()  # a minimum of 30 units
    await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
    panel = await c.panel()
    labels = [b["text"] for b in panel.buttons()]
    assert "Stop now" not in labels and "Go ahead anyway" in labels
    answer = await c.sandbox.answer_of(
        c.sandbox.press_forged(c.head, panel, encode(Action.HEAD_STOP, 1))
    )
    assert answer.text == (
        "Not done: the minimum order is not reached: go ahead anyway, extend, or cancel"
    )
    forged = encode(Action.HEAD_STOP_CONFIRM, 1, int(c.runtime.clock().timestamp()), 1)
    answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, panel, forged))
    assert answer.text == (
        "Not done: the minimum order is not reached: go ahead anyway, extend, or cancel"
    )
    assert await status(c) is PurchaseStatus.OPEN


@pytest.mark.parametrize(
    ("language", "question"),
    [("en", "Cancel Wildflower honey from Altai? This cannot be undone: 2 members are told"),
     ("zh", "取消Wildflower honey from Altai？此操作无法撤销：我会告诉2位团员")],
)  # fmt: skip
async def test_cancelling_asks_once_naming_the_purchase_and_no_keeps_it(
    sqlite_url: str, language: str, question: str
) -> None:
    t = Translator(pick_language(language))
    async with community_running(sqlite_url, language=language) as c:
        await two_members_in(c, t)
        sent = await c.sandbox.send(c.head, "/cancel_purchase 1 The bees are asleep")
        asked = await c.sandbox.wait_for_message(c.head.id, question, after=sent)
        assert t.gettext("«{reason}»").format(reason="The bees are asleep") in (asked.text or "")
        assert asked.reply_to_message_id == sent.message_id
        assert await status(c) is PurchaseStatus.OPEN
        no = t.gettext("↩️ No, keep the purchase")
        await c.sandbox.tap(c.head, asked, no, answer=t.gettext("Nothing changed."))
        kept = await c.sandbox.wait_for_edit(asked, lambda m: not m.buttons())
        assert (kept.text or "").endswith(t.gettext("↩️ Nothing changed."))
        assert await status(c) is PurchaseStatus.OPEN
        # Asked again, yes cancels, once.
        sent = await c.sandbox.send(c.head, "/cancel_purchase 1 The bees are asleep")
        asked = await c.sandbox.wait_for_message(c.head.id, question, after=sent)
        yes = data_of(asked, Action.HEAD_CANCEL_CONFIRM)
        await c.sandbox.tap(
            c.head, asked, t.gettext("✅ Yes, cancel it"), answer=t.gettext("Done.")
        )
        await c.sandbox.wait_for_edit(asked, lambda m: not m.buttons())
        assert await status(c) is PurchaseStatus.CANCELLED
        await c.sandbox.wait_for_message(c.alice.id, "The bees are asleep")
        again = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, asked, yes))
        assert (again.text or "").startswith(t.gettext("Not done: {reason}").split("{")[0])
        assert await status(c) is PurchaseStatus.CANCELLED


async def test_a_cancel_yes_without_the_command_it_answers_cancels_nothing(
    community: Community,
) -> None:
    c = community
    await two_members_in(c)
    sent = await c.sandbox.send(c.head, "/purchases")
    panel = await c.sandbox.wait_for_message(c.head.id, "🛒", after=sent)
    forged = encode(Action.HEAD_CANCEL_CONFIRM, 1, int(c.runtime.clock().timestamp()), 2)
    answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, panel, forged))
    assert answer.text == "I cannot read the reason any more: send /cancel_purchase again."
    assert await status(c) is PurchaseStatus.OPEN
    # A wrong number typed is named, not cancelled.
    await c.say(c.head, "/cancel_purchase 2 Sorry", "Not done: no such purchase")
    assert await status(c) is PurchaseStatus.OPEN


async def helpers_list_of(c: Community) -> SandboxMessage:
    """Bob, a member of the arrived purchase, helps; the head opens the list of helpers."""
    await arrived(c)
    await c.say(c.head, "/helper 1 Bob", "Bob now helps hand over")
    control = await c.panel()
    await c.sandbox.tap(c.head, control, "Helpers", answer="")
    return await c.sandbox.wait_for_message(c.head.id, "Helpers of", after=control)


async def test_removing_a_helper_asks_once_and_back_keeps_them(
    community: Community, clock: ShiftedClock
) -> None:
    c = community
    listed = await helpers_list_of(c)
    await c.sandbox.tap(c.head, listed, "✖ Remove Bob", answer="")
    asked = await c.sandbox.wait_for_edit(listed, "Remove Bob as a helper of Farm gouda?")
    await c.sandbox.tap(c.head, asked, "↩️ Back", answer="")
    back = await c.sandbox.wait_for_edit(listed, "Helpers of Farm gouda: Bob")
    assert (await stored(c)).helpers == {c.bob.id: "Bob"}
    # A yes left ten minutes is too old: the list is shown again, Bob still helps.
    await c.sandbox.tap(c.head, back, "✖ Remove Bob", answer="")
    asked = await c.sandbox.wait_for_edit(listed, "Remove Bob as a helper")
    yes = data_of(asked, Action.HELPER_REMOVE_CONFIRM)
    clock.advance(timedelta(minutes=11))
    old = await c.sandbox.tap(c.head, asked, "✅ Yes, remove Bob")
    assert old.text == "Not done: this question is too old: open the panel and ask again"
    back = await c.sandbox.wait_for_edit(listed, "Helpers of Farm gouda: Bob")
    assert (await stored(c)).helpers == {c.bob.id: "Bob"}
    # Alice forging the yes is refused; the head's yes removes Bob once.
    forged = await c.sandbox.answer_of(c.sandbox.press_forged(c.alice, back, yes))
    assert (forged.text or "").startswith("Not done: only the head of this purchase")
    await c.sandbox.tap(c.head, back, "✖ Remove Bob", answer="")
    asked = await c.sandbox.wait_for_edit(listed, "Remove Bob as a helper")
    yes = data_of(asked, Action.HELPER_REMOVE_CONFIRM)
    await c.sandbox.tap(c.head, asked, "✅ Yes, remove Bob", answer="Removed.")
    await c.sandbox.wait_for_edit(listed, "has no helpers")
    assert (await stored(c)).helpers == {}
    again = await c.sandbox.answer_of(c.sandbox.press_forged(c.head, asked, yes))
    assert again.text == "Not done: they do not help with this purchase any more"


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_helper_does_not_hand_their_own_goods_over(sqlite_url: str, language: str) -> None:
    t = Translator(pick_language(language))
    async with community_running(sqlite_url, language=language) as c:
        await arrived(c, t)
        await c.say(c.head, "/helper 1 Bob", "")
        await c.sandbox.wait_for_message(c.bob.id, "🤝")
        codes = (await stored(c)).pickup_codes
        own = await c.say(c.bob, codes[c.bob.id], "📦 Bob")
        refusal = t.gettext("Not done: {reason}").format(
            reason=t.gettext(
                "a helper cannot hand their own goods over: the head or another helper does"
            )
        )
        assert refusal in (own.text or "")
        assert own.buttons() == []
        forged = encode(Action.HANDOVER, 1, c.bob.id, 0)
        answer = await c.sandbox.answer_of(c.sandbox.press_forged(c.bob, own, forged))
        assert answer.text == refusal
        assert c.bob.id not in (await stored(c)).handed_over
        # Alice's goods he hands over; his own, the head does.
        alices = await c.say(c.bob, codes[c.alice.id], "📦 Alice Zebra")
        assert alices.buttons()
        heads = await c.say(c.head, codes[c.bob.id], "📦 Bob")
        assert heads.buttons()


# --- the rules, without Telegram -------------------------------------------------------------

HEAD_ACTOR = Actor(builders.HEAD)


@pytest.mark.parametrize(
    ("fields", "offered"),
    [({"moq": Moq(units=5)}, False),  # short of the minimum: Stop would be refused
     ({}, True),  # one unit in, no minimum
     ({"campaign_id": 3, "campaign_title": "Spring honey"}, False)],  # its campaign stops it
)  # fmt: skip
def test_stop_is_offered_exactly_when_stopping_would_work(
    fields: dict[str, object], offered: bool
) -> None:
    p = builders.purchase(**fields)
    p.add_units(11, "Alice", 1, 1, builders.NOW)
    assert p.can_take(Step.STOP) is offered
    if offered:
        p.stop_now(HEAD_ACTOR)
        assert p.status is PurchaseStatus.STOPPED
        assert not p.can_take(Step.STOP)  # done: not offered again
    else:
        refusal = p.step_refusal(Step.STOP)
        assert refusal is not None
        with pytest.raises(type(refusal), match=str(refusal)):
            p.stop_now(HEAD_ACTOR)
        assert p.status is PurchaseStatus.OPEN


def test_a_campaigns_purchase_offers_no_go_ahead_its_campaign_stops_it() -> None:
    """Short of anything ordered, a campaign's purchase is not stopped by its head either way:
    the campaign's cut-off stops it with the units its packs give (or fails it)."""
    p = builders.purchase(campaign_id=3, campaign_title="Spring honey")
    labels = [b.text for row in panel_keyboard(EN, p).inline_keyboard for b in row]
    assert "Go ahead anyway" not in labels and "Stop now" not in labels
    assert "Cancel the purchase" in labels
    refusal = p.step_refusal(Step.GO_AHEAD)
    assert refusal is not None and "Spring honey" in str(refusal)
    with pytest.raises(type(refusal)):
        p.go_ahead_anyway(HEAD_ACTOR)
    assert p.status is PurchaseStatus.OPEN
    # Without a campaign, nothing ordered yet, going ahead is offered and works.
    own = builders.purchase()
    labels = [b.text for row in panel_keyboard(EN, own).inline_keyboard for b in row]
    assert "Go ahead anyway" in labels
    own.go_ahead_anyway(HEAD_ACTOR)
    assert own.status is PurchaseStatus.STOPPED


def test_a_yes_stands_ten_minutes_for_the_members_it_counted() -> None:
    now = builders.NOW
    asked = Asked(now, 2)
    ensure_still_meant(asked, Step.STOP, PurchaseStatus.OPEN, 2, now + CONFIRM_WITHIN)
    with pytest.raises(StaleAnswer):
        ensure_still_meant(asked, Step.STOP, PurchaseStatus.OPEN, 2, now + timedelta(minutes=11))
    with pytest.raises(StaleAnswer):
        ensure_still_meant(asked, Step.STOP, PurchaseStatus.OPEN, 2, now - timedelta(seconds=1))
    with pytest.raises(StaleAnswer):
        ensure_still_meant(asked, Step.STOP, PurchaseStatus.OPEN, 3, now)
    with pytest.raises(AlreadyTaken):
        ensure_still_meant(asked, Step.STOP, PurchaseStatus.STOPPED, 2, now)
