"""Publishing a purchase as a card in the community chat, keeping the card current, and the
+1 taps under it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import Translator
from domain import services
from domain.community import Community
from domain.errors import DomainError
from domain.ports import AlreadyProcessed
from domain.purchase import Purchase
from domain.services import Tap
from domain.views import MemberOrderView, card_summary
from handlers.callback_data import Start, deep_link
from handlers.card_view import card_keyboard, card_text
from handlers.runtime import (
    Runtime,
    callback_or_refusal,
    community_translator,
    person_translator,
    runtime,
)
from storage.telegram_state import CardLocation

log = logging.getLogger(__name__)


async def publish_and_post(
    context: ContextTypes.DEFAULT_TYPE,
    purchase: Purchase,
    community: Community,
    update_id: int | None = None,
    reuse_pay_to: bool = True,
) -> int:
    """Store and open the purchase, then post its card in the community chat (and pin it)."""
    rt = runtime(context)
    unit_of_work = rt.database.unit_of_work(update_id)
    purchase_id = await services.publish_purchase(
        unit_of_work, purchase, rt.clock(), rt.settings.max_fee_percent, reuse_pay_to
    )
    t = community_translator(community)
    message = await context.bot.send_message(
        community.chat_id,
        card_text(t, purchase, card_summary(purchase), rt.clock()),
        parse_mode=ParseMode.HTML,
        reply_markup=card_keyboard(t, purchase, context.bot.username),
    )
    async with rt.database.unit_of_work() as uow:
        await uow.telegram.set_card(purchase_id, CardLocation(message.chat_id, message.message_id))
        await uow.commit()
    try:
        await message.pin(disable_notification=True)
    except BadRequest as error:
        log.info("card of purchase %s not pinned: %s", purchase_id, error.message)
    return purchase_id


def card_editor(rt: Runtime, bot: Bot) -> Callable[[int], Awaitable[None]]:
    """The function the card refresher calls: render the card from the database and edit it."""

    async def edit(purchase_id: int) -> None:
        async with rt.database.unit_of_work() as uow:
            purchase, community = await uow.purchase_and_community(purchase_id)
            location = await uow.telegram.card(purchase_id)
        if purchase is None or location is None or community is None:
            return
        t = community_translator(community)
        await bot.edit_message_text(
            card_text(t, purchase, card_summary(purchase), rt.clock()),
            chat_id=location.chat_id,
            message_id=location.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=card_keyboard(t, purchase, bot.username),
        )

    return edit


def order_toast(t: Translator, view: MemberOrderView, item_id: int) -> str:
    line = next(line for line in view.lines if line.item.item_id == item_id)
    total = t.money(view.due.total) if view.due else ""
    return t.gettext("You're in: {quantity} × {item} — {total} in all").format(
        quantity=line.quantity, item=line.item.name, total=total
    )


def refusal(t: Translator, error: DomainError) -> str:
    """A refused order change, as a toast."""
    return t.gettext("Not added: {reason}").format(reason=t.reason(error))


def not_done(t: Translator, error: DomainError) -> str:
    """A refused action of a head (or of someone posing as one), as a toast."""
    return t.gettext("Not done: {reason}").format(reason=t.reason(error))


async def tap_plus_one(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """+1 under the card: one more unit for the person tapping, answered at once."""
    query = update.callback_query
    if query is None:
        return
    pressed = await callback_or_refusal(update, context)
    if pressed is None:
        return
    _, callback = pressed
    t = person_translator(update, context)
    purchase_id, item_id = callback.args
    rt = runtime(context)
    user = query.from_user
    tap = Tap(update.update_id, user.id, user.full_name, item_id, 1, rt.clock())
    try:
        # With the other taps on this card that arrive meanwhile, in one transaction.
        result = await rt.taps.add_units(purchase_id, tap)
    except AlreadyProcessed:
        return  # a redelivered tap: it was counted and answered the first time
    except DomainError as error:
        await query.answer(refusal(t, error), show_alert=False)
        return
    rt.cards.request(purchase_id)
    view = result.view
    if result.started:
        await query.answer(order_toast(t, view, item_id))
        return
    # A bot cannot write first: the link opens the private chat, where the order is shown.
    await query.answer(
        order_toast(t, view, item_id) + "\n" + t.gettext("Open the bot to see your order."),
        url=deep_link(context.bot.username, Start.MY_ORDER, purchase_id),
    )
