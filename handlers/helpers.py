"""Helpers: neighbours the head lets hand goods over at the pickup (and take the cash then).

The head adds one in the private chat by a member's name or number (`/helper 7 Alice`), or in
the community chat by replying to the neighbour's message with `/helper 7`; `/helper 7` alone
lists them, each with a button to remove. A helper must be in the community chat.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from domain import services
from domain.confirmation import AlreadyTaken, StaleAnswer
from domain.errors import DomainError
from domain.ports import AlreadyProcessed
from domain.purchase import Purchase
from domain.views import find_member
from handlers.head_commands import asked_at
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    actor_for,
    anywhere,
    is_chat_member,
    managed_purchase,
    on_buttons,
    on_press,
    person_translator,
    purchase_command,
    redraw,
)
from texts import notices
from texts.callback_data import Action, encode
from texts.i18n import Translator
from texts.step_questions import helper_removal


def helpers_text(t: Translator, purchase: Purchase) -> tuple[str, InlineKeyboardMarkup | None]:
    if not purchase.helpers:
        return t.gettext(
            "{title} has no helpers. Add one with /helper {id} followed by a member's name or "
            "number, or reply to a neighbour's message in the group with /helper {id}."
        ).format(title=notices.title(purchase), id=purchase.id), None
    names = ", ".join(escape(name) for name in purchase.helpers.values())
    rows = [
        [InlineKeyboardButton(
            t.gettext("✖ Remove {name}").format(name=name)[:64],
            callback_data=encode(Action.HELPER_REMOVE, purchase.id, user_id),
        )]
        for user_id, name in purchase.helpers.items()
    ]  # fmt: skip
    text = t.gettext("Helpers of {title}: {names}. They can hand goods over and take cash.")
    return text.format(title=notices.title(purchase), names=names), InlineKeyboardMarkup(rows)


async def add_helper(update: Update, context: BotContext) -> None:
    """/helper <purchase> [member] in the private chat, or as a reply in the community."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = context.runtime
    actor = actor_for(update, context)
    purchase_id, target = purchase_command(message.text)
    replied = message.reply_to_message.from_user if message.reply_to_message else None
    in_group = message.chat.type != "private"
    if purchase_id is None or (in_group and (replied is None or replied.is_bot)):
        await message.reply_text(
            t.gettext(
                "Send /helper 7 followed by a member's name or number in our private chat, or "
                "reply to a neighbour's message in the group with /helper 7 (7 is the "
                "purchase's number)."
            )
        )
        return
    try:
        purchase = await managed_purchase(context, purchase_id, actor)
        if in_group:
            assert replied is not None
            if message.chat.id != purchase.community_id:
                await message.reply_text(t.gettext("This purchase belongs to another chat."))
                return
            user_id, name = replied.id, replied.full_name
        elif target:
            user_id = find_member(purchase, target)
            name = purchase.members[user_id].name
        else:
            text, markup = helpers_text(t, purchase)
            await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            return
        if not await _in_community(context, purchase.community_id, user_id):
            await message.reply_text(
                t.gettext("{name} is not in the community chat, so cannot help.").format(name=name)
            )
            return
        await services.add_helper(
            rt.database.unit_of_work(update.update_id), purchase_id, actor, user_id, name
        )
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    await message.reply_text(
        t.gettext(
            "{name} now helps hand over {title}: they send me a member's code, or scan the "
            "member's QR code, and can take the cash."
        ).format(name=name, title=purchase.title)
    )


async def _in_community(context: BotContext, chat_id: int, user_id: int) -> bool:
    try:
        return await is_chat_member(context, chat_id, user_id)
    except TelegramError:  # Telegram does not know them there
        return False


@on_press
async def helpers_button(press: Press) -> None:
    """The panel's Helpers: who helps, each with Remove, and how to add one."""
    try:
        purchase = await managed_purchase(press.context, press.callback.args[0], press.actor)
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    await press.query.answer()
    text, markup = helpers_text(press.t, purchase)
    await press.context.bot.send_message(
        press.query.from_user.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


@on_press
async def remove_helper_button(press: Press) -> None:
    """Remove, Yes or Back under the helpers: removing asks once; Back shows the list again."""
    purchase_id, action = press.callback.args[0], press.callback.action
    try:
        if action is Action.HELPER_REMOVE_CONFIRM:
            helper_id, asked = press.callback.args[1], press.callback.args[2]
            await services.remove_helper(
                press.unit_of_work(), purchase_id, press.actor, helper_id,
                asked_at(asked), press.rt.clock(),
            )  # fmt: skip
        purchase = await managed_purchase(press.context, purchase_id, press.actor)
    except AlreadyProcessed:
        return
    except (StaleAnswer, AlreadyTaken) as error:  # the list as it is now instead
        await press.query.answer(not_done(press.t, error), show_alert=True)
        await _show(press, *helpers_text(press.t, await _purchase(press, purchase_id)))
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    if action is Action.HELPER_REMOVE and press.callback.args[1] in purchase.helpers:
        await press.query.answer()
        await _show(
            press, *helper_removal(press.t, purchase, press.callback.args[1], press.rt.clock())
        )
        return
    await press.query.answer(
        press.t.gettext("Removed.") if action is Action.HELPER_REMOVE_CONFIRM else None
    )
    await _show(press, *helpers_text(press.t, purchase))


async def _purchase(press: Press, purchase_id: int) -> Purchase:
    return await managed_purchase(press.context, purchase_id, press.actor)


async def _show(press: Press, text: str, markup: InlineKeyboardMarkup | None) -> None:
    if isinstance(press.query.message, Message):
        await redraw(press.query.message, text, markup)


HANDLERS: list[Registration] = [
    anywhere("helper", add_helper),
    *on_buttons(
        remove_helper_button,
        Action.HELPER_REMOVE,
        Action.HELPER_REMOVE_CONFIRM,
        Action.HELPERS_LIST,
    ),
    *on_buttons(helpers_button, Action.HEAD_HELPERS),
]
