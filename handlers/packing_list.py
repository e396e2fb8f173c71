"""The packing list: what the head and helpers pack and hand out on pickup day. Per pickup
slot (the point and window members chose; with one slot, all together), one row per member
(a tick box, name, code, what they get, what to collect), then
an item × member matrix for packing; as rows for the XLSX and as a printable PDF (fpdf2).

The PDF's fonts are the system's: DejaVu Sans for Latin and Cyrillic, with Droid Sans Fallback
behind it for Chinese (Debian: fonts-dejavu-core, fonts-droid-fallback). Without them there is
no PDF (the XLSX has the same), and the log says which file is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from domain.purchase import PickupSlot, Purchase
from domain.reports import MemberLine, Report
from texts.i18n import Translator
from texts.notices import lines_label, slot_label

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS = {
    ("main", ""): FONT_DIR / "dejavu" / "DejaVuSans.ttf",
    ("main", "B"): FONT_DIR / "dejavu" / "DejaVuSans-Bold.ttf",
    ("cjk", ""): FONT_DIR / "droid" / "DroidSansFallbackFull.ttf",
}
TICK_BOX = "☐"
# Items side by side in one matrix table on a landscape A4 page; more go on the next table.
MATRIX_ITEMS = 8


class FontsMissing(Exception):
    """A font the PDF needs is not on this machine."""


def receiving(report: Report) -> list[MemberLine]:
    """The members who get goods, by name."""
    return sorted((m for m in report.members if m.lines), key=lambda m: m.name.lower())


def by_slot(purchase: Purchase, report: Report) -> list[tuple[PickupSlot | None, list[MemberLine]]]:
    """The members who get goods, per pickup slot in the purchase's order, and last those who
    have not chosen one (where there are several); a slot nobody chose is left out."""
    groups: dict[int | None, list[MemberLine]] = {}
    for member in receiving(report):
        slot = purchase.pickup_slot_of(member.member_id)
        groups.setdefault(slot.number if slot else None, []).append(member)
    result: list[tuple[PickupSlot | None, list[MemberLine]]] = [
        (slot, groups[slot.number]) for slot in purchase.pickup_slots if slot.number in groups
    ]
    if None in groups:
        result.append((None, groups[None]))
    return result


def slot_heading(t: Translator, purchase: Purchase, slot: PickupSlot | None) -> str:
    if slot is None:
        return (
            windows_text(t, purchase)
            if len(purchase.pickup_slots) < 2
            else t.gettext("No pickup slot chosen yet")
        )
    return slot_label(t, slot)


def windows_text(t: Translator, purchase: Purchase) -> str:
    return "; ".join(slot_label(t, slot) for slot in purchase.pickup_slots)


def to_collect(t: Translator, member: MemberLine) -> str:
    """What changes hands at the pickup: "€16.80" to collect, "−€3.00" to give back."""
    if member.account is None:
        return ""
    if member.account.to_pay.minor:
        return t.money(member.account.to_pay)
    if member.account.owed_back.minor:
        return "−" + t.money(member.account.owed_back)
    return "✓"


def _header(t: Translator) -> list[object]:
    return ["", t.gettext("Member"), t.gettext("Pickup code"), t.gettext("Lines"),
            t.gettext("To collect")]  # fmt: skip


def slot_blocks(
    t: Translator, purchase: Purchase, report: Report
) -> list[tuple[str, list[list[object]]]]:
    """(heading, one row per member with a tick box) per pickup slot."""
    blocks = []
    for slot, members in by_slot(purchase, report) or [(None, [])]:
        rows: list[list[object]] = []
        for member in members:
            tick = "☑" if member.handed_over else TICK_BOX
            lines = lines_label(t, purchase, member.lines, member.member_id)
            rows.append([tick, member.name, member.pickup_code, lines, to_collect(t, member)])
        heading = slot_heading(t, purchase, slot)
        if len(purchase.pickup_slots) > 1:
            heading += " — " + t.ngettext("{count} member", "{count} members", len(members)).format(
                count=len(members)
            )
        blocks.append((heading, rows))
    return blocks


def packing_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    """The XLSX sheet: per pickup slot its heading, then one row per member with a tick box."""
    rows: list[list[object]] = []
    for heading, members in slot_blocks(t, purchase, report):
        if rows:
            rows.append([])
        rows += [[heading], _header(t), *members]
    return rows


def matrix_rows(t: Translator, purchase: Purchase, report: Report) -> list[list[object]]:
    """Item × member: units per cell, and each item's total in the last row."""
    items = [
        item for item in purchase.items if any(item.item_id in m.lines for m in report.members)
    ]
    rows: list[list[object]] = [[t.gettext("Member"), t.gettext("Pickup code"),
                                 *(item.label for item in items)]]  # fmt: skip
    members = receiving(report)
    for member in members:
        rows.append([member.name, member.pickup_code,
                     *(member.lines.get(item.item_id) or "" for item in items)])  # fmt: skip
    totals = [sum(m.lines.get(item.item_id, 0) for m in members) for item in items]
    rows.append([t.gettext("Total"), "", *totals])
    return rows


def _chunks(row: list[object], size: int) -> Iterator[list[object]]:
    for start in range(2, max(len(row), 3), size):
        yield row[:2] + row[start : start + size]


def _paragraph(pdf: FPDF, height: float, text: str) -> None:
    """Text across the page, the cursor then at the left margin of the next line."""
    from fpdf.enums import XPos, YPos  # loaded already by a4_with_fonts

    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def a4_with_fonts(title: str) -> FPDF:
    """An empty portrait A4 document titled `title`, with the fonts every PDF of the bot
    writes in; FontsMissing when the machine lacks one."""
    for path in FONTS.values():
        if not path.is_file():
            raise FontsMissing(str(path))
    # Imported here, not at the top: fpdf2 (with fontTools and Pillow) costs a process about
    # 0.3 s and 50 MB, and only a head asking for a PDF needs it; the first PDF pays it once.
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(title)
    for (family, style), path in FONTS.items():
        pdf.add_font(family, style, str(path))
    pdf.set_fallback_fonts(["cjk"], exact_match=False)  # bold Chinese: the regular face
    return pdf


def packing_pdf(t: Translator, purchase: Purchase, report: Report) -> bytes:
    """The printable packing list; FontsMissing when the machine lacks a font it needs."""
    pdf = a4_with_fonts(t.gettext("Packing list of {title}").format(title=purchase.title))
    from fpdf.fonts import FontFace  # loaded already by a4_with_fonts

    pdf.set_auto_page_break(auto=True, margin=12)
    bold = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))

    pdf.add_page()
    pdf.set_font("main", "B", 14)
    _paragraph(pdf, 7, t.gettext("Packing list of {title}").format(title=purchase.title))
    for heading, members in slot_blocks(t, purchase, report):
        pdf.set_font("main", "B" if len(purchase.pickup_slots) > 1 else "", 10)
        _paragraph(pdf, 6, heading)
        pdf.set_font("main", "", 10)
        pdf.ln(2)
        with pdf.table(
            col_widths=(7, 42, 18, 95, 28),
            text_align=("CENTER", "LEFT", "CENTER", "LEFT", "RIGHT"),
            headings_style=bold,
            line_height=6,
        ) as table:
            for row in [_header(t), *members]:
                cells = table.row()
                for value in row:
                    cells.cell(str(value))
        pdf.ln(4)

    matrix = matrix_rows(t, purchase, report)
    pdf.add_page(orientation="landscape")
    pdf.set_font("main", "B", 12)
    _paragraph(pdf, 7, t.gettext("Items per member"))
    pdf.set_font("main", "", 9)
    for part in zip(*(_chunks(row, MATRIX_ITEMS) for row in matrix), strict=True):
        items = len(part[0]) - 2
        with pdf.table(
            col_widths=(45, 18, *([22] * items)),
            text_align=("LEFT", "CENTER", *(["CENTER"] * items)),
            headings_style=bold,
            line_height=5,
        ) as table:
            for row in part:
                cells = table.row()
                for value in row:
                    cells.cell(str(value))
        pdf.ln(4)
    return bytes(pdf.output())
