"""What Telegram's 30 messages a second are spent on, through the sandbox: a pickup notice is
one photo (its QR code, the notice as its caption, the slot buttons under it) unless it is too
long for a caption, and a stop or an arrival goes before reminders queued earlier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import services
from runtime.outbox_sender import BATCH
from sandbox.model import SandboxMessage, SandboxUser
from storage.outbox import Urgency
from tests.support.scenario import (
    Community,
    community_running,
    joined_toast,
    local,
    tap_and_confirm,
)
from tests.test_pickup_day import decoded, stored
from texts.callback_data import Action, encode
from texts.i18n import Translator

# Eight slots whose places are long: a member who has not chosen one reads all eight, which
# does not fit in a caption; one who has chosen reads hers only.
PLACE = "Community hall of the Riverside housing cooperative, entrance from the courtyard, room"


def long_slots(day: str) -> str:
    pickups = [f"Pickup: {day} {8 + n}:00-{9 + n}:00 | {PLACE} {n + 1}" for n in range(8)]
    return "\n".join(
        ["Title: Farm gouda", "Item: Gouda | 8.40", f"Deadline: {local(3)}", *pickups,
         "Payment: postpay"]
    )  # fmt: skip


def with_code(c: Community, person: SandboxUser, code: str) -> list[SandboxMessage]:
    return [m for m in c.sandbox.bot_messages(person.id) if code in m.body]


async def test_a_pickup_notice_is_one_photo_with_its_buttons_unless_too_long_for_a_caption(
    sqlite_url: str,
) -> None:
    async with community_running(sqlite_url) as c:
        ivan = c.sandbox.user("Ivan", language_code="ru")
        c.sandbox.join(c.chat, ivan)
        await c.started(c.head, c.alice, c.bob, ivan)
        card = await c.publish(long_slots(local(6)[:10]))
        for person in (c.alice, c.bob, ivan):
            t = Translator(person.language_code or "en", "UTC")
            await c.sandbox.tap(person, card, "+1 Gouda", answer=joined_toast(t, 1, "Gouda"))
        now = datetime.now(UTC)
        for person, slot in ((c.alice, 1), (ivan, 2)):  # Bob does not choose
            await services.choose_pickup(c.runtime.database.unit_of_work(), 1, person.id, slot, now)
        for label in ("Stop now", "Mark ordered", "Mark arrived"):
            await tap_and_confirm(c.sandbox, c.head, await c.panel(), label)
        codes = (await stored(c)).pickup_codes

        for person, t in ((c.alice, Translator("en")), (ivan, Translator("ru"))):
            await c.sandbox.wait_for_message(person.id, lambda m: bool(m.photo), timeout=20)
            [notice] = with_code(c, person, codes[person.id])
            assert notice.photo is not None and notice.text is None
            assert notice.body.endswith(
                t.gettext("📱 Or show this QR code: the head scans it at the pickup.")
            )
            assert notice.body.startswith("📦") and notice.body.count("📍") == 1
            assert f"<b>{codes[person.id]}</b>" in (notice.html or "")  # HTML, as the text was
            assert len(notice.buttons()) == 8 and notice.buttons()[0]["text"].startswith(
                "✅" if person is c.alice else PLACE
            )
            assert decoded(c.sandbox.photos(person.id)[-1][1]).startswith("https://t.me/")
        assert "Товар по закупке" in with_code(c, ivan, codes[ivan.id])[0].body

        # Bob's lists all eight slots: the notice with the buttons, then the QR code alone.
        await c.sandbox.wait_for_message(c.bob.id, lambda m: bool(m.photo), timeout=20)
        text, photo = with_code(c, c.bob, codes[c.bob.id])
        assert text.photo is None and text.body.count("📍") == 8 and len(text.buttons()) == 8
        assert photo.photo is not None and photo.buttons() == []
        assert "Your pickup QR code" in photo.body and "📍" not in photo.body

        # A slot chosen under the photo is marked there.
        [alices] = with_code(c, c.alice, codes[c.alice.id])
        data = encode(Action.PICKUP_CHOOSE, 1, 3, 0)
        answer = await c.sandbox.answer_of(await c.sandbox.press(c.alice, alices, data=data))
        assert (answer.text or "").startswith("You pick up:")
        await c.sandbox.wait_for_edit(alices, lambda m: m.buttons()[2]["text"].startswith("✅"))
        assert (await stored(c)).pickup_choices[c.alice.id] == 3


async def test_a_stop_queued_after_reminders_reaches_people_before_them(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        reminded = [c.sandbox.user(f"Reminded {n}") for n in range(3 * BATCH)]
        stopped = [c.sandbox.user(f"Stopped {n}") for n in range(3)]
        for person in (*reminded, *stopped):
            person.started_bot = True
        now = datetime.now(UTC)
        async with c.runtime.database.unit_of_work() as uow:  # one commit: due together
            for n, person in enumerate(reminded):
                await uow.outbox.enqueue(
                    f"remind1h:9:{n}", person.id, {"text": "⏰ An hour left"},
                    now - timedelta(minutes=1), urgency=Urgency.LATER,
                )  # fmt: skip
            for n, person in enumerate(stopped):
                await uow.outbox.enqueue(
                    f"stopped:9:{n}", person.id, {"text": "🛑 Stopped"}, now,
                    urgency=Urgency.URGENT,
                )  # fmt: skip
            await uow.commit()
        for person in reminded:
            await c.sandbox.wait_for_message(person.id, "An hour left", timeout=30)
        arrivals = [
            int(call.params["chat_id"])
            for call in c.sandbox.emulator.calls
            if call.method == "sendMessage" and call.status == 200
        ]
        ours = [chat for chat in arrivals if chat in {p.id for p in (*reminded, *stopped)}]
        assert len(ours) == len(reminded) + len(stopped)  # each once
        # In the first batch the sender claimed, where queued by age they would come last.
        assert max(ours.index(p.id) for p in stopped) < BATCH
