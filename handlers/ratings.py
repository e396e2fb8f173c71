"""A member's rating of a completed purchase (1–5 under the question that comes when it
completes), and the comment she may write right after it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Message, Update

from domain import services
from domain.errors import DomainError
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    end_conversation,
    interrupting,
    on_buttons,
    on_press,
    redraw,
)
from handlers.short_answers import COMMENT, SHORT_ANSWERS
from texts.callback_data import Action
from texts.i18n import Translator

COMMENT_WITHIN = timedelta(minutes=15)


@on_press
async def rate(press: Press) -> None:
    """1–5 under the completion question: the member's rating, once; a comment may follow."""
    purchase_id, stars = press.callback.args
    now = press.rt.clock()
    try:
        await services.rate_purchase(
            press.unit_of_work(), purchase_id, press.actor.user_id, stars, now
        )
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    async with press.rt.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(press.actor.user_id)
        state = interrupting(found, SHORT_ANSWERS) | {
            "rated_purchase_id": purchase_id,
            "rated_at": now.isoformat(),
        }
        await uow.telegram.save_conversation(press.actor.user_id, COMMENT, state, now)
        await uow.commit()
    await press.query.answer(press.t.gettext("Thank you!"))
    message = press.query.message
    if isinstance(message, Message):
        await redraw(
            message,
            press.t.gettext(
                "Thank you: {stars}. If you like, write a comment for the head now (one "
                "message); or just carry on."
            ).format(stars="⭐" * stars),
            None,
        )


async def take_comment(
    update: Update, context: BotContext, state: dict[str, Any], t: Translator
) -> bool:
    """The member's comment on their rating, when it comes soon after it; False when this
    message is not one (too late, or a photo), and it goes on to the other handlers."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    rt = context.runtime
    await end_conversation(context, user.id, state)
    rated_at = datetime.fromisoformat(str(state["rated_at"]))
    if rt.clock() - rated_at > COMMENT_WITHIN or not message.text:
        return False
    try:
        await services.comment_rating(
            rt.database.unit_of_work(update.update_id), int(state["rated_purchase_id"]), user.id,
            message.text,
        )  # fmt: skip
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return True
    await message.reply_text(t.gettext("Your comment is kept with your rating. Thank you!"))
    return True


HANDLERS: list[Registration] = [*on_buttons(rate, Action.RATE)]
