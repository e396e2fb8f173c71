"""The wizard's last screens: the preview of the card with Publish, Edit and Cancel, the
menu of fields to change, and publishing (the card posted in the community's chat).
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from domain.errors import DomainError
from domain.purchase import Purchase
from domain.views import card_summary
from handlers.card_channel import send_photos
from handlers.purchase_card import publish_and_post
from handlers.runtime import (
    BotContext,
    person_translator,
    redraw,
)
from handlers.wizard_steps import (
    DONE,
    FIELD_LABELS,
    Step,
    Wizard,
    field_label,
    payment_terms,
)
from texts.callback_data import Action, encode
from texts.card_view import MAX_MESSAGE_LENGTH, card_text, check_card_fits, visible_length
from texts.i18n import Translator


async def edit_menu(update: Update, context: BotContext, t: Translator) -> None:
    chat = update.effective_chat
    assert chat is not None
    buttons = [
        InlineKeyboardButton(field_label(t, step), callback_data=encode(Action.WIZARD_FIELD, step))
        for step in FIELD_LABELS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    back = t.gettext("↩️ Back to the preview")
    to_preview = encode(Action.WIZARD_FIELD, Step.PREVIEW)
    rows.append([InlineKeyboardButton(back, callback_data=to_preview)])
    await context.bot.send_message(
        chat.id, t.gettext("What do you want to change?"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def show_preview(
    update: Update,
    context: BotContext,
    wizard: Wizard,
    edit: Message | None = None,
) -> None:
    """The card as it would be published, with Publish, who may join, Edit and Cancel; with
    `edit`, that preview is redrawn in place (its photos are above it already)."""
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None and user is not None
    rt = context.runtime
    t = person_translator(update, context, wizard.community)
    edit_button, cancel_button = _edit_button(t), _cancel_button(t)
    try:
        purchase = wizard.form.to_purchase(
            wizard.community.chat_id, user.id, wizard.community.currency, rt.clock(),
            rt.settings.max_fee_percent,
        )  # fmt: skip
        check_card_fits(purchase, wizard.community.timezone, rt.clock())
    except DomainError as error:
        await context.bot.send_message(
            chat.id,
            t.gettext("Almost there, but: {reason}. Press Edit to fix it.").format(
                reason=escape(t.reason(error))
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[edit_button, cancel_button]]),
        )
        return
    heading = t.gettext("Preview of the card for {title}:").format(
        title=escape(wizard.community.title)
    )
    preview = heading + "\n\n" + card_text(t, purchase, card_summary(purchase), rt.clock())
    terms = payment_terms(t, purchase)
    terms_apart = visible_length(preview + "\n\n" + terms) > MAX_MESSAGE_LENGTH
    if not terms_apart:
        preview += "\n\n" + terms
    publish_button = InlineKeyboardButton(
        t.gettext("Publish"), callback_data=encode(Action.WIZARD_PUBLISH)
    )
    markup = InlineKeyboardMarkup(
        [[publish_button], [access_button(t, purchase)], [edit_button, cancel_button]]
    )
    if edit is not None and not terms_apart:
        await redraw(edit, preview, markup)
        return
    await send_photos(context.bot, chat.id, t, purchase)
    if terms_apart:  # a card near the limit: its payment terms go first, in a message of their own
        await context.bot.send_message(chat.id, terms, parse_mode=ParseMode.HTML)
    await context.bot.send_message(chat.id, preview, parse_mode=ParseMode.HTML, reply_markup=markup)


def _edit_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(t.gettext("Edit"), callback_data=encode(Action.WIZARD_EDIT))


def _cancel_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(t.gettext("Cancel"), callback_data=encode(Action.WIZARD_CANCEL))


def access_button(t: Translator, purchase: Purchase) -> InlineKeyboardButton:
    """Who may join, switched in the preview: the chat's members (as every purchase starts) or
    anyone the card's link reaches (docs/security.md)."""
    if purchase.open_to_link:
        label, opened = t.gettext("🔒 Keep it to the chat's members"), 0
    else:
        label, opened = t.gettext("🔓 Let anyone with the link join"), 1
    return InlineKeyboardButton(label, callback_data=encode(Action.WIZARD_ACCESS, opened))


async def publish(update: Update, context: BotContext, wizard: Wizard, t: Translator) -> None:
    rt = context.runtime
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    ended: list[bool] = []  # the purchase is stored and the wizard over: nothing to keep

    async def end() -> None:
        await end_wizard(update, context, wizard.community.chat_id)
        ended.append(True)

    try:
        purchase = wizard.form.to_purchase(
            wizard.community.chat_id, user.id, wizard.community.currency, rt.clock(),
            rt.settings.max_fee_percent,
        )  # fmt: skip
        # The head answered "where do members pay": an empty answer means none.
        await publish_and_post(
            context, purchase, wizard.community, update.update_id, reuse_pay_to=False,
            saved=end, campaign_id=wizard.campaign_id,
        )  # fmt: skip
    except DomainError as error:
        reason = t.reason(error)
        if ended:
            await context.bot.send_message(
                chat.id, t.gettext("Not published: {reason}").format(reason=reason)
            )
            return
        # Refused before anything was stored: the purchase in the making stays, to mend.
        said = t.gettext(
            "Not published: {reason}.\nYour purchase is kept as it is: press Edit to change it."
        ).format(reason=reason)
        again = InlineKeyboardButton(
            t.gettext("Publish"), callback_data=encode(Action.WIZARD_PUBLISH)
        )
        await context.bot.send_message(
            chat.id, said,
            reply_markup=InlineKeyboardMarkup([[again], [_edit_button(t), _cancel_button(t)]]),
        )  # fmt: skip
        return
    published = (
        t.gettext("Published in {title}. Members can join from the card there, and anyone "
                  "with its link.")
        if purchase.open_to_link
        else t.gettext("Published in {title}. Members can join from the card there.")
    )  # fmt: skip
    await context.bot.send_message(chat.id, published.format(title=wizard.community.title))


async def end_wizard(update: Update, context: BotContext, community_id: int) -> None:
    """Out of the wizard (the purchase is saved, or dropped): only the community is kept."""
    user = update.effective_user
    assert user is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        state: dict[str, Any] = {"community_id": community_id}
        await uow.telegram.save_conversation(user.id, DONE, state, rt.clock())
        await uow.commit()
