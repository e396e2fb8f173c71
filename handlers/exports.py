"""The head's files: a CSV of the supplier order and an XLSX with supplier, member, pickup
and packing sheets (the printable packing list is handlers/packing_list.py), amounts in the
purchase's currency as exact decimals. In the XLSX money cells are numbers in the currency's
format (so they add up and sort), not text and not General."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from babel.numbers import get_currency_symbol

from domain.money import Money, minor_digits
from domain.purchase import Purchase
from domain.reports import Report
from handlers.packing_list import (
    a4_with_fonts,
    by_slot,
    matrix_rows,
    packing_rows,
    slot_heading,
    windows_text,
)
from texts.i18n import Translator
from texts.notices import lines_label


def supplier_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    """One row per item ordered. Goods sold by weight are priced per kg: their row has the
    kilograms (an exact decimal), so the supplier reads kg × price = total, not pieces."""
    rows: list[list[object]] = [[
        t.gettext("Item"), t.gettext("Units"), t.gettext("Packs"), t.gettext("Weight (kg)"),
        t.gettext("Price ({currency})").format(currency=purchase.currency), t.gettext("Per"),
        t.gettext("Total ({currency})").format(currency=purchase.currency),
    ]]  # fmt: skip
    for line in report.supplier:
        weight: object = ""
        per = t.gettext("unit")
        if line.item.by_weight:
            weight = Decimal(line.grams).scaleb(-3)
            per = t.gettext("kg, weight estimated") if line.estimated else t.gettext("kg")
        rows.append([line.item.label, line.units, line.packs, weight, line.unit_price.amount,
                     per, line.total.amount])  # fmt: skip
    total = report.supplier_total
    if total is not None:
        rows.append([t.gettext("Total"), "", "", "", "", "", total.amount])
    return rows


def member_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    """One row per member with goods or money on record, then the totals: what is due, paid,
    refunded and the balance (due − paid + refunded: owed by the member when positive, owed
    back to them when negative)."""
    rows: list[list[object]] = [[
        t.gettext("Member"), t.gettext("Lines"), t.gettext("Goods"), t.gettext("Fee"),
        t.gettext("Delivery"), t.gettext("Total"), t.gettext("Paid"), t.gettext("Refunded"),
        t.gettext("Balance"), t.gettext("Pickup code"),
    ]]  # fmt: skip
    zero = Money.zero(purchase.currency)
    sums = [zero] * 7
    for member in report.members:
        due = member.due
        paid = member.account.paid if member.account else zero
        refunded = member.account.refunded if member.account else zero
        money = [due.goods, due.fee, due.delivery, due.total, paid, refunded,
                 due.total - paid + refunded]  # fmt: skip
        sums = [total + amount for total, amount in zip(sums, money, strict=True)]
        rows.append(
            [member.name, lines_label(t, purchase, member.lines, member.member_id),
             *(m.amount for m in money), member.pickup_code]
        )  # fmt: skip
    rows.append([t.gettext("Total"), "", *(m.amount for m in sums), ""])
    return rows


def pickup_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    """Who picks up what; with several slots, each member's slot as a column, by slot."""
    place = windows_text(t, purchase)
    several = len(purchase.pickup_slots) > 1
    rows: list[list[object]] = [[place]] if place else []
    header: list[object] = [t.gettext("Member"), t.gettext("Lines"), t.gettext("Pickup code"),
                            t.gettext("Handed over"), t.gettext("Signature")]  # fmt: skip
    rows.append(header + ([t.gettext("Pickup slot")] if several else []))
    # Members who left after paying are not here: nothing to hand over, only money to give back.
    for slot, members in by_slot(purchase, report):
        for member in members:
            lines = lines_label(t, purchase, member.lines, member.member_id)
            row: list[object] = [member.name, lines, member.pickup_code,
                                 "✓" if member.handed_over else "", ""]  # fmt: skip
            rows.append(row + ([slot_heading(t, purchase, slot)] if several else []))
    return rows


# A cell starting with one of these is a formula to a spreadsheet program: a member named
# "=HYPERLINK(...)" would run in the head's sheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: object) -> object:
    """Text that a spreadsheet opening the CSV shows as typed: a leading apostrophe keeps
    what would start a formula as text (OWASP's advice for CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[csv_text(value) for value in row] for row in rows])
    # A byte-order mark lets spreadsheet programs read the UTF-8 (Cyrillic, Chinese) right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def supplier_csv(t: Translator, purchase: Purchase, report: Report) -> bytes:
    return csv_bytes(supplier_rows(t, purchase, report))


def money_format(t: Translator, currency: str) -> str:
    """An Excel number format for the currency in the reader's locale: "€"#,##0.00, or
    #,##0.00 "₽" where the locale writes the symbol after the number."""
    digits = minor_digits(currency)
    number = "#,##0" + ("." + "0" * digits if digits else "")
    symbol = '"' + str(get_currency_symbol(currency, locale=t.locale)).replace('"', "") + '"'
    pattern = t.locale.currency_formats["standard"].pattern
    return symbol + number if pattern.startswith("¤") else number + " " + symbol


def report_xlsx(t: Translator, purchase: Purchase, report: Report) -> bytes:
    sheets = [
        (t.gettext("Supplier order"), supplier_rows(t, purchase, report)),
        (t.gettext("Members"), member_rows(t, purchase, report)),
        (t.gettext("Pickup list"), pickup_rows(t, purchase, report)),
        (t.gettext("Packing list"), packing_rows(t, purchase, report)),
        (t.gettext("Items per member"), matrix_rows(t, purchase, report)),
    ]
    # Which columns hold money (counted from 1), per sheet.
    money_columns = {0: {5, 7}, 1: {3, 4, 5, 6, 7, 8, 9}}
    return workbook_bytes(sheets, money_columns, money_format(t, purchase.currency))


def table_xlsx(title: str, rows: list[list[object]]) -> bytes:
    """One sheet of `rows` (the platform's statements: campaign orders, commission, routes)."""
    return workbook_bytes([(title, rows)])


# What a sheet's name may not hold (Excel's rule, which openpyxl enforces), and its length.
SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
SHEET_NAME_LENGTH = 31


def workbook_bytes(
    sheets: list[tuple[str, list[list[object]]]],
    money_columns: dict[int, set[int]] | None = None,
    number_format: str = "",
) -> bytes:
    """The one XLSX writer of the bot's files: every text cell stays text, whatever it starts
    with (a member, an item or a community named "=HYPERLINK(...)" is never a formula), and
    a sheet's name is made one Excel takes (a campaign's title may hold a "/")."""
    # Imported here, not at the top: openpyxl costs a process about 0.2 s and 30 MB, and only
    # a head or an operator asking for a spreadsheet needs it; the first one pays it once.
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for index, (title, rows) in enumerate(sheets):
        name = title.translate(SHEET_NAME_FORBIDDEN).strip("' ")[:SHEET_NAME_LENGTH]
        sheet = workbook.create_sheet(name or str(index + 1))
        for row in rows:
            sheet.append(row)
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    cell.number_format = "@"
        for column in (money_columns or {}).get(index, ()):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                if isinstance(cell.value, int | float | Decimal):
                    cell.number_format = number_format
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def table_pdf(title: str, rows: list[list[object]]) -> bytes:
    """A printable A4 of `rows`: tables parted by an empty row, each with its heading row."""
    pdf = a4_with_fonts(title)
    from fpdf.fonts import FontFace  # loaded already by a4_with_fonts

    pdf.add_page()
    pdf.set_font("main", "B", 14)
    pdf.multi_cell(0, 7, title)
    pdf.ln(3)
    pdf.set_font("main", "", 9)
    bold = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    tables: list[list[list[object]]] = [[]]
    for row in rows:
        if row:
            tables[-1].append(row)
        else:
            tables.append([])
    for table_rows in (table for table in tables if table):
        with pdf.table(headings_style=bold, line_height=5) as table:
            width = len(table_rows[0])
            for row in table_rows:
                cells = table.row()
                for value in [*row, *[""] * (width - len(row))][:width]:
                    cells.cell(str(value))
        pdf.ln(4)
    return bytes(pdf.output())
