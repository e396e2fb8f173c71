"""Every XLSX the bot writes goes through one writer (handlers/exports.py `workbook_bytes`):
text that would start a formula stays text, and a sheet name Excel would refuse (a campaign's
title with a "/") is made one it takes. CSV files go through `csv_bytes` likewise. End to end:
a community whose title a group admin made a formula, a campaign item and a region, through the
operator's supplier order, delivery costs and commission statement, each opened with csv and
openpyxl (members' names in the head's files: tests/test_edges.py)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import openpyxl

from domain import services
from domain.permissions import Actor
from domain.purchase import PickupSlot
from handlers.exports import csv_bytes, table_xlsx
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.running import ShiftedClock, bot_running, sandbox_running
from tests.support.scenario import TIMEZONE, local

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2", "@SUM(A1)", "\t=1"]


def test_the_platform_s_statements_keep_hostile_text_as_text() -> None:
    rows: list[list[object]] = [["Community", "Units"], *[[name, 3] for name in HOSTILE]]
    book = openpyxl.load_workbook(io.BytesIO(table_xlsx("Supplier order of Jam/Honey: =1?", rows)))
    sheet = book.active
    assert sheet is not None and sheet.title == "Supplier order of Jam Honey  =1"
    cells = [(cell.value, cell.data_type) for row in sheet.iter_rows(min_row=2) for cell in row]
    assert cells == [value for name in HOSTILE for value in ((name, "s"), (3, "n"))]
    read = list(csv.reader(io.StringIO(csv_bytes(rows).decode("utf-8-sig"))))
    assert [row[0] for row in read[1:]] == ["'" + name for name in HOSTILE]


# --- end to end: what a group admin, an operator and a member can name reaches the operator's
# --- files as text

EVIL_CHAT = '=HYPERLINK("http://evil.example","Block 5")'
EVIL_ITEM = "+1+1 Honey"
EVIL_REGION = "@North"
EVIL_ADDRESS = "-2+3 Hall"


async def test_hostile_titles_and_names_stay_text_in_every_file_the_operator_gets(
    sqlite_url: str,
) -> None:
    clock = ShiftedClock()
    async with sandbox_running() as sandbox:
        admin, operator, head, member = (
            sandbox.user(name) for name in ("Olga", "Oleg", "Hanna", "=cmd|' /C calc'!A0")
        )
        chat = sandbox.group(EVIL_CHAT, members=[member], admins=[head])
        async with bot_running(
            sandbox, sqlite_url, clock, default_timezone=TIMEZONE, admin_ids=(admin.id,)
        ) as runtime:
            await sandbox.add_bot(chat, by=head, as_admin=True, can_pin=True)
            await sandbox.wait_for_message(chat.id)
            for person in (admin, operator, head, member):
                await sandbox.start(person)
                await sandbox.wait_for_message(person.id, "Hello")

            async def say(user: SandboxUser, text: str, answer: str, **kw: Any) -> SandboxMessage:
                sent = await sandbox.send(user, text, **kw)
                where = kw["chat"].id if "chat" in kw else user.id
                return await sandbox.wait_for_message(where, answer, after=sent)

            await say(admin, f"/operator {operator.id}", "runs campaigns now")
            form = "\n".join([
                "/newcampaign", "Title: Autumn honey", "Supplier: Altai Bee Farm",
                f"Cut-off: {local(2)}", f"Delivery: {local(4)[:10]}", f"Regions: {EVIL_REGION}",
                "Commission: 10%", f"Item: {EVIL_ITEM} | 8.00 | supply 5.00",
            ])  # fmt: skip
            await say(operator, form, "Campaign #1 Autumn honey is open")
            await say(head, f"/region {EVIL_REGION}", "Region saved", chat=chat)
            await say(head, f"/point 52.5400, 13.4200 {EVIL_ADDRESS}", "Pickup point", chat=chat)
            listing = await say(head, "/campaigns", "Campaigns open for", chat=chat)
            offer = await sandbox.open_link(head, listing.buttons()[0]["url"])
            offer = await sandbox.wait_for_message(
                head.id, lambda m: bool(m.buttons()), after=offer
            )
            await sandbox.tap(head, offer, f"🤝 Sell Autumn honey in {EVIL_CHAT}", answer="")
            preview = await sandbox.wait_for_message(
                head.id, lambda m: any(b["text"] == "Publish" for b in m.buttons()), after=offer
            )
            await sandbox.tap(head, preview, "Publish", answer="")
            card = await sandbox.wait_for_message(chat.id, "Part of Autumn honey")
            await sandbox.tap(member, card, f"+1 {EVIL_ITEM}", answer=f"You're in: 1 × {EVIL_ITEM}")
            clock.advance(timedelta(days=3))
            await runtime.timeline.sweep()

            await sandbox.send(operator, "/campaign_order 1")
            await sandbox.emulator.wait_until(lambda: len(sandbox.documents(operator.id)) == 3)
            order = dict(sandbox.documents(operator.id))
            assert_text_cells(order["campaign-1.csv"], order["campaign-1.xlsx"],
                              [EVIL_CHAT, EVIL_ITEM, EVIL_REGION])  # fmt: skip

            form = "\n".join([
                "/routes 1", "Depot: 52.5200, 13.4050", f"Drivers: {operator.id}",
                "Capacity: 10", "Start: 07:00", "End: 19:00", "Cost: 1.20 per km",
            ])  # fmt: skip
            await say(operator, form, "Route plan #1")
            await sandbox.emulator.wait_until(
                lambda: "routes-1.csv" in dict(sandbox.documents(operator.id))
            )
            routes = dict(sandbox.documents(operator.id))["routes-1.csv"]
            read = list(csv.reader(io.StringIO(routes.decode("utf-8-sig"))))
            assert [row[2] for row in read[1:]] == ["'" + EVIL_CHAT], read

            async with runtime.database.unit_of_work() as uow:
                (part,) = await uow.purchases.of_campaign(1)
            acting = Actor(head.id)
            await services.mark_ordered(runtime.database.unit_of_work(), part.id, acting)
            start = clock() + timedelta(days=1)
            await services.mark_arrived(
                runtime.database.unit_of_work(), part.id, acting,
                [PickupSlot("Hall", start, start + timedelta(hours=1))],
            )  # fmt: skip
            await services.hand_over(
                runtime.database.unit_of_work(), part.id, acting, member.id, clock()
            )
            await sandbox.send(operator, "/commission")
            await sandbox.emulator.wait_until(
                lambda: "commission.xlsx" in dict(sandbox.documents(operator.id))
            )
            statement = dict(sandbox.documents(operator.id))
            assert_text_cells(statement["commission.csv"], statement["commission.xlsx"],
                              [EVIL_CHAT])  # fmt: skip


def assert_text_cells(csv_file: bytes, xlsx_file: bytes, hostile: list[str]) -> None:
    """Each hostile text is in both files as text: quoted in the CSV (a spreadsheet opening it
    shows the text), a string cell in the XLSX; no cell of either is a formula."""
    read = list(csv.reader(io.StringIO(csv_file.decode("utf-8-sig"))))
    cells = {cell for row in read for cell in row}
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells), read
    for text in hostile:
        assert "'" + text in cells, (text, read)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_file)).active
    assert sheet is not None
    kinds = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds.values(), kinds
    for text in hostile:
        assert kinds.get(text) == "s", (text, kinds)
