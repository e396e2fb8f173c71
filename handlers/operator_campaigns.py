"""An operator's campaigns (operators are made in `handlers/roles.py`): create one
(/newcampaign), follow it (/campaign), get the consolidated order (/campaign_order) and enter
the supplier's answer (/campaign_supply). Heads meet campaigns in `handlers/campaigns.py`."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import InputFile, Update
from telegram.constants import ParseMode

from domain import services
from domain.allocation import CampaignAllocation
from domain.campaign import Campaign, CampaignStatus, ensure_can_run
from domain.campaign_form import parse_campaign
from domain.errors import N_, DomainError, InvalidPurchase, NotAllowed
from domain.permissions import Actor
from domain.ports import HandlerUnitOfWork
from domain.purchase import Purchase
from domain.supply import LINE
from handlers.exports import csv_bytes, table_pdf, table_xlsx
from handlers.packing_list import FontsMissing
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Registration,
    actor_for,
    in_private,
    person_translator,
    purchase_command,
    reply,
)
from texts.campaign_view import Part, board_text, order_rows
from texts.i18n import Translator

log = logging.getLogger(__name__)

EXAMPLE_FORM = (
    "/newcampaign\n"
    "Title: Autumn honey\n"
    "Supplier: Altai Bee Farm\n"
    "Cut-off: {cut_off}\n"
    "Delivery: {delivery}\n"
    "Regions: North, River\n"
    "Commission: 10%\n"
    "Item: Honey 0.5 kg | 8.00 | pack 6 | supply 5.00 | range 7.00-9.00\n"
    "Item: Beeswax candle | 3.00 | supply 2.00 | range 2.50-3.50"
)


async def operator_or_refusal(update: Update, context: BotContext, refusal: str) -> Actor | None:
    """The person, when they are an operator (or a platform admin); else `refusal` is said."""
    actor = actor_for(update, context)
    if await services.may_run_campaigns(context.runtime.database.unit_of_work(), actor):
        return actor
    await reply(update, not_done(person_translator(update, context), NotAllowed(refusal)))
    return None


async def new_campaign(update: Update, context: BotContext) -> None:
    """/newcampaign with the form below it; alone, the form to copy."""
    message = update.effective_message
    assert message is not None and message.text is not None
    rt = context.runtime
    t = person_translator(update, context)
    actor = await operator_or_refusal(update, context, N_("only an operator runs campaigns"))
    if actor is None:
        return
    _command, _, form = message.text.partition("\n")
    now = rt.clock()
    if not form.strip():
        soon = (now + timedelta(days=7)).astimezone(ZoneInfo(rt.settings.default_timezone))
        example = EXAMPLE_FORM.format(
            cut_off=soon.strftime("%Y-%m-%d 18:00"),
            delivery=(soon + timedelta(days=2)).strftime("%Y-%m-%d"),
        )
        await reply(
            update,
            t.gettext(
                "A campaign is one message: copy the next one, change it and send it back. "
                "Prices are in {currency}, times in {timezone}. Each item: the heads' suggested "
                "price, | supply <the supplier's price>, and | range <low>-<high> for the "
                "heads' own price. Commission: a percentage of goods, or margin."
            ).format(currency=rt.settings.default_currency, timezone=rt.settings.default_timezone),
        )
        await reply(update, example)
        return
    try:
        campaign = parse_campaign(
            form, rt.settings.default_currency, rt.settings.default_timezone, now
        )
        campaign_id = await services.create_campaign(
            rt.database.unit_of_work(update.update_id), actor, campaign, now
        )
    except DomainError as error:
        await reply(update, not_done(t, error))
        return
    await reply(
        update,
        t.gettext(
            "Campaign #{number} {title} is open. Heads in {regions} see it with /campaigns in "
            "their community; /campaign {number} shows how it goes."
        ).format(number=campaign_id, title=campaign.title, regions=", ".join(campaign.regions)),
    )


async def _run_campaign(
    uow: HandlerUnitOfWork, campaign_id: int, actor: Actor
) -> tuple[Campaign, list[Part]]:
    """The campaign and its parts, for its operator (or a platform admin) only."""
    campaign = await services.load_campaign(uow, campaign_id)
    ensure_can_run(campaign, actor)
    parts = []
    for purchase in await uow.purchases.of_campaign(campaign_id):
        community = await uow.communities.get(purchase.community_id)
        if community is not None:
            parts.append(Part(purchase, community))
    return campaign, parts


def _allocation(campaign: Campaign, parts: list[Part]) -> dict[int, CampaignAllocation]:
    """Live while open; after the cut-off the order as closed (less what the supplier cut)."""
    if campaign.status is CampaignStatus.OPEN:
        return campaign.allocation([p.purchase for p in parts])
    return {
        line.item.item_id: CampaignAllocation(
            line.item.pack_size,
            sum(p.purchase.item_units(line.item.item_id) for p in parts),
            sum(t for p in parts for t in _tolerances(p.purchase, line.item.item_id)),
            campaign.supplied.get(line.item.item_id, campaign.ordered.get(line.item.item_id, 0)),
            {p.purchase.id: p.purchase.ordered_units(line.item.item_id)
             if line.item.item_id not in p.purchase.supply
             else p.purchase.supply[line.item.item_id].units for p in parts},
        )
        for line in campaign.items
    }  # fmt: skip


def _tolerances(purchase: Purchase, item_id: int) -> list[int]:
    return [entry.units for entry in purchase.queues(item_id)[1]]


async def _campaign_command(
    update: Update, context: BotContext
) -> tuple[Campaign, list[Part], str, Translator] | None:
    """`/<command> <campaign>`: the campaign for its operator, or an answer saying why not."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    number, rest = purchase_command(message.text)
    if number is None:
        await reply(update, t.gettext("Write the campaign's number after the command."))
        return None
    try:
        async with context.runtime.database.unit_of_work() as uow:
            campaign, parts = await _run_campaign(uow, number, actor_for(update, context))
    except DomainError as error:
        await reply(update, not_done(t, error))
        return None
    return campaign, parts, rest, t


async def campaign_board(update: Update, context: BotContext) -> None:
    """/campaign <number>: the operator's live board."""
    found = await _campaign_command(update, context)
    if found is None:
        return
    campaign, parts, _rest, t = found
    text = board_text(t, campaign, parts, _allocation(campaign, parts))
    await reply(update, text, parse_mode=ParseMode.HTML)


async def campaign_order(update: Update, context: BotContext) -> None:
    """/campaign_order <number>: the consolidated supplier order as CSV, XLSX and PDF."""
    found = await _campaign_command(update, context)
    if found is None:
        return
    campaign, parts, _rest, t = found
    chat = update.effective_chat
    assert chat is not None
    rows = order_rows(t, campaign, parts, _allocation(campaign, parts))
    title = t.gettext("Supplier order of {title}").format(title=campaign.title)
    name = f"campaign-{campaign.id}"
    await context.bot.send_document(chat.id, InputFile(csv_bytes(rows), filename=f"{name}.csv"),
                                    caption=title)  # fmt: skip
    await context.bot.send_document(
        chat.id, InputFile(table_xlsx(title, rows), filename=f"{name}.xlsx")
    )
    try:
        pdf = table_pdf(title, rows)
    except FontsMissing as missing:
        log.warning("no campaign order PDF: the font %s is not installed", missing)
        return
    await context.bot.send_document(chat.id, InputFile(pdf, filename=f"{name}.pdf"))


def parse_packs(text: str, campaign: Campaign) -> dict[int, int]:
    """`1. Honey: 3` per line: packs per item, as /campaign_supply's form writes them."""
    packs: dict[int, int] = {}
    for number, raw in enumerate(text.splitlines(), start=2):
        if not raw.strip():
            continue
        match = LINE.fullmatch(raw)
        if match is None or match[3] is not None:
            raise InvalidPurchase(
                N_('line {line}: write "<item number>. <name>: <packs>", e.g. "1. Honey: 3"'),
                line=number,
            )
        packs[campaign.item(int(match[1])).item.item_id] = int(match[2])
    if not packs:
        raise InvalidPurchase(N_("write at least one item line"))
    return packs


async def campaign_supply(update: Update, context: BotContext) -> None:
    """/campaign_supply <number> with a line per item: the packs the supplier confirmed."""
    found = await _campaign_command(update, context)
    if found is None:
        return
    campaign, _parts, rest, t = found
    rt = context.runtime
    if not rest:
        form = [f"/campaign_supply {campaign.id}"] + [
            f"{line.item.item_id}. {line.item.label}: {campaign.ordered.get(line.item.item_id, 0)}"
            for line in campaign.items
        ]
        await reply(
            update,
            t.gettext(
                "What did the supplier confirm? Copy the next message, change the packs and "
                "send it back. Every community's members who get less are told."
            ),
        )
        await reply(update, "\n".join(form))
        return
    try:
        told = await services.confirm_campaign_supply(
            rt.database.unit_of_work(update.update_id), campaign.id, actor_for(update, context),
            parse_packs(rest, campaign),
        )  # fmt: skip
    except DomainError as error:
        await reply(update, not_done(t, error))
        return
    await reply(
        update,
        t.ngettext(
            "Saved. {count} member gets their new lines and amounts.",
            "Saved. {count} members get their new lines and amounts.",
            told,
        ).format(count=told),
    )


HANDLERS: list[Registration] = [
    in_private("newcampaign", new_campaign),
    in_private("campaign", campaign_board),
    in_private("campaign_order", campaign_order),
    in_private("campaign_supply", campaign_supply),
]
