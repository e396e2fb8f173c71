"""A supplier's price list, imported from the file they send (CSV or XLSX, read into rows of
text by the handler): each row becomes an item line as the template writes it, read through the
same validators as a typed one, so an imported item is exactly what typing its line would give.

The first non-empty row names the columns (in English, Russian or Chinese, any case): name and
price are needed; unit, pack, min, max, stock, variants, weight and photo are optional, and
other columns (a supplier's article numbers) are left alone. Every bad row is named, with what
is wrong in it; a file with any bad row saves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.errors import N_, DomainError
from domain.form_fields import FormError, parse_text
from domain.item_identity import identity
from domain.item_line import parse_item_line
from domain.purchase import MAX_ITEMS, Item

# A purchase holds MAX_ITEMS lines; a longer price list is the supplier's whole catalogue, and
# the head keeps the rows they sell this time.
MAX_ROWS = MAX_ITEMS
# More problems than this are summed up: a file that wrong is the wrong file.
MAX_PROBLEMS_SHOWN = 15
MAX_PHOTO_URL_LENGTH = 255

COLUMNS = {
    "name": "name", "item": "name", "product": "name", "title": "name", "название": "name",
    "наименование": "name", "товар": "name", "品名": "name", "名称": "name", "商品": "name",
    "unit": "unit", "ед.": "unit", "ед": "unit", "единица": "unit", "фасовка": "unit",
    "单位": "unit", "规格单位": "unit",
    "price": "price", "цена": "price", "价格": "price", "单价": "price",
    "pack": "pack", "box": "pack", "упаковка": "pack", "в упаковке": "pack", "箱": "pack",
    "每箱": "pack", "min": "min", "мин": "min", "минимум": "min", "起购": "min",
    "max": "max", "макс": "max", "максимум": "max", "限购": "max",
    "stock": "stock", "остаток": "stock", "наличие": "stock", "库存": "stock",
    "variants": "variants", "sizes": "variants", "варианты": "variants",
    "размеры": "variants", "规格": "variants", "尺码": "variants",
    "weight": "weight", "вес": "weight", "重量": "weight",
    "photo": "photo", "photo url": "photo", "image": "photo", "фото": "photo",
    "图片": "photo", "照片": "photo",
}  # fmt: skip
REQUIRED = ("name", "price")
# The header is looked for in the first rows of the file.
HEADER_WITHIN = 5
NUMBER_OPTIONS = ("pack", "min", "max", "stock")


class PriceListError(DomainError):
    """The file as a whole cannot be read: wrong columns, too many rows, not a table."""


@dataclass(frozen=True)
class BadRow:
    row: int  # as the head sees it in the spreadsheet, the header row counted
    reason: FormError


@dataclass(frozen=True)
class PriceListRead:
    """What a file makes: its item lines, and the bad rows (nothing is saved when any)."""

    lines: tuple[str, ...]
    problems: tuple[BadRow, ...]


@dataclass(frozen=True)
class PriceList:
    """A price list a head saved: offered the next time they open a purchase."""

    id: int
    head_id: int
    supplier: str
    currency: str
    lines: tuple[str, ...]
    saved_at: datetime


def _names_columns(row: Sequence[str]) -> bool:
    keys = {COLUMNS.get(" ".join(cell.lower().split()).rstrip(":")) for cell in row}
    return all(key in keys for key in REQUIRED)


def _header(row: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = COLUMNS.get(" ".join(cell.lower().split()).rstrip(":"))
        if key is not None and key not in found:
            found[key] = index
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        raise PriceListError(
            N_("the header row names no {columns} column (it has: {found}); name the columns "
               "name, price, and if you like unit, pack, min, max, stock, variants, weight, photo"),
            columns=", ".join(missing),
            found=", ".join(cell for cell in row if cell.strip())[:200] or "-",
        )  # fmt: skip
    return found


def _line(cells: dict[str, str]) -> str:
    """The row as a template's item line: "Honey 1 kg | 12.50 | pack 6 | variants S, M"."""
    name = cells.get("name", "")
    unit = cells.get("unit", "")
    if unit and unit.lower() not in name.lower():
        name = f"{name} {unit}"
    price = cells.get("price", "")
    parts = [name, price]
    weight = cells.get("weight", "")
    if weight:
        parts[1] = f"{price} per kg"
        parts.append(f"about {weight} kg")
    for option in NUMBER_OPTIONS:
        if cells.get(option):
            parts.append(f"{option} {cells[option]}")
    variants = cells.get("variants", "")
    if variants:
        in_rows = re.match(r"(?:row|ряд|整手)\s*[:：]?\s*", variants, re.IGNORECASE)
        listed = variants[in_rows.end() :] if in_rows else variants
        parts.append(("row " if in_rows else "variants ") + listed)
    return " | ".join(parts)


def _photo(url: str) -> str:
    if not re.fullmatch(r"https?://\S+", url) or len(url) > MAX_PHOTO_URL_LENGTH:
        raise FormError(
            N_("the photo must be a web address (https://...) of at most {limit} characters"),
            limit=MAX_PHOTO_URL_LENGTH,
        )
    return url


def read_rows(rows: Sequence[Sequence[str]], currency: str) -> PriceListRead:
    """The item lines of a table whose header row (among its first rows) names the columns;
    the lines keep a photo's address before them ("<url>\\n<line>") when the row has one."""
    numbered = [
        (n, [c.strip() for c in row])
        for n, row in enumerate(rows, 1)
        if any(c.strip() for c in row)
    ]
    if not numbered:
        raise PriceListError(N_("the file has no rows"))
    # The header is the first row naming the columns: a supplier's file may have a title or a
    # date above it.
    at = next((i for i, (_n, row) in enumerate(numbered[:HEADER_WITHIN]) if _names_columns(row)), 0)
    columns = _header(numbered[at][1])
    body = numbered[at + 1 :]
    if not body:
        raise PriceListError(N_("the file names its columns but has no items under them"))
    if len(body) > MAX_ROWS:
        raise PriceListError(
            N_("the file has {rows} items; a purchase holds at most {limit}: keep the rows you "
               "sell this time"),
            rows=len(body), limit=MAX_ROWS,
        )  # fmt: skip
    lines: list[str] = []
    problems: list[BadRow] = []
    seen: dict[str, int] = {}
    count = 0
    for number, row in body:
        # A "|" in a cell would split the item line: it stands as "/" there.
        cells = {
            key: (row[index] if index < len(row) else "").replace("|", "/")
            for key, index in columns.items()
        }
        try:
            line = _line(cells)
            items: list[Item] = parse_item_line(line, currency)
            photo = _photo(cells["photo"]) if cells.get("photo") else ""
        except FormError as error:
            problems.append(BadRow(number, error))
            continue
        for item in items:
            label = identity(item)
            if label in seen:
                problems.append(BadRow(number, FormError(
                    N_("{item} is in row {row} already"), item=item.label, row=seen[label]
                )))  # fmt: skip
                break
            seen[label] = number
        else:
            count += len(items)
            lines.append(f"{photo}\n{line}" if photo else line)
    if count > MAX_ITEMS:
        raise PriceListError(
            N_("with their variants the rows make {count} items; a purchase holds at most "
               "{limit}"),
            count=count, limit=MAX_ITEMS,
        )  # fmt: skip
    return PriceListRead(tuple(lines), tuple(problems))


def supplier_name(caption: str, file_name: str) -> str:
    """Whose price list it is: the caption the head wrote under the file, else its name."""
    name = caption.strip() or re.sub(r"\.(csv|xlsx)$", "", file_name, flags=re.IGNORECASE)
    return parse_text(name.replace("_", " "), "supplier")


def split_line(line: str) -> tuple[str, str]:
    """A saved line as (photo address or "", item line)."""
    photo, newline, rest = line.partition("\n")
    return (photo, rest) if newline else ("", line)
