"""When a handler fails: log it once, and tell the person instead of leaving a spinner.

A fault (the database gone away, a bug) must not leave a tapped button spinning until the
client gives up, nor a command without an answer. The unit of work rolled back, so nothing of
the failed update was saved, and saying "tap again" is honest.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from handlers.runtime import BotContext, person_translator

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    log.error("handling an update failed", exc_info=context.error)
    if not isinstance(update, Update) or context.bot_data.runtime is None:
        return
    t = person_translator(update, context)
    message = update.effective_message
    try:
        if update.pre_checkout_query is not None:
            # Said at once, rather than leaving Telegram to give up after its 10 seconds.
            await update.pre_checkout_query.answer(
                ok=False,
                error_message=t.gettext(
                    "Something went wrong; nothing was charged. Please try again."
                ),
            )
        elif message is not None and message.successful_payment is not None:
            # The money moved: "try again" would have them pay twice.
            await message.reply_text(
                t.gettext(
                    "⚠️ Your payment went through, but I could not record it just now. Do not "
                    "pay again: show the head this charge id: <code>{charge}</code>"
                ).format(charge=message.successful_payment.telegram_payment_charge_id),
                parse_mode=ParseMode.HTML,
            )
        elif update.callback_query is not None:
            # Already answered (the fault came after the toast) is refused; that is fine.
            await update.callback_query.answer(
                t.gettext("Something went wrong and nothing was changed. Please tap again."),
                show_alert=True,
            )
        elif update.effective_message is not None and (
            update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE
        ):
            await update.effective_message.reply_text(
                t.gettext("Something went wrong and nothing was changed. Please try again.")
            )
    except TelegramError as error:
        log.info("could not tell the person about the failure: %s", error)
