"""What a person reads when they send faster than the bot can answer them: an update beyond
what one person may have waiting is not taken (runtime/update_processor.py, runtime/lanes.py),
a press says so at once, and the person gets one note to slow down per flood."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError

from handlers.runtime import Runtime, update_translator


async def turn_away(rt: Runtime, update: Update, first: bool) -> None:
    """An update not taken: a pressed button hears it was not taken (so nobody thinks it
    counted); the first of a flood also brings a note to slow down, in the private chat."""
    t = update_translator(rt, update)
    with contextlib.suppress(TelegramError):  # a courtesy: nothing depends on it arriving
        if update.callback_query is not None:
            await update.callback_query.answer(
                t.gettext("Too many at once: this press was not taken. Wait a moment, then "
                          "press again."),
                show_alert=first,
            )  # fmt: skip
        user = update.effective_user
        if first and user is not None and not user.is_bot:
            await update.get_bot().send_message(
                user.id,
                t.gettext(
                    "You are sending faster than I can answer, so I skipped some of it. Wait "
                    "until my answers catch up, then go on."
                ),
            )
