"""The head's files: a CSV of the supplier order and an XLSX with supplier, member and pickup
sheets, amounts in the purchase's currency as exact decimals."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from bot.i18n import Translator
from domain.money import Money
from domain.purchase import Purchase
from domain.reports import Report


def supplier_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    rows: list[list[object]] = [[
        t.gettext("Item"), t.gettext("Units"), t.gettext("Packs"),
        t.gettext("Unit price ({currency})").format(currency=purchase.currency),
        t.gettext("Total ({currency})").format(currency=purchase.currency),
    ]]  # fmt: skip
    for line in report.supplier:
        rows.append(
            [line.item.name, line.units, line.packs, line.unit_price.amount, line.total.amount]
        )
    total = report.supplier_total
    if total is not None:
        rows.append([t.gettext("Total"), "", "", "", total.amount])
    return rows


def member_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    rows: list[list[object]] = [[
        t.gettext("Member"), t.gettext("Lines"), t.gettext("Goods"), t.gettext("Fee"),
        t.gettext("Delivery"), t.gettext("Total"), t.gettext("Paid"), t.gettext("Pickup code"),
    ]]  # fmt: skip
    for member in report.members:
        lines = ", ".join(
            f"{units} × {purchase.item(item_id).name}" for item_id, units in member.lines.items()
        )
        due = member.due
        # What the head has confirmed receiving (the amount due when they confirmed it).
        paid = member.paid or Money.zero(due.total.currency)
        rows.append([member.name, lines, due.goods.amount, due.fee.amount, due.delivery.amount,
                     due.total.amount, paid.amount, member.pickup_code])  # fmt: skip
    return rows


def pickup_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    place = "; ".join(
        f"{slot.place}, {t.when(slot.starts_at)} – {t.when(slot.ends_at)}"
        for slot in purchase.pickup_slots
    )
    rows: list[list[object]] = [[place]] if place else []
    rows.append([t.gettext("Member"), t.gettext("Lines"), t.gettext("Pickup code"),
                 t.gettext("Handed over"), t.gettext("Signature")])  # fmt: skip
    for member in sorted(report.members, key=lambda m: m.name.lower()):
        lines = ", ".join(
            f"{units} × {purchase.item(item_id).name}" for item_id, units in member.lines.items()
        )
        rows.append([member.name, lines, member.pickup_code, "✓" if member.handed_over else "", ""])
    return rows


def supplier_csv(t: Translator, purchase: Purchase, report: Report) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(supplier_rows(t, purchase, report))
    # A byte-order mark lets spreadsheet programs read the UTF-8 (Cyrillic, Chinese) right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(t: Translator, purchase: Purchase, report: Report) -> bytes:
    workbook = Workbook()
    sheets = [
        (t.gettext("Supplier order"), supplier_rows(t, purchase, report)),
        (t.gettext("Members"), member_rows(t, purchase, report)),
        (t.gettext("Pickup list"), pickup_rows(t, purchase, report)),
    ]
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        for row in rows:
            sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
