"""/new in a community chat: a button into the private-chat wizard, or, with the template
below the command, the purchase published at once (sent as a photo's caption, with the photo
above its card)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CommandHandler,
    MessageHandler,
    filters,
)

from domain.errors import DomainError
from domain.form_fields import FormError
from domain.ports import AlreadyProcessed
from domain.purchase_form import TemplateContext, parse_template
from handlers.community import GROUP_TYPES
from handlers.purchase_card import publish_and_post
from handlers.runtime import (
    BotContext,
    Registration,
    community_translator,
    ensure_community,
    is_chat_admin,
)
from texts.callback_data import Start, deep_link


async def new_in_group(update: Update, context: BotContext) -> None:
    """/new in the community chat."""
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    if message is None or chat is None or user is None or chat.type not in GROUP_TYPES:
        return
    community = await ensure_community(context, chat)
    t = community_translator(community)
    if not community.may_open_purchases(await is_chat_admin(context, chat.id, user.id)):
        await message.reply_text(t.gettext("In this community only chat admins open purchases."))
        return
    body = (message.text or message.caption or "").partition("\n")[2]
    if message.document is not None:  # a picture sent as a file: Telegram keeps no photo of it
        await message.reply_text(
            t.gettext(
                "The purchase was not published: that is a file, not a photo. Send the picture "
                "as a photo with the template as its caption."
            )
        )
        return
    if not body.strip():
        link = deep_link(context.bot.username, Start.NEW_PURCHASE, chat.id)
        await message.reply_text(
            t.gettext("Let's set up the purchase in a private chat, step by step."),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(t.gettext("Open a purchase"), url=link)]]
            ),
        )
        return
    rt = context.runtime
    try:
        form = parse_template(
            body,
            TemplateContext(community.currency, community.timezone, rt.clock()),
            first_line=2,  # below the /new line
        )
        if message.photo:
            form.photo = message.photo[-1].file_id
        purchase = form.to_purchase(
            chat.id, user.id, community.currency, rt.clock(), rt.settings.max_fee_percent
        )
        await publish_and_post(context, purchase, community, update.update_id)
    except AlreadyProcessed:
        return
    except (FormError, DomainError) as error:
        await message.reply_text(
            t.gettext("The purchase was not published: {reason}").format(reason=t.reason(error))
        )
        return
    async with rt.database.unit_of_work() as uow:
        reachable = await uow.telegram.started_among([user.id])
    if user.id not in reachable:  # Telegram lets a bot write only to those who opened it
        await message.reply_text(
            t.gettext(
                "Published. {name}, I cannot write to you yet, so the digests of who joined "
                "and the supplier order cannot reach you: open our private chat once, with "
                "the button below."
            ).format(name=user.first_name),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            t.gettext("Open the private chat"),
                            url=f"https://t.me/{context.bot.username}",
                        )
                    ]
                ]
            ),
        )


# "/new" (or "/new@bot") at the start of a caption: Telegram's commands are text only.
NEW_COMMAND = r"^/new(@\w+)?(\s|$)"


HANDLERS: list[Registration] = [
    (CommandHandler("new", new_in_group, filters=filters.ChatType.GROUPS), 0),
    (
        MessageHandler(
            filters.ChatType.GROUPS
            & (filters.PHOTO | filters.Document.ALL)
            & filters.CaptionRegex(NEW_COMMAND),
            new_in_group,
        ),
        0,
    ),
]
