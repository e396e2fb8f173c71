"""Pickup day through the sandbox and the real Application, as the head and members live it:
the QR code in the pickup notice (read back with a QR decoder) that opens the handover for
the head and nothing for anyone else, a mistaken handover undone, the reminder that says how
long there really is, the end of the last slot, and Complete with what was not collected."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image

from domain.permissions import Actor
from domain.purchase import PickupSlot, Purchase, PurchaseStatus
from domain.reports import head_report
from handlers.packing_list import FONTS, TICK_BOX, matrix_rows, packing_pdf
from sandbox.model import SandboxMessage, SandboxUser
from tests.support import builders
from tests.support.running import ShiftedClock, eventually
from tests.support.scenario import (
    Community,
    community_running,
    joined_toast,
    local,
    tap_and_confirm,
)
from texts.callback_data import Action, decode
from texts.i18n import Translator, pick_language
from texts.notices import pickup_reminder

ENGLISH = Translator(pick_language("en"))


def cheese() -> str:
    return "\n".join(
        [
            "Title: Farm gouda",
            "Item: Gouda | 8.40",
            f"Deadline: {local(3)}",
            f"Pickup: {local(6)[:10]} 10:00-12:00 | Community hall",
            "Payment: postpay",
        ]
    )


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


async def arrived(c: Community, t: Translator = ENGLISH) -> None:
    """Alice takes 2, Bob 1; the head stops, orders and marks the goods arrived (in `t`'s
    language, everyone's)."""
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)
    card = await c.publish(cheese())
    for person, units in ((c.alice, 1), (c.alice, 2), (c.bob, 1)):
        await c.sandbox.tap(person, card, "+1 Gouda", answer=joined_toast(t, units, "Gouda"))
    control = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, control, t.gettext("Stop now"), t)
    await c.sandbox.wait_for_message(c.alice.id, "🛑")
    control = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, control, t.gettext("Mark ordered"), t)
    await c.sandbox.wait_for_edit(control, lambda m: t.gettext("Mark arrived") in str(m.buttons()))
    await tap_and_confirm(c.sandbox, c.head, control, t.gettext("Mark arrived"), t)
    code = (await stored(c)).pickup_codes[c.bob.id]
    await c.sandbox.wait_for_message(c.bob.id, lambda m: code in m.body)


def decoded(image: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
    return str(found.text)


async def qr_link(c: Community, member: SandboxUser) -> str:
    await c.sandbox.wait_for_message(member.id, lambda m: bool(m.photo))
    [(caption, image)] = c.sandbox.photos(member.id)
    code = (await stored(c)).pickup_codes[member.id]
    assert caption is not None and code in caption and "QR" in caption
    return decoded(image)


async def test_the_qr_code_opens_the_handover_for_the_head_and_nothing_for_anyone_else(
    database_url: str,
) -> None:
    async with community_running(database_url) as c:
        await arrived(c)
        purchase = await stored(c)
        link = await qr_link(c, c.alice)
        parts = urlsplit(link)
        assert (parts.netloc, parts.path) == ("t.me", f"/{c.sandbox.emulator.bot.username}")
        token = parse_qs(parts.query)["start"][0]
        # Unguessable: not the code, not the purchase's or the member's id.
        code = purchase.pickup_codes[c.alice.id]
        assert len(token) >= 20 and code not in token and str(c.alice.id) not in token
        assert await qr_link(c, c.bob) != link  # each member their own

        opened = await c.sandbox.open_link(c.head, link)
        handover = await c.sandbox.wait_for_message(c.head.id, "📦 Alice Zebra", after=opened)
        assert "Hand over: 2 × Gouda" in (handover.text or "")
        assert "To collect: €16.80" in (handover.text or "")
        await c.sandbox.tap(
            c.head, handover, "✅ Handed over, €16.80 received", answer="Handed over."
        )
        await c.sandbox.wait_for_edit(handover, "Already handed over on")

        # Alice herself, Bob and a stranger learn nothing from it; neither does a made-up token.
        stranger = c.sandbox.user("Mallory")
        for person, url in ((c.alice, link), (c.bob, link), (stranger, link),
                            (c.head, link[:-4] + "AAAA")):  # fmt: skip
            sent = await c.sandbox.open_link(person, url)
            answer = await c.sandbox.wait_for_message(person.id, "pickup QR code", after=sent)
            assert "Alice" not in (answer.text or "") and "Gouda" not in (answer.text or "")
            assert answer.buttons() == []
        assert set((await stored(c)).handed_over) == {c.alice.id}


async def test_a_mistaken_handover_is_undone_and_the_member_told(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await arrived(c)
        code = (await stored(c)).pickup_codes[c.bob.id]
        card = await c.say(c.head, code.lower(), "📦 Bob")
        await c.sandbox.tap(c.head, card, "Handed over, not paid yet", answer="Handed over.")
        done = await c.sandbox.wait_for_edit(card, "Already handed over on")
        await c.sandbox.wait_for_message(c.bob.id, "You have received your goods")
        assert [b["text"] for b in done.buttons()] == ["↩️ Undo the handover"]

        answer = await c.sandbox.tap(c.head, done, "↩️ Undo the handover")
        assert answer.text == "Handover undone: Bob has not collected yet."
        told = await c.sandbox.wait_for_message(c.bob.id, "took back the handover")
        assert code in (told.text or "")
        assert c.bob.id not in (await stored(c)).handed_over
        # The card offers the handover again, and it can be done again.
        again = await c.sandbox.wait_for_edit(card, lambda m: "Already" not in (m.text or ""))
        await c.sandbox.tap(c.head, again, "Handed over, not paid yet", answer="Handed over.")
        await c.sandbox.wait_for_edit(card, "Already handed over on")
        assert c.bob.id in (await stored(c)).handed_over

        # A member cannot undo it, even with the head's button data.
        forged = await c.sandbox.tap(c.bob, done, "↩️ Undo the handover")
        assert forged.text is not None and "Not done" in forged.text
        assert c.bob.id in (await stored(c)).handed_over


async def test_the_end_of_the_day_and_complete_name_who_did_not_collect(sqlite_url: str) -> None:
    clock = ShiftedClock()
    async with community_running(sqlite_url, clock) as c:
        await arrived(c)
        purchase = await stored(c)
        codes = purchase.pickup_codes
        handover = await c.say(c.head, codes[c.alice.id], "📦 Alice Zebra")
        await c.sandbox.tap(
            c.head, handover, "✅ Handed over, €16.80 received", answer="Handed over."
        )
        await c.sandbox.wait_for_edit(handover, "Already handed over on")

        [slot] = purchase.pickup_slots
        clock.offset = slot.ends_at + timedelta(minutes=1) - datetime.now(UTC)
        await c.runtime.timeline.sweep()
        over = await c.sandbox.wait_for_message(c.head.id, "⌛ Pickup of Farm gouda is over")
        assert "1 member has not collected yet" in (over.text or "")
        assert f"Bob — {codes[c.bob.id]} — 1 × Gouda" in (over.text or "")
        assert "Alice" not in (over.text or "")
        waiting = await c.sandbox.wait_for_message(c.bob.id, "⌛ Pickup of Farm gouda is over")
        assert codes[c.bob.id] in (waiting.text or "")
        await c.runtime.timeline.sweep()  # nothing twice
        assert sum("⌛" in (m.text or "") for m in c.sandbox.bot_messages(c.head.id)) == 1
        assert not any("⌛" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))

        card = next(m for m in c.sandbox.emulator.chat_messages(c.chat.id) if m.pinned)
        await c.say(c.head, "/paid 1 Bob 8.40", "Recorded")  # so Complete does not ask
        control = await c.panel()
        await tap_and_confirm(c.sandbox, c.head, control, "Complete")
        done = await c.sandbox.wait_for_message(c.head.id, "🏁 Farm gouda is complete")
        assert "kept on the record as leftovers (1 member)" in (done.text or "")
        assert f"Bob — {codes[c.bob.id]} — 1 × Gouda" in (done.text or "")
        told = await c.sandbox.wait_for_message(c.bob.id, "🏁 Farm gouda is complete")
        assert "your goods were not collected: 1 × Gouda" in (told.text or "")
        assert not any("🏁" in (m.text or "") for m in c.sandbox.bot_messages(c.alice.id))
        await c.sandbox.wait_for_edit(
            card, lambda m: not m.pinned and "Completed" in (m.text or "")
        )
        assert (await stored(c)).status is PurchaseStatus.COMPLETED


def test_the_pickup_reminder_says_how_long_there_really_is() -> None:
    """Goods marked arrived ten minutes before the slot: not "starts in 1 hour"."""
    starts = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    slot = PickupSlot("Community hall", starts, starts + timedelta(hours=2))
    purchase = Purchase(
        community_id=-1, head_id=1, title="Farm gouda", currency="EUR", items=[],
        deadline=starts, created_at=starts, pickup_slots=[slot], pickup_codes={2: "KX7P"},
    )  # fmt: skip
    t = Translator("en", "Europe/Berlin")
    early = pickup_reminder(t, purchase, 2, slot, starts - timedelta(minutes=60))
    assert early.startswith("⏰ Pickup of <b>Farm gouda</b> starts in 1 hour")
    late = pickup_reminder(t, purchase, 2, slot, starts - timedelta(minutes=10))
    assert late.startswith("⏰ Pickup of <b>Farm gouda</b> starts in 10 minutes")
    assert "KX7P" in late
    one = pickup_reminder(t, purchase, 2, slot, starts - timedelta(seconds=30))
    assert one.startswith("⏰ Pickup of <b>Farm gouda</b> starts in 1 minute:")
    started = pickup_reminder(t, purchase, 2, slot, starts + timedelta(minutes=5))
    assert started.startswith("📍 Pickup of <b>Farm gouda</b> is open now")


async def test_an_arrival_ten_minutes_before_the_slot_reminds_with_the_real_time(
    sqlite_url: str,
) -> None:
    clock = ShiftedClock()
    async with community_running(sqlite_url, clock) as c:
        await arrived(c)
        [slot] = (await stored(c)).pickup_slots
        clock.offset = slot.starts_at - timedelta(minutes=10) - datetime.now(UTC)
        await c.runtime.timeline.sweep()
        reminder: SandboxMessage = await c.sandbox.wait_for_message(c.bob.id, "⏰ Pickup")
        assert "starts in 10 minutes" in (reminder.text or "")


async def test_a_helper_hands_over_and_takes_cash_and_nothing_else(database_url: str) -> None:
    async with community_running(database_url) as c:
        carol = c.sandbox.user("Carol")  # a neighbour in the chat, not in the purchase
        c.sandbox.join(c.chat, carol)
        stranger = c.sandbox.user("Mallory")  # not in the chat
        sent = await c.sandbox.start(carol)
        await c.sandbox.wait_for_message(carol.id, after=sent)
        await arrived(c)
        codes = (await stored(c)).pickup_codes

        # Someone not in the community cannot help; a member of the purchase can be named.
        offer = await c.sandbox.send(stranger, "I can help")
        reply = await c.sandbox.send(c.head, "/helper 1", chat=c.chat, reply_to=offer)
        refused = await c.sandbox.wait_for_message(c.chat.id, "not in the community", after=reply)
        assert "Mallory" in (refused.text or "")
        assert (await stored(c)).helpers == {}
        # A member cannot make anyone a helper.
        await c.say(c.alice, "/helper 1 Bob", "Not done")
        assert (await stored(c)).helpers == {}

        offer = await c.sandbox.send(carol, "I can help at the hall", chat=c.chat)
        reply = await c.sandbox.send(c.head, "/helper 1", chat=c.chat, reply_to=offer)
        await c.sandbox.wait_for_message(c.chat.id, "Carol now helps hand over", after=reply)
        await c.sandbox.wait_for_message(carol.id, "🤝 You now help hand over")
        assert (await stored(c)).helpers == {carol.id: "Carol"}

        # Carol hands Alice's goods over by code and takes the cash.
        card = await c.say(carol, codes[c.alice.id], "📦 Alice Zebra")
        assert "To collect: €16.80" in (card.text or "")
        await c.sandbox.tap(carol, card, "✅ Handed over, €16.80 received", answer="Handed over.")
        done = await c.sandbox.wait_for_edit(card, "Already handed over on")
        assert done.buttons() == []  # undoing is the head's
        purchase = await stored(c)
        assert purchase.handed_over[c.alice.id].by == carol.id
        [entry] = purchase.ledger
        assert (entry.amount.minor, entry.recorded_by) == (1680, carol.id)
        received = await c.sandbox.wait_for_message(c.alice.id, "has received your payment")
        assert (received.text or "").startswith("✅ Carol, helping the head, has received")
        # The head sees who did it.
        seen = await c.say(c.head, codes[c.alice.id], "Already handed over on")
        assert "by Carol" in (seen.text or "")

        # Bob's QR code opens the handover for Carol too.
        link = await qr_link(c, c.bob)
        opened = await c.sandbox.open_link(carol, link)
        await c.sandbox.wait_for_message(carol.id, "📦 Bob", after=opened)
        # Nothing else: money outside a handover is the head's, so is the panel.
        for command in ("/paid 1 Bob 8.40", "/refund 1 Alice Zebra 1.00"):
            await c.say(carol, command, "Not done: only the head of this purchase")
        assert len((await stored(c)).ledger) == 1
        panel = await c.say(carol, "/purchases", "")
        assert "Farm gouda" not in (panel.text or "")

        # The head removes her; her codes no longer open anything.
        control = await c.panel()
        await c.sandbox.tap(c.head, control, "Helpers", answer="")
        listed = await c.sandbox.wait_for_message(c.head.id, "Helpers of", after=control)
        assert "Carol" in (listed.text or "")
        await c.sandbox.tap(c.head, listed, "✖ Remove Carol", answer="")
        asked = await c.sandbox.wait_for_edit(listed, "Remove Carol as a helper of")
        assert (await stored(c)).helpers == {carol.id: "Carol"}  # asking removed nobody
        await c.sandbox.tap(c.head, asked, "✅ Yes, remove Carol", answer="Removed.")
        await c.sandbox.wait_for_edit(listed, "has no helpers")
        await c.sandbox.wait_for_message(carol.id, "You no longer hand over")
        assert (await stored(c)).helpers == {}
        sent = await c.sandbox.send(carol, codes[c.bob.id])
        await c.say(carol, "/orders", "")  # handled after the code: one person, in order
        assert not any("📦" in (m.text or "") for m in c.sandbox.bot_messages(carol.id, sent))
        opened = await c.sandbox.open_link(carol, link)
        await c.sandbox.wait_for_message(carol.id, "This is a pickup QR code", after=opened)
        assert c.bob.id not in (await stored(c)).handed_over


def button_for(message: SandboxMessage, action: Action) -> str:
    return next(
        b["text"]
        for b in message.buttons()
        if (pressed := decode(b.get("callback_data"))) and pressed.action is action
    )


async def status_becomes(c: Community, status: PurchaseStatus) -> None:
    for _ in range(100):
        if (await stored(c)).status is status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the purchase did not become {status}")


def pdf_as_text_and_picture(pdf_bytes: bytes, language: str, tmp_path: Path) -> str:
    """The PDF's text (pdftotext), and its first page as a PNG in test-artifacts/ to look at
    (pdftoppm; both Debian's poppler-utils)."""
    pdf = tmp_path / "packing.pdf"
    pdf.write_bytes(pdf_bytes)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    artifacts = Path("test-artifacts")
    artifacts.mkdir(exist_ok=True)
    picture = artifacts / f"packing-list-{language}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(picture)],
        check=True,
    )  # fmt: skip
    assert picture.with_suffix(".png").stat().st_size > 10_000
    return text


PACKING = {
    "en": ("Gouda", "Dana"),
    "ru": ("Сыр гауда", "Ольга Петровна"),
    "zh_Hans": ("高达奶酪", "王芳"),
}


@pytest.mark.parametrize("language", list(PACKING))
async def test_the_packing_list_prints_in_every_language(
    sqlite_url: str, language: str, tmp_path: Path
) -> None:
    missing = [str(path) for path in FONTS.values() if not path.is_file()]
    missing += [tool for tool in ("pdftotext", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("REQUIRE_PDF_TOOLS") == "1":
            pytest.fail(f"REQUIRE_PDF_TOOLS=1 but {', '.join(missing)} is missing")
        pytest.skip("install Debian's fonts-dejavu-core, fonts-droid-fallback, poppler-utils")
    item, name = PACKING[language]
    async with community_running(sqlite_url, language=language.split("_")[0]) as c:
        neighbour = c.sandbox.user(name, language_code=language.split("_")[0])
        c.sandbox.join(c.chat, neighbour)
        for person in (c.head, c.alice, neighbour):
            sent = await c.sandbox.start(person)
            await c.sandbox.wait_for_message(person.id, after=sent)
        card = await c.publish(cheese().replace("Gouda | 8.40", f"{item} | 8.40"))
        label = next(b["text"] for b in card.buttons() if b["text"].startswith("+1"))
        t = Translator(pick_language(language.split("_")[0]))
        for person, units in ((c.alice, 1), (c.alice, 2), (neighbour, 1)):
            await c.sandbox.tap(person, card, label, answer=joined_toast(t, units, item))
        # The panel in the head's language: its buttons by what they do.
        for action, status in ((Action.HEAD_STOP, PurchaseStatus.STOPPED),
                               (Action.HEAD_ORDERED, PurchaseStatus.ORDERED),
                               (Action.HEAD_ARRIVED, PurchaseStatus.ARRIVED),
                               (Action.HEAD_EXPORT, PurchaseStatus.ARRIVED)):  # fmt: skip
            control = await c.panel()
            await c.sandbox.tap(c.head, control, button_for(control, action), answer="")
            if action is not Action.HEAD_EXPORT:  # each step asks once
                asked = await c.sandbox.wait_for_edit(control, lambda m: len(m.buttons()) == 2)
                confirm = {Action.HEAD_STOP: Action.HEAD_STOP_CONFIRM,
                           Action.HEAD_ORDERED: Action.HEAD_ORDERED_CONFIRM,
                           Action.HEAD_ARRIVED: Action.HEAD_ARRIVED_CONFIRM}[action]  # fmt: skip
                await c.sandbox.tap(c.head, asked, button_for(asked, confirm),
                                    answer=t.gettext("Done."))  # fmt: skip
            await status_becomes(c, status)
        await eventually(lambda: any(n.endswith(".pdf") for n, _ in c.sandbox.documents(c.head.id)))
        files = dict(c.sandbox.documents(c.head.id))
        codes = (await stored(c)).pickup_codes

    text = pdf_as_text_and_picture(files["purchase-1-packing-list.pdf"], language, tmp_path)
    assert name in text and item in text and "Alice Zebra" in text
    assert codes[neighbour.id] in text and codes[c.alice.id] in text
    assert "16.80" in text or "16,80" in text  # Alice's 2 × 8.40, to collect
    assert TICK_BOX in text
    workbook = load_workbook(io.BytesIO(files["purchase-1.xlsx"]))
    packing, matrix_sheet = workbook.worksheets[3], workbook.worksheets[4]  # in any language
    rows = list(packing.iter_rows(values_only=True))
    assert [row[1] for row in rows[2:]] == sorted(["Alice Zebra", name], key=str.lower)
    matrix = list(matrix_sheet.values)
    assert matrix[0][2] == item and matrix[-1][2] == 3


def test_a_packing_list_of_many_items_and_members_fits_the_pages() -> None:
    """12 items (the matrix splits into tables of 8) and 80 members over several pages."""
    if any(not path.is_file() for path in FONTS.values()):
        pytest.skip("the packing list's fonts are not installed")
    goods = [builders.item(n, name=f"Сыр №{n} 奶酪") for n in range(1, 13)]
    purchase = builders.purchase(goods, pickup_slots=[
        PickupSlot("Hall", builders.NOW + timedelta(days=5), builders.NOW + timedelta(days=6))
    ])  # fmt: skip
    for member in range(1, 81):
        purchase.set_quantity(member, f"Сосед {member} 邻居", 1 + member % 12, 2, builders.NOW)
    purchase.status = PurchaseStatus.ARRIVED
    purchase.pickup_codes = {member: f"C{member:03d}" for member in purchase.final_lines()}
    report = head_report(purchase, Actor(builders.HEAD))
    t = Translator("ru", "Europe/Berlin")
    matrix = matrix_rows(t, purchase, report)
    each = [2 * sum(1 + m % 12 == n for m in range(1, 81)) for n in range(1, 13)]
    assert len(matrix[0]) == 2 + 12 and matrix[-1][2:] == each
    pdf = packing_pdf(t, purchase, report)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") >= 3
