"""What the head gets to read and keep: the participant list (names, lines, amounts, payment
and pickup codes; for the head and platform admins only), the exports (CSV and XLSX, and the
packing list), and how many members a message to all of them reached.
"""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    InputFile,
    Update,
)
from telegram.constants import ParseMode

from domain.permissions import Actor
from handlers.exports import report_xlsx, supplier_csv
from handlers.packing_list import FontsMissing, packing_pdf
from handlers.runtime import (
    BotContext,
    load_report,
)
from texts.i18n import Translator
from texts.notices import unreachable_text
from texts.participants import participant_messages

log = logging.getLogger(__name__)


async def send_participants(
    update: Update,
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await load_report(context, purchase_id, actor)
    for text in participant_messages(t, purchase, report):
        await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)


async def send_exports(
    update: Update,
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await load_report(context, purchase_id, actor)
    name = f"purchase-{purchase.id}"
    await context.bot.send_document(
        chat.id,
        InputFile(supplier_csv(t, purchase, report), filename=f"{name}-supplier.csv"),
        caption=t.gettext("Supplier order of {title}").format(title=purchase.title),
    )
    await context.bot.send_document(
        chat.id,
        InputFile(report_xlsx(t, purchase, report), filename=f"{name}.xlsx"),
        caption=t.gettext("Supplier order, members and pickup list of {title}").format(
            title=purchase.title
        ),
    )
    if purchase.pickup_codes:  # goods have arrived: there is something to pack and hand out
        try:
            pdf = packing_pdf(t, purchase, report)
        except FontsMissing as missing:
            log.warning("no packing list PDF: the font %s is not installed", missing)
            return
        await context.bot.send_document(
            chat.id,
            InputFile(pdf, filename=f"{name}-packing-list.pdf"),
            caption=t.gettext("Packing list of {title}").format(title=purchase.title),
        )


async def tell_reach(
    update: Update,
    context: BotContext,
    query: CallbackQuery,
    t: Translator,
    purchase_id: int,
    reminded: list[int],
) -> None:
    """How many the reminder reaches, honestly: people who never opened the bot or blocked it
    get nothing from it, and the head hears their names."""
    reachable, unreachable = await reach(context, purchase_id, reminded)
    await query.answer(
        t.ngettext("Reminded {count} member.", "Reminded {count} members.", len(reachable)).format(
            count=len(reachable)
        )
    )
    chat = update.effective_chat
    if unreachable and chat is not None:
        await context.bot.send_message(
            chat.id, unreachable_text(t, unreachable), parse_mode=ParseMode.HTML
        )


async def reach(
    context: BotContext, purchase_id: int, member_ids: list[int]
) -> tuple[list[int], list[str]]:
    """Which of these members the bot can write to, and the names of the others."""
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        started = await uow.telegram.started_among(member_ids)
        purchase = await uow.purchases.read(purchase_id)
        out_of_reach = [m for m in member_ids if m not in started]
        if purchase is not None:  # the head hears their names now, not again after 403s
            await uow.telegram.told_unreachable(purchase_id, out_of_reach, rt.clock())
            await uow.commit()
    names = purchase.members if purchase else {}
    unreachable = [names[m].name if m in names else str(m) for m in out_of_reach]
    return [m for m in member_ids if m in started], unreachable
