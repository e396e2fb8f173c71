"""A supplier's price list sent as a file in the private chat: read (CSV or XLSX) into rows of
text here, into items by `domain.price_list`, and shown as a preview with every bad row named;
a good one is saved for the head and supplier and offered when they open a purchase."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from domain.errors import N_
from domain.form_fields import FormError, parse_item_line
from domain.price_list import PriceListError, read_rows, split_line, supplier_name
from domain.purchase import Item
from handlers.runtime import Registration, head_community, person_translator, runtime
from texts.callback_data import Action, encode
from texts.catalog_view import bad_rows_text, price_list_preview

# A price list is a table of text: a bigger file is not one (Telegram lets bots fetch 20 MB).
MAX_FILE_BYTES = 2_000_000
# Rows read from a sheet at most; a longer one is refused by its count anyway.
MAX_SHEET_ROWS = 100_000
READABLE = (".csv", ".txt", ".xlsx")
UTF_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip


def _cell(value: object) -> str:
    """A spreadsheet cell as the head sees it: 6 (not 6.0), 12.5, text as it is."""
    if value is None:
        return ""
    if isinstance(value, float):
        number = Decimal(repr(value))
        return str(number.quantize(Decimal(1))) if number == number.to_integral() else str(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv_rows(data: bytes) -> list[list[str]]:
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise PriceListError(N_("the file is not a CSV table of text"))
    encoding = next((name for bom, name in UTF_BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise PriceListError(
            N_("the file is not in UTF-8; save it as “CSV UTF-8” (or as XLSX) and send it again")
        ) from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise PriceListError(N_("the file is not an XLSX workbook")) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            if number > MAX_SHEET_ROWS:
                raise PriceListError(
                    N_("the sheet has more than {limit} rows"), limit=MAX_SHEET_ROWS
                )
            rows.append([_cell(value) for value in row])
        return rows
    finally:
        workbook.close()


def table_of(file_name: str, data: bytes) -> list[list[str]]:
    """The rows of a price list file, by its kind: CSV or XLSX."""
    if file_name.lower().endswith(".xlsx"):
        return _xlsx_rows(data)
    return _csv_rows(data)


def items_of(lines: tuple[str, ...], currency: str) -> list[Item]:
    """A saved list's items, photos on them, as the preview shows them."""
    items: list[Item] = []
    for saved in lines:
        photo, line = split_line(saved)
        items += [replace(item, photo=photo) for item in parse_item_line(line, currency)]
    return items


async def price_list_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document in the private chat: a supplier's price list to read, preview and keep."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and message.document is not None and user is not None
    t = person_translator(update, context)
    rt = runtime(context)
    document = message.document
    async with rt.database.unit_of_work() as uow:
        community = await head_community(uow, user.id)
    if community is None:
        await message.reply_text(
            t.gettext(
                "A price list is for a purchase in your community: first send /new there, then "
                "send me the file."
            )
        )
        raise ApplicationHandlerStop
    try:
        if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
            raise PriceListError(
                N_("the file is larger than {limit} MB"), limit=MAX_FILE_BYTES // 1_000_000
            )
        name = document.file_name or ""
        if not name.lower().endswith(READABLE):
            raise PriceListError(N_("I read price lists from CSV or XLSX files"))
        data = bytes(await (await document.get_file()).download_as_bytearray())
        read = read_rows(table_of(name, data), community.currency)
        supplier = supplier_name(message.caption or "", name)
    except (PriceListError, FormError) as error:
        await message.reply_text(
            t.gettext("The price list was not saved: {reason}").format(reason=t.reason(error))
        )
        raise ApplicationHandlerStop from None
    if read.problems:
        await message.reply_text(bad_rows_text(t, read.problems))
        raise ApplicationHandlerStop
    async with rt.database.unit_of_work(update.update_id) as uow:
        saved = await uow.price_lists.save(user.id, supplier, community.currency, read.lines,
                                           rt.clock())  # fmt: skip
        await uow.commit()
    items = items_of(read.lines, community.currency)
    photos = sum(1 for line in read.lines if split_line(line)[0])
    await message.reply_text(
        price_list_preview(t, supplier, items, photos),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[
            InlineKeyboardButton(
                t.gettext("Open a purchase with these items"),
                callback_data=encode(Action.PRICE_LIST_USE, saved),
            )
        ]]),
    )  # fmt: skip
    raise ApplicationHandlerStop


async def picture_as_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A picture sent as a file (a receipt, a purchase's photo with /edit): Telegram keeps no
    photo of it, so it is asked for again as a photo."""
    message = update.effective_message
    assert message is not None
    t = person_translator(update, context)
    await message.reply_text(
        t.gettext(
            "That is a picture sent as a file, not a photo: nothing was done. Send it again as "
            "a photo."
        )
    )


HANDLERS: list[Registration] = [
    (MessageHandler(filters.ChatType.PRIVATE & filters.Document.IMAGE, picture_as_file), 0),
    (
        MessageHandler(
            filters.ChatType.PRIVATE & filters.Document.ALL & ~filters.Document.IMAGE,
            price_list_file,
        ),
        0,
    ),
]
