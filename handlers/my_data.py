"""/mydata: a person gets what the bot keeps about her as a file, and may ask to be forgotten
(asked once, since it cannot be undone). In a group nothing personal is posted."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from telegram import InputFile, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from domain import services
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    anywhere,
    on_buttons,
    on_press,
    person_translator,
)
from texts import my_data_view as view
from texts.callback_data import Action

# How long "Yes, forget me" stands for the plan it was shown under.
CONFIRM_WITHIN = timedelta(minutes=10)


async def my_data_command(update: Update, context: BotContext) -> None:
    """Send the person her data as a JSON file, with the button to be forgotten."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    t = person_translator(update, context)
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(view.in_group(t))
        return
    rt = context.runtime
    found = await services.my_data(rt.database.unit_of_work(), user.id, rt.clock())
    await message.reply_document(
        InputFile(view.data_file(found), filename=view.FILE_NAME),
        caption=view.caption(t),
        reply_markup=view.ask_markup(t, user.id),
    )


async def _is_hers(press: Press) -> bool:
    """The button names the person it was sent to; anyone else's press changes nothing."""
    if press.callback.args[0] == press.actor.user_id:
        return True
    await press.query.answer(press.t.gettext("This button is not yours."))
    return False


@on_press
async def forget_ask(press: Press) -> None:
    """Say what forgetting her would do, or why not yet."""
    if not await _is_hers(press):
        return
    user_id, rt, t = press.actor.user_id, press.rt, press.t
    plan = await services.erasure_plan(rt.database.unit_of_work(), user_id, rt.clock())
    await press.query.answer()
    if plan.refusal is not None:
        text, markup = view.refusal(t, plan.refusal), None
    else:
        text, markup = view.confirmation(t, plan), view.confirm_markup(t, user_id, rt.clock())
    await press.context.bot.send_message(
        user_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


@on_press
async def forget_confirm(press: Press) -> None:
    """Forget her, as she was told minutes ago; the buttons go with it, so an old Yes pressed
    after she joined something new cannot take that away unread."""
    if not await _is_hers(press):
        return
    user_id, rt, t = press.actor.user_id, press.rt, press.t
    try:
        asked_at = datetime.fromtimestamp(press.callback.args[1], UTC)
    except (OverflowError, OSError, ValueError):  # a forged time no clock has
        asked_at = datetime.min.replace(tzinfo=UTC)
    if not timedelta(0) <= rt.clock() - asked_at <= CONFIRM_WITHIN:
        await press.query.answer(
            t.gettext("This question is too old: send /mydata and ask again."), show_alert=True
        )
        await _without_buttons(press)
        return
    await _without_buttons(press)
    plan = await services.forget_me(rt.database.unit_of_work(), user_id, rt.clock())
    if plan.refusal is not None:  # she took a role since she was asked
        await press.query.answer()
        await press.context.bot.send_message(
            user_id, view.refusal(t, plan.refusal), parse_mode=ParseMode.HTML
        )
        return
    for purchase_id in plan.cards:
        rt.cards.request(purchase_id)
    if not plan.at_end:  # forgotten outside purchases too (else when the last one ends)
        # Her language choice is cached in every process, not only in the database.
        rt.chosen_languages.pop(user_id, None)
        rt.language_chosen(user_id, None)
    await press.query.answer(t.gettext("Done."))
    await press.context.bot.send_message(user_id, view.done(t, plan), parse_mode=ParseMode.HTML)


@on_press
async def forget_cancel(press: Press) -> None:
    """She keeps her data: the question goes, nothing changes."""
    if not await _is_hers(press):
        return
    await press.query.answer(press.t.gettext("Kept: nothing was forgotten."))
    await _without_buttons(press)


async def _without_buttons(press: Press) -> None:
    with contextlib.suppress(TelegramError):  # already without them (a second press)
        await press.query.edit_message_reply_markup(None)


HANDLERS: list[Registration] = [
    anywhere("mydata", my_data_command),
    *on_buttons(forget_ask, Action.FORGET_ASK),
    *on_buttons(forget_confirm, Action.FORGET_CONFIRM),
    *on_buttons(forget_cancel, Action.FORGET_CANCEL),
]
