"""The delivery day through the sandbox and the real Application: a head puts the pickup
point on the map, the operator makes drivers and plans the day (refused with the reason when
a vehicle is too small), the driver gets the manifest and its PDF, marks the stop delivered
(the head is told, members get their pickup codes, the operator's plan shows it), another
driver cannot mark it, a second press changes nothing; a problem with a note; members rate
the completed purchase once, and the head sees their scorecard with its chart."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from domain.purchase import PurchaseStatus
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.scenario import Community, community_running, local, tap_and_confirm
from texts.callback_data import Action, encode


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def gouda() -> str:
    return "\n".join([
        "Title: Farm gouda",
        "Item: Gouda | 8.40 | pack 4",
        f"Deadline: {local(3)}",
        f"Pickup: {local(6)[:10]} 16:00-18:00 | Community hall",
        "Payment: postpay",
    ])  # fmt: skip


def routes_form(day: str, drivers: list[SandboxUser], capacity: int) -> str:
    return "\n".join([
        f"/routes {day}",
        "Depot: 52.5200, 13.4050",
        "Drivers: " + ", ".join(str(d.id) for d in drivers),
        f"Capacity: {capacity}",
        "Start: 08:00",
        "End: 18:00",
        "Cost: 15.00 per stop",
    ])  # fmt: skip


async def purchase_status(c: Community) -> PurchaseStatus:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase.status


async def stopped_with_a_point(c: Community) -> None:
    """The head puts the hall on the map; Alice takes 5, Bob 3 (two packs); the head stops."""
    for person in (c.head, c.alice, c.bob, c.admin):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)
    for wrong in ("/point 95, 13.4", "/point 52.5, 200", "/point the hall"):
        sent = await c.sandbox.send(c.head, wrong, chat=c.chat)
        await c.sandbox.wait_for_message(c.chat.id, "Not done", after=sent)
    sent = await c.sandbox.send(c.alice, "/point 52.51, 13.40 Elsewhere", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "Only the chat's admins", after=sent)
    sent = await c.sandbox.send(c.head, "/point", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "not set yet", after=sent)
    sent = await c.sandbox.send(c.head, "/point 52.5310, 13.3847 Community hall, 5 Main St",
                                chat=c.chat)  # fmt: skip
    saved = await c.sandbox.wait_for_message(c.chat.id, "Pickup point", after=sent)
    assert "openstreetmap.org" in saved.html and "5 Main St" in (saved.text or "")
    card = await c.publish(gouda())
    for person, taps in ((c.alice, 5), (c.bob, 3)):
        for units in range(1, taps + 1):
            await c.sandbox.tap(person, card, "+1 Gouda", answer=f"You're in: {units} × Gouda")
    control = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
    await c.sandbox.wait_for_message(c.alice.id, "🛑")


async def drivers(c: Community) -> tuple[SandboxUser, SandboxUser]:
    dave, eve = c.sandbox.user("Dave"), c.sandbox.user("Eve")
    for person in (dave, eve):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)
    refused = await c.say(c.alice, f"/driver {dave.id}", "Not done")
    assert "operator" in (refused.text or "")
    for person in (dave, eve):
        await c.say(c.admin, f"/driver {person.id}", "drives now")
    return dave, eve


async def manifest_of(c: Community, driver: SandboxUser, after: int = 0) -> SandboxMessage:
    return await c.sandbox.wait_for_message(driver.id, "Your line", after=after)


async def test_the_driver_delivers_the_stop_and_the_head_and_members_hear_it(
    database_url: str,
) -> None:
    async with community_running(database_url) as c:
        await stopped_with_a_point(c)
        dave, eve = await drivers(c)
        day = local(6)[:10]
        # A vehicle smaller than the stop's two packs: refused, naming the stop; no plan.
        too_small = await c.say(c.admin, routes_form(day, [dave, eve], 1), "Not done")
        assert "Block 5" in (too_small.text or "") and "do not fit" in (too_small.text or "")
        # Without a pickup slot that day: nothing to deliver.
        nothing = await c.say(c.admin, routes_form(local(9)[:10], [dave], 10), "Not done")
        assert "nothing to deliver" in (nothing.text or "")
        # Bob is no driver: refused before anything is solved, although one vehicle would do.
        not_a_driver = await c.say(c.admin, routes_form(day, [dave, c.bob], 10), "Not done")
        assert f"{c.bob.id} is not a driver yet" in (not_a_driver.text or "")
        assert not any("Your line" in (m.text or "") for m in c.sandbox.bot_messages(dave.id))

        sent = await c.sandbox.send(c.admin, routes_form(day, [dave, eve], 10))
        board = await c.sandbox.wait_for_message(c.admin.id, "Route plan", after=sent)
        assert "Block 5" in (board.text or "") and "Delivered 0 of 1" in (board.text or "")
        assert "2 packs" in (board.text or "") and "€15.00" in (board.text or "")
        await c.sandbox.wait_for_message(c.admin.id, lambda m: m.document is not None, after=sent)
        csv_name, csv_data = c.sandbox.documents(c.admin.id)[-1]
        assert csv_name.endswith(".csv") and "15.00" in csv_data.decode("utf-8-sig")

        manifest = await manifest_of(c, dave)
        text = manifest.text or ""
        assert "Hanna" in text and "5 Main St" in text and "Gouda: 2 packs (8 units)" in text
        assert "openstreetmap.org/?mlat=52.531000&mlon=13.384700" in manifest.html
        await c.sandbox.wait_for_message(dave.id, lambda m: m.document is not None)
        pdf_name, pdf = c.sandbox.documents(dave.id)[-1]
        assert pdf_name.endswith(".pdf") and pdf.startswith(b"%PDF")
        assert c.sandbox.bot_messages(eve.id) and not any(
            "Your line" in (m.text or "") for m in c.sandbox.bot_messages(eve.id)
        )  # Eve's vehicle is not needed: one line does

        # Eve presses Dave's stop (a forwarded manifest or a forged client): refused.
        data = encode(Action.ROUTE_DELIVERED, 1, c.chat.id)
        refused = await c.sandbox.answer_of(c.sandbox.press_forged(eve, manifest, data))
        assert "no line" in (refused.text or "")
        assert await purchase_status(c) is PurchaseStatus.STOPPED

        answer = await c.sandbox.tap(dave, manifest, "✅ 1. Delivered")
        assert "Delivered" in (answer.text or "")
        told = await c.sandbox.wait_for_message(c.head.id, "The driver has delivered")
        assert "Gouda: 2 packs" in (told.text or "")
        await c.sandbox.wait_for_message(c.alice.id, "Your pickup code")
        assert await purchase_status(c) is PurchaseStatus.ARRIVED
        await c.sandbox.wait_for_edit(board, "Delivered 1 of 1")
        redrawn = await c.sandbox.wait_for_edit(manifest, lambda m: not m.buttons())
        assert "✅" in (redrawn.text or "")

        # Pressed again (a double tap, a redelivery): nothing moves, nobody is told twice.
        again = await c.sandbox.answer_of(c.sandbox.press_forged(dave, manifest, data))
        assert "already" in (again.text or "")
        heard = [m for m in c.sandbox.bot_messages(c.head.id) if "delivered" in (m.text or "")]
        assert len(heard) == 1
        codes = [m for m in c.sandbox.bot_messages(c.alice.id)
                 if "Your pickup code" in (m.text or m.caption or "")]  # fmt: skip
        assert len(codes) == 1

        # /myline sends the line again, now with nothing left to press.
        sent = await c.sandbox.send(dave, "/myline")
        resent = await manifest_of(c, dave, after=sent.message_id)
        assert not resent.buttons()


async def test_a_problem_with_a_note_reaches_the_head_and_the_operator(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await stopped_with_a_point(c)
        dave, _eve = await drivers(c)
        sent = await c.sandbox.send(c.admin, routes_form(local(6)[:10], [dave], 10))
        board = await c.sandbox.wait_for_message(c.admin.id, "Route plan", after=sent)
        manifest = await manifest_of(c, dave)
        await c.sandbox.tap(dave, manifest, "⚠️ Problem", answer="")
        await c.sandbox.wait_for_message(dave.id, "What went wrong")
        await c.say(dave, "Hall locked, nobody answers", "Noted")
        told = await c.sandbox.wait_for_message(c.head.id, "problem")
        assert "Hall locked" in (told.text or "")
        await c.sandbox.wait_for_edit(board, "Hall locked")
        assert await purchase_status(c) is PurchaseStatus.STOPPED  # not delivered
        # The operator plans the day again: the old manifest's buttons are refused.
        sent = await c.sandbox.send(c.admin, routes_form(local(6)[:10], [dave], 10))
        await c.sandbox.wait_for_message(c.admin.id, "Route plan #2", after=sent)
        await manifest_of(c, dave, after=manifest.message_id)
        old = await c.sandbox.answer_of(await c.sandbox.press(dave, manifest, "✅ 1. Delivered"))
        assert "made again as #2" in (old.text or "")
        assert await purchase_status(c) is PurchaseStatus.STOPPED
        # A photo as the problem: it reaches the head and the operator.
        current = await manifest_of(c, dave, after=manifest.message_id)
        await c.sandbox.tap(dave, current, "⚠️ Problem", answer="")
        asked = await c.sandbox.wait_for_message(dave.id, "What went wrong", after=current)
        await c.sandbox.send_photo(dave, photo_bytes(), "Broken crate")
        await c.sandbox.wait_for_message(dave.id, "Noted", after=asked)
        await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.photo))
        await c.sandbox.wait_for_message(c.admin.id, lambda m: bool(m.photo))
        told = await c.sandbox.wait_for_message(c.head.id, "Broken crate (photo)")
        assert "problem" in (told.text or "")
        # The head shares a new location in the private chat: the point moves, the
        # address stays.
        sent = await c.sandbox.send_location(c.head, 52.5321, 13.3850)
        moved = await c.sandbox.wait_for_message(c.head.id, "Pickup point", after=sent)
        assert "5 Main St" in (moved.text or "")
        async with c.runtime.database.unit_of_work() as uow:
            community = await uow.communities.get(c.chat.id)
        assert community is not None and community.pickup is not None
        assert (community.pickup.point.lat, community.pickup.point.lon) == (52.5321, 13.3850)


async def complete(c: Community) -> None:
    """Ordered, arrived, Alice and Bob collect, the head completes."""
    control = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, control, "Mark ordered")
    await c.sandbox.wait_for_edit(control, "Ordered")
    await tap_and_confirm(c.sandbox, c.head, control, "Mark arrived")
    for person in (c.alice, c.bob):
        notice = await c.sandbox.wait_for_message(person.id, "Your pickup code")
        code = re.search(r"code[^A-Z0-9]*([A-Z0-9]{4})", notice.text or notice.caption or "")
        assert code is not None
        sent = await c.sandbox.send(c.head, code[1])
        handover = await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.buttons()),
                                                    after=sent)  # fmt: skip
        label = next(b["text"] for b in handover.buttons() if "Hand" in b["text"])
        await c.sandbox.tap(c.head, handover, label, answer="Handed over.")
        await c.sandbox.wait_for_message(person.id, "You have received")
    control = await c.panel()
    await tap_and_confirm(c.sandbox, c.head, control, "Complete")


async def test_members_rate_once_and_the_head_sees_the_scorecard(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await stopped_with_a_point(c)
        await complete(c)
        question = await c.sandbox.wait_for_message(c.alice.id, "Rate it from 1 to 5")
        # Each button says its number: a bare "⭐" first read as a button of its own.
        assert [b["text"] for b in question.buttons()] == [f"⭐ {n}" for n in range(1, 6)]
        await c.sandbox.tap(c.alice, question, "⭐ 2", answer="Thank you!")
        await c.sandbox.wait_for_edit(question, "Thank you")
        await c.say(c.alice, "The cheese came late", "comment is kept")
        again = await c.sandbox.answer_of(
            c.sandbox.press_forged(c.alice, question, encode(Action.RATE, 1, 5))
        )
        assert "once" in (again.text or "")
        bobs = await c.sandbox.wait_for_message(c.bob.id, "Rate it from 1 to 5")
        await c.sandbox.tap(c.bob, bobs, "⭐ 5", answer="Thank you!")
        forged = await c.sandbox.answer_of(
            c.sandbox.press_forged(c.bob, bobs, encode(Action.RATE, 1, 9))
        )
        assert "1 to 5" in (forged.text or "")
        async with c.runtime.database.unit_of_work() as uow:
            ratings = await uow.logistics.ratings_of_heads([c.head.id])
        assert sorted((r.member_id, r.stars, r.comment) for r in ratings) == sorted(
            [(c.alice.id, 2, "The cheese came late"), (c.bob.id, 5, "")]
        )

        month = local(3)[:7]
        sent = await c.sandbox.send(c.head, f"/scorecard {month}")
        card = await c.sandbox.wait_for_message(c.head.id, "📊", after=sent)
        text = card.text or ""
        assert "Purchases: 1" in text and "Members: 2, of them repeat: 0" in text
        assert "Fill rate: 100 %" in text and "Not collected: —" in text
        assert "3.5 of 5 from 2 ratings" in text and "complaints: 1" in text
        assert "For review: rating" in text  # below the default 4.0
        assert "— The cheese came late" in text and "Alice" not in text
        await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.photo), after=sent)
        _caption, png = c.sandbox.photos(c.head.id)[-1]
        assert Image.open(io.BytesIO(png)).size[0] > 300

        # Asked again within minutes, the card names her without asking Telegram again.
        def name_lookups() -> int:
            calls = c.sandbox.emulator.calls
            return sum(
                call.method == "getChat" and str(call.params.get("chat_id")) == str(c.head.id)
                for call in calls
            )

        asked = name_lookups()
        assert asked >= 1
        sent = await c.sandbox.send(c.head, f"/scorecard {month}")
        again = await c.sandbox.wait_for_message(c.head.id, "📊", after=sent)
        assert again.text == card.text and name_lookups() == asked

        sent = await c.sandbox.send(c.admin, "/thresholds\nrating: 3\ncomplaints: 5")
        await c.sandbox.wait_for_message(c.admin.id, "rating: ≥ 3", after=sent)
        bad = await c.say(c.admin, "/thresholds\nrating: 9", "Not done")
        assert "1 to 5" in (bad.text or "")
        sent = await c.sandbox.send(c.admin, f"/scorecards {month}")
        ranking = await c.sandbox.wait_for_message(c.admin.id, "🏆", after=sent)
        assert "1. Hanna" in (ranking.text or "") and "🚩" not in (ranking.text or "")
        refused = await c.say(c.alice, f"/scorecards {month}", "Not done")
        assert "operator" in (refused.text or "")


def test_the_manifest_pdf_reads_back(tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        if os.environ.get("REQUIRE_PDF_TOOLS") == "1":
            pytest.fail("REQUIRE_PDF_TOOLS=1 but pdftotext is missing")
        pytest.skip("needs poppler-utils (pdftotext)")
    from datetime import UTC, datetime, timedelta

    from domain.geo import GeoPoint, PickupPoint
    from domain.money import Money
    from domain.routes import Fleet, Line, RoutePlan, Stop, Tariff, Unload, Visit
    from handlers.exports import table_pdf
    from texts.i18n import Translator
    from texts.logistics_view import manifest_rows

    starts = datetime(2026, 12, 5, 7, tzinfo=UTC)
    stop = Stop(-5, "Дом 5", 7, PickupPoint(GeoPoint(55.75, 37.61), "Тверская 1"), (1,),
                (Unload("Мёд", 12, 2),), None)  # fmt: skip
    fleet = Fleet(GeoPoint(55.7, 37.6), (9,), 10, starts, starts + timedelta(hours=8))
    line = Line(1, 9, (Visit(stop, starts + timedelta(minutes=20), 5.0),), 10.0,
                starts + timedelta(hours=1), Money(1500, "RUB"))  # fmt: skip
    plan = RoutePlan(starts.date(), None, 1, fleet, Tariff(per_stop=Money(1500, "RUB")),
                     (line,), starts)  # fmt: skip
    t = Translator("ru", "Europe/Moscow")
    pdf = tmp_path / "line.pdf"
    pdf.write_bytes(table_pdf("Маршрут 1", manifest_rows(t, plan, line, {7: "Ханна"})))
    with tempfile.TemporaryDirectory() as out:
        text_file = Path(out) / "line.txt"
        subprocess.run(["pdftotext", str(pdf), str(text_file)], check=True)
        text = text_file.read_text()
    assert "Ханна" in text and "Тверская 1" in text and "Мёд" in text and "10:20" in text


def test_a_plan_of_two_hundred_stops_fits_one_message_and_so_does_each_manifest() -> None:
    from bench.routes import TARIFF, city
    from domain.route_solver import solve_lines
    from domain.routes import RoutePlan
    from texts.i18n import Translator
    from texts.logistics_view import MESSAGE_LIMIT, manifest_text, plan_text

    stops, fleet = city(200)
    fleet = replace(fleet, capacity=fleet.capacity * 3)  # long lines: thirty stops and more
    lines = solve_lines(stops, fleet, TARIFF, seconds=1)
    plan = RoutePlan(fleet.starts.date(), None, 1, fleet, TARIFF, lines, fleet.starts, id=3)
    t = Translator("en", "Europe/Berlin")
    board = plan_text(t, plan)
    assert len(board) <= MESSAGE_LIMIT and "Line 1" in board and "✅ 0/" in board
    for line in lines:
        assert len(manifest_text(t, plan, line, {})) <= MESSAGE_LIMIT
