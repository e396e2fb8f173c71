"""A supplier's price list sent as a file in the private chat: read (CSV or XLSX) into rows of
text here, into items by `domain.price_list`, and shown as a preview with every bad row named;
a good one is saved for the head and supplier and offered when they open a purchase. The file
is read in a process of its own under hard limits (runtime/table_reader.py)."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from domain.errors import N_
from domain.form_fields import FormError
from domain.item_line import parse_item_line
from domain.price_list import PriceListError, read_rows, split_line, supplier_name
from domain.purchase import Item
from handlers.runtime import BotContext, Registration, head_community, person_translator
from texts.callback_data import Action, encode
from texts.catalog_view import bad_rows_text, price_list_preview

# A price list is a table of text: a bigger file is not one (Telegram lets bots fetch 20 MB).
MAX_FILE_BYTES = 2_000_000
READABLE = (".csv", ".txt", ".xlsx")


def items_of(lines: tuple[str, ...], currency: str) -> list[Item]:
    """A saved list's items, photos on them, as the preview shows them."""
    items: list[Item] = []
    for saved in lines:
        photo, line = split_line(saved)
        items += [replace(item, photo=photo) for item in parse_item_line(line, currency)]
    return items


async def price_list_file(update: Update, context: BotContext) -> None:
    """A document in the private chat: a supplier's price list to read, preview and keep."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and message.document is not None and user is not None
    t = person_translator(update, context)
    rt = context.runtime
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
        if len(data) > MAX_FILE_BYTES:  # the size Telegram announced was not the file's
            raise PriceListError(
                N_("the file is larger than {limit} MB"), limit=MAX_FILE_BYTES // 1_000_000
            )
        # In a process of its own, under hard limits: everyone else is answered meanwhile.
        read = read_rows(await rt.tables.rows(name, data), community.currency)
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


async def picture_as_file(update: Update, context: BotContext) -> None:
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
