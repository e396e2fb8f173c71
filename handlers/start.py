"""What a person sees first: /start (plain, or from a deep link) and /help in the private chat."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from domain import ledger
from domain.community import Community
from domain.form_fields import Examples
from domain.purchase import Purchase, PurchaseStatus
from domain.views import card_summary
from handlers.admission import for_members_only, may_see
from handlers.campaigns import adoptable_from_link
from handlers.card_channel import send_photos
from handlers.checkout import ask_for_token
from handlers.my_orders import list_orders
from handlers.order_editor import send_editor
from handlers.pickup import open_by_token
from handlers.runtime import (
    BotContext,
    Registration,
    anywhere,
    community_translator,
    in_private,
    load_community,
    person_translator,
)
from texts import notices
from texts.callback_data import Start, deep_link, keyboard, parse_start
from texts.card_view import card_text
from texts.pickup_qr import pickup_link, qr_png, token_in


async def start(update: Update, context: BotContext) -> None:
    """Greet a person who opened the bot; a deep link shows their order or a purchase."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        missed = await uow.telegram.mark_started(user.id, rt.clock(), user.language_code)
        await uow.commit()
    parsed = parse_start(context.args[0]) if context.args else None
    pickup_token = token_in(context.args[0]) if context.args else None
    if pickup_token is not None:
        await open_by_token(update, context, pickup_token)
    elif parsed is not None and parsed[0] is Start.MY_ORDER:
        await show_order(update, context, parsed[1])
    elif parsed is not None and parsed[0] is Start.DETAILS:
        await show_details(update, context, parsed[1])
    elif parsed is not None and parsed[0] is Start.CAMPAIGNS:
        await adoptable_from_link(update, context, parsed[1])
    elif parsed is not None and parsed[0] is Start.PAY_TOKEN:
        await ask_for_token(update, context, parsed[1])
    elif parsed is not None and parsed[0] is Start.MY_ORDERS:
        await list_orders(update, context)
    else:
        _ = person_translator(update, context).gettext
        await message.reply_text(
            _(
                "Hello! I help neighbours buy together.\n"
                "A group head opens a purchase in your community chat; you tap a button under "
                "it to join, and I keep your order, the amount due and your pickup code here.\n"
                "Send /help to see what I can do."
            )
        )
    if missed:
        shown = (
            parsed[1]
            if parsed is not None and parsed[0] in (Start.MY_ORDER, Start.DETAILS)
            else None
        )
        await catch_up(update, context, shown)


# A late start shows this many purchases at most (the newest); /orders lists them all.
CATCH_UP_SHOWN = 5


async def catch_up(update: Update, context: BotContext, already_shown: int | None) -> None:
    """Someone who joined before opening the bot could not be sent the stop notice or the
    pickup notice: show them where each of their running purchases stands now, and the
    pickup notice with their code where the goods are there."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        purchases = await uow.purchases.list_for_member(user.id)
        missed = [p for p in purchases if p.status in CATCH_UP_STATUSES and p.id != already_shown]
        missed = missed[-CATCH_UP_SHOWN:]
        communities = {p.community_id: await uow.communities.get(p.community_id) for p in missed}
        tokens = {
            p.id: (await uow.purchases.pickup_tokens(p.id)).get(user.id)
            for p in missed
            if p.status is PurchaseStatus.ARRIVED
        }
    for purchase in missed:
        await send_editor(update, context, purchase.id)
        community = communities.get(purchase.community_id)
        waiting = user.id in purchase.pickup_codes and user.id not in purchase.handed_over
        if purchase.status is PurchaseStatus.ARRIVED and waiting and community is not None:
            t = person_translator(update, context, community)
            text = notices.pickup_notice(t, purchase, user.id, ledger.account_of(purchase, user.id))
            choice = notices.pickup_choice_markup(t, purchase, user.id, rt.clock())
            markup = keyboard(choice) if choice else None
            token = tokens.get(purchase.id)
            # As the outbox sends it: the notice under its QR code where it fits.
            caption = notices.pickup_notice_under_qr(t, text) if token is not None else None
            if caption is None:
                await context.bot.send_message(
                    chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                )
                markup = None
            if token is not None:
                await context.bot.send_photo(
                    chat.id, qr_png(pickup_link(context.bot.username, token)),
                    caption=caption or notices.pickup_qr_caption(t, purchase, user.id),
                    parse_mode=ParseMode.HTML, reply_markup=markup,
                )  # fmt: skip


# Stopped and later: the amounts are final and the stop notice may not have reached them.
CATCH_UP_STATUSES = (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED, PurchaseStatus.ARRIVED)


async def show_order(update: Update, context: BotContext, purchase_id: int) -> None:
    """The order editor from the card's My order: the items' photos first, when they have."""
    message = update.effective_message
    assert message is not None
    async with context.runtime.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is not None and community is not None:
        if not await _shown_to(update, context, purchase, community):
            return
        t = person_translator(update, context, community)
        await send_photos(context.bot, message.chat_id, t, purchase, items_only=True)
    await send_editor(update, context, purchase_id)


async def _shown_to(
    update: Update, context: BotContext, purchase: Purchase, community: Community
) -> bool:
    """Whether the person may see the purchase; a stranger is told whose it is instead."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    if await may_see(context.runtime, context.bot, user.id, purchase):
        return True
    t = person_translator(update, context, community)
    await message.reply_text(for_members_only(t, community))
    return False


async def show_details(update: Update, context: BotContext, purchase_id: int) -> None:
    """The whole card in the private chat, then the person's own order editor under it."""
    message = update.effective_message
    assert message is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is not None and community is not None:
        if not await _shown_to(update, context, purchase, community):
            return
        t = person_translator(update, context, community)
        summary = card_summary(purchase)
        await send_photos(context.bot, message.chat_id, t, purchase)
        await message.reply_text(
            card_text(t, purchase, summary, rt.clock()), parse_mode=ParseMode.HTML
        )
    await send_editor(update, context, purchase_id)


async def unknown_button(update: Update, context: BotContext) -> None:
    """Any button whose data no handler recognised: a forged or very old one."""
    query = update.callback_query
    if query is not None:
        await query.answer(
            person_translator(update, context).gettext("This button is no longer valid.")
        )


async def show_help(update: Update, context: BotContext) -> None:
    """List the commands a person can use."""
    message = update.effective_message
    if message is None:
        return
    t = person_translator(update, context)
    _ = t.gettext
    commands = _(
        "/start: what this bot is for\n"
        "/orders: your orders\n"
        "/purchases: the purchases you lead\n"
        "/paid, /refund: money a member paid you or you gave back (for heads)\n"
        "/reminders off: no deadline reminders\n"
        "/language: the language I speak with you\n"
        "/mydata: what I keep about you, and forgetting it\n"
        "/help: this list\n"
        "Add me to your community chat to run group purchases there."
    )
    example = Examples.of(t.timezone, context.runtime.clock())
    # Each word on its own: gettext calls inside f-strings are not extracted to the catalog.
    keys = {"title": _("Title"), "item": _("Item"), "deadline": _("Deadline"),
            "pickup": _("Pickup")}  # fmt: skip
    words = {"cheese": _("Farm cheese"), "gouda": _("Gouda 1 kg"), "from": _("from"),
             "pack": _("pack"), "max": _("max"), "hall": _("Community hall")}  # fmt: skip
    template = "\n".join([
        "/new",
        f"{keys['title']}: {words['cheese']}",
        f"{keys['item']}: {words['gouda']} | 8.40; 7.90 {words['from']} 20 | {words['pack']} 4"
        f" | {words['max']} 8",
        f"{keys['deadline']}: {example.deadline}",
        f"{keys['pickup']}: {example.pickup} | {words['hall']} | 20",
    ])  # fmt: skip
    opening = _(
        "/new in your community chat: open a purchase step by step in our private chat, or "
        "send it at once as a template, one line per key, e.g.:"
    )
    options = _(
        "Item options: pack N, min N, max N (per member), stock N, moq N. Delivery: 20.00 "
        "by amount, per unit or per member. If short: fail, ask or extend 24h. Payment: "
        "prepay or postpay."
    )
    catalog = (
        _(
            "Sizes or colours: | variants S, M, L (or | row S, M, L when the supplier sells only "
            "full rows). By weight: Cheese | 18.00 per kg | about 0.5 kg. A photo with the item "
            "as its caption adds the item with its picture; a photo without a caption is the "
            "purchase's picture."
        )
        + " "
        + _("A supplier's price list sent here as a CSV or XLSX file becomes items.")
    )
    platform = _(
        "Campaigns of the platform: /region <name> in your community chat, then /campaigns "
        "there lists those you can sell; operators: /newcampaign, /campaign, /campaign_order, "
        "/campaign_supply; everyone involved: /commission."
    )
    delivery = _(
        "Delivery and scorecards: /point lat, lon and the address (or a shared location) puts "
        "your pickup point on the map; operators: /driver, /routes, /scorecards, /thresholds; "
        "drivers: /myline; heads: /scorecard."
    )
    paying = _(
        "Paying in Telegram: chat admins send /paytoken in the community chat to set its own "
        "payment provider token; members of prepaid purchases then tap 💳 Pay."
    )
    await message.reply_text(
        f"{commands}\n\n{opening}\n<pre>{escape(template)}</pre>\n{escape(options)}\n"
        f"{escape(catalog)}\n\n{escape(platform)}\n{escape(delivery)}\n{escape(paying)}",
        parse_mode=ParseMode.HTML,
    )


async def reminders(update: Update, context: BotContext) -> None:
    """/reminders off (or on): deadline reminders for this person."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    t = person_translator(update, context)
    choice = (context.args or [""])[0].lower()
    if choice not in ("on", "off"):
        await message.reply_text(
            t.gettext("Send /reminders off to stop deadline reminders, /reminders on to get them.")
        )
        return
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        await uow.telegram.mark_started(user.id, rt.clock(), user.language_code)
        await uow.telegram.set_reminders(user.id, on=choice == "on")
        await uow.commit()
    await message.reply_text(
        t.gettext("Deadline reminders are on.")
        if choice == "on"
        else t.gettext("Deadline reminders are off.")
    )


async def orders_in_group(update: Update, context: BotContext) -> None:
    """/orders in a community chat: orders are private, so the answer is the way there, in
    the community's language (the group reads it; her private chat speaks hers)."""
    message = update.effective_message
    if message is None:
        return
    community = await load_community(context, message.chat.id)
    t = community_translator(community) if community else person_translator(update, context)
    link = deep_link(context.bot.username, Start.MY_ORDERS, 0)
    await message.reply_text(
        t.gettext("Your orders are in our private chat, where only you see them."),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(t.gettext("Open my orders"), url=link)]]
        ),
    )


HANDLERS: list[Registration] = [
    in_private("start", start),
    (CommandHandler("orders", orders_in_group, filters=filters.ChatType.GROUPS), 0),
    anywhere("help", show_help),
    in_private("reminders", reminders),
]
# Last of all: a button no other handler took (an old or forged one) gets a polite answer.
FALLBACKS: list[Registration] = [(CallbackQueryHandler(unknown_button), 0)]
