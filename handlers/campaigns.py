"""Campaigns as communities and their heads meet them: a community's admins say where it is
(/region), heads see the campaigns open for their region (/campaigns) and adopt one (the
purchase is made in `handlers/wizard_sources.py`), and everyone involved gets their commission
statement (/commission). The operator's side is in `handlers/operator_campaigns.py`."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode

from domain.campaign import Campaign, CampaignStatus
from domain.commission import CommissionLine, commission_lines
from domain.community import Community
from domain.errors import N_, NotAllowed
from domain.ports import HandlerUnitOfWork
from handlers.exports import csv_bytes, table_xlsx
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Registration,
    actor_for,
    anywhere,
    head_community,
    in_private,
    is_chat_admin,
    person_translator,
    reply,
)
from texts.callback_data import Action, Start, deep_link, encode
from texts.campaign_view import adoptable_text, statement_rows

MAX_REGION_LENGTH = 64


async def set_region(update: Update, context: BotContext) -> None:
    """/region <name> in a community chat: where it is, as campaigns name regions."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        community = await uow.communities.get(chat.id)
    t = person_translator(update, context, community)
    if community is None:
        await reply(update, t.gettext("/region is for a community chat the bot is in."))
        return
    region = " ".join(context.args or [])
    if not region:
        await reply(
            update,
            t.gettext("This community's region: {region}. Admins change it with /region <name>.")
            .format(region=community.region or "-"),
        )  # fmt: skip
        return
    if not (actor_for(update, context).is_admin or await is_chat_admin(context, chat.id, user.id)):
        await reply(update, t.gettext("Only the chat's admins set its region."))
        return
    if len(region) > MAX_REGION_LENGTH or not any(char.isalnum() for char in region):
        await reply(update, t.gettext("Name the region in a few words, e.g. /region North."))
        return
    async with rt.database.unit_of_work(update.update_id) as uow:
        await uow.communities.change(community.chat_id, {"region": region})
        await uow.commit()
    await reply(
        update,
        t.gettext("Region saved: {region}. Heads here see its campaigns with /campaigns.").format(
            region=region
        ),
    )


async def _open_for(uow: HandlerUnitOfWork, community: Community, now: datetime) -> list[Campaign]:
    if not community.region:
        return []
    found = await uow.campaigns.listed(CampaignStatus.OPEN)
    return [c for c in found if c.serves(community.region) and c.accepts_adoptions(now)]


async def campaigns(update: Update, context: BotContext) -> None:
    """/campaigns: in a community, those open for its region; in private, an operator's
    campaigns, and for a head those of their community with a button to adopt each."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    rt = context.runtime
    now = rt.clock()
    async with rt.database.unit_of_work() as uow:
        community = (
            await uow.communities.get(chat.id)
            if chat.type != "private"
            else await head_community(uow, user.id)
        )
        open_here = [] if community is None else await _open_for(uow, community, now)
        every = await uow.campaigns.listed()
        operator = await uow.campaigns.is_operator(user.id)
    t = person_translator(update, context, community)
    actor = actor_for(update, context)
    if chat.type == "private" and (operator or actor.is_admin):
        mine = [c for c in every if actor.is_admin or c.operator_id == user.id]
        lines = [t.gettext("Your campaigns (/campaign <number> for one):")] + [
            f"#{c.id} {c.title} — {c.status.value}" for c in mine
        ]
        await reply(update, "\n".join(lines) if mine else t.gettext("No campaigns yet."))
    if community is None:
        if chat.type == "private" and not (operator or actor.is_admin):
            await reply(update, t.gettext("Open a purchase in your community first (/new)."))
        return
    if chat.type == "private":
        await show_adoptable(update, context, community)
        return
    text = adoptable_text(t, community, open_here)
    markup = None
    if open_here:
        link = deep_link(context.bot.username, Start.CAMPAIGNS, community.chat_id)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(t.gettext("🤝 Adopt one (heads)"), url=link)]]
        )
    await reply(update, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def show_adoptable(update: Update, context: BotContext, community: Community) -> None:
    """In the private chat: the campaigns open for the community, a button to adopt each."""
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        open_here = await _open_for(uow, community, rt.clock())
    t = person_translator(update, context, community)
    buttons = [
        [InlineKeyboardButton(
            t.gettext("🤝 Sell {title} in {community}").format(
                title=c.title, community=community.title
            ),
            callback_data=encode(Action.CAMPAIGN_ADOPT, c.id, community.chat_id),
        )]
        for c in open_here
    ]  # fmt: skip
    await reply(
        update,
        adoptable_text(t, community, open_here),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(buttons) if buttons else None,
    )


async def adoptable_from_link(update: Update, context: BotContext, community_id: int) -> None:
    """/start c<chat id>: the link under /campaigns in a community chat."""
    async with context.runtime.database.unit_of_work() as uow:
        community = await uow.communities.get(community_id)
    if community is None:
        t = person_translator(update, context)
        await reply(update, not_done(t, NotAllowed(N_("no such community"))))
        return
    await show_adoptable(update, context, community)


async def commission(update: Update, context: BotContext) -> None:
    """/commission: the statement of a head's campaigns (an operator's: of all heads of their
    campaigns), per campaign and month, as CSV and XLSX."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    t = person_translator(update, context)
    actor = actor_for(update, context)
    lines: list[CommissionLine] = []
    titles: dict[int, str] = {}
    names: dict[int, str] = {}
    async with context.runtime.database.unit_of_work() as uow:
        for campaign in await uow.campaigns.listed():
            runs = actor.is_admin or campaign.operator_id == user.id
            for purchase in await uow.purchases.of_campaign(campaign.id):
                if not (runs or purchase.head_id == user.id):
                    continue
                community = await uow.communities.get(purchase.community_id)
                timezone = community.timezone if community else campaign.timezone
                titles[purchase.community_id] = community.title if community else ""
                names[campaign.id] = campaign.title
                lines += commission_lines(campaign, purchase, timezone)
    if not lines:  # a file with nothing to bill says less than this sentence
        await reply(update, t.gettext("No campaign of yours has commission to show yet."))
        return
    heads = await context.runtime.names.readable(context.bot, [line.head_id for line in lines], t)
    rows = statement_rows(t, lines, titles, names, heads)
    total = sum((line.commission for line in lines[1:]), lines[0].commission)
    caption = t.gettext("Commission statement") + f": {t.money(total)}"
    await context.bot.send_document(
        chat.id, InputFile(csv_bytes(rows), filename="commission.csv"), caption=caption
    )
    await context.bot.send_document(
        chat.id, InputFile(table_xlsx(t.gettext("Commission statement"), rows),
                           filename="commission.xlsx"),
    )  # fmt: skip


HANDLERS: list[Registration] = [
    anywhere("region", set_region),
    anywhere("campaigns", campaigns),
    in_private("commission", commission),
]
