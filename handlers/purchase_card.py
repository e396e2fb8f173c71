"""Publishing a purchase as a card in the community chat, keeping the card current, and the
+1 taps under it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Bot, Message
from telegram.constants import ChatType, ParseMode

from domain import services
from domain.community import Community
from domain.errors import DomainError, UnusualQuantity
from domain.membership import Admission
from domain.ports import AlreadyProcessed, CardLocation
from domain.purchase import Purchase
from domain.services import Tap
from domain.views import MemberOrderView, card_summary
from handlers.admission import admission_by_id, admission_in_chat
from handlers.card_channel import TelegramCardChannel
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    Runtime,
    community_translator,
    on_buttons,
    on_press,
)
from runtime.inbox import PRESSED_ON_IT
from texts.callback_data import Action, Start, deep_link
from texts.card_view import card_keyboard, card_text, check_card_fits
from texts.i18n import Translator

log = logging.getLogger(__name__)


async def publish_and_post(
    context: BotContext,
    purchase: Purchase,
    community: Community,
    update_id: int | None = None,
    reuse_pay_to: bool = True,
    saved: Callable[[], Awaitable[None]] | None = None,
    campaign_id: int | None = None,
) -> int:
    """Publish the purchase (a campaign's part, with `campaign_id`) with its card in the
    community chat, once the card is found to fit (`services.publish_with_card`: a refused
    card raises `CardNotPosted`, saying why). `saved` runs once the purchase is stored."""
    rt = context.runtime

    def fits(purchase: Purchase) -> None:
        check_card_fits(purchase, community.timezone, rt.clock())

    return await services.publish_with_card(
        rt.database, TelegramCardChannel(context.bot, rt), purchase, community, rt.clock(),
        rt.settings.max_fee_percent, update_id, reuse_pay_to, saved, campaign_id, fits,
    )  # fmt: skip


SWEEP_SECONDS = 30.0


async def finish_posting(bot: Bot, rt: Runtime) -> None:
    """The leader's sweep, at start-up and then every half a minute: cards a stopped process
    (or an unanswered send) left to be posted are posted now (`services.post_waiting_cards`).
    A card it may have posted stays in the chat with working buttons; the first tap on it
    retires it (`check_card`). A fault is logged and the sweep goes on."""
    tried: dict[int, datetime] = {}  # purchase → when this sweep last posted its card
    channel = TelegramCardChannel(bot, rt)
    while True:
        try:
            await services.post_waiting_cards(rt.database, channel, tried, rt.clock)
        except Exception:  # a database blip must not end the sweep for the leader's life
            log.exception("posting the cards that wait failed; trying again")
        await asyncio.sleep(SWEEP_SECONDS)


async def check_card(bot: Bot, rt: Runtime, purchase_id: int, tapped: Message) -> None:
    """A tap came from `tapped`, a message in a group: when it is the bot's own card of this
    purchase, `services.card_tapped` adopts it (its send went unanswered) or retires it (a
    twin). A tap on the card this process already knows costs no query."""
    location = CardLocation(tapped.chat.id, tapped.message_id)
    if rt.recorded_cards.get(purchase_id) == (location.chat_id, location.message_id):
        return
    if tapped.api_kwargs.get(PRESSED_ON_IT) is not True:
        return  # the data pressed is on none of its buttons (forged): not this purchase's card
    if tapped.from_user is None or tapped.from_user.id != bot.id or tapped.forward_origin:
        return  # not the bot's own card (a forwarded copy): nothing to adopt or retire
    await services.card_tapped(rt.database, TelegramCardChannel(bot, rt), purchase_id, location)


def card_editor(rt: Runtime, bot: Bot) -> Callable[[int], Awaitable[None]]:
    """The function the card refresher calls: render the card and edit it. It reads the state
    the last tap committed (the aggregate cache's copy, kept while the purchase's version is
    the same) beside the writers, waiting for none of them."""

    async def edit(purchase_id: int) -> None:
        async with rt.database.reading() as uow:
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
    toast = t.gettext("You're in: {quantity} × {item} — {total} in all").format(
        quantity=line.quantity, item=line.item.label, total=total
    )
    if view.due is not None and view.due.is_estimate and view.due.delivery.minor:
        # The first to join carries the whole delivery cost until others share it.
        toast += " " + t.gettext("(with {delivery} delivery, less as others join)").format(
            delivery=t.money(view.due.delivery)
        )
    return toast[:200]  # Telegram shows at most 200 characters in a toast


def refusal(t: Translator, error: DomainError) -> str:
    """A refused order change, as a toast."""
    return t.gettext("Not added: {reason}").format(reason=t.reason(error))


def not_done(t: Translator, error: DomainError) -> str:
    """A refused action of a head (or of someone posing as one), as a toast."""
    return t.gettext("Not done: {reason}").format(reason=t.reason(error))


@on_press
async def tap_plus_one(press: Press) -> None:
    """+1 under the card: one more unit for the person tapping, answered at once."""
    purchase_id, item_id = press.callback.args
    query, t, rt = press.query, press.t, press.rt
    user = query.from_user
    try:
        admission = await tap_admission(press, purchase_id)
        tap = Tap(
            press.update.update_id, user.id, user.full_name, item_id, 1, rt.clock(), admission
        )
        # With the other taps on this card that arrive meanwhile, in one transaction.
        result = await rt.taps.add_units(purchase_id, tap)
    except AlreadyProcessed:
        return  # a redelivered tap: it was counted and answered the first time
    except DomainError as error:
        said = refusal(t, error)
        if isinstance(error, UnusualQuantity):  # the editor asks, where a tap cannot
            said += "\n" + t.gettext("For more, use My order: it asks you to confirm.")
        await query.answer(said[:200], show_alert=False)
        await check_tapped_card(press, purchase_id)  # a twin left open-looking goes too
        return
    rt.cards.request(purchase_id)
    if (user.id, purchase_id) in rt.editors:  # her editor follows the card, not the old count
        rt.editor_redraws.request((user.id, purchase_id))
    view = result.view
    if result.started:
        await query.answer(order_toast(t, view, item_id))
    else:  # A bot cannot write first: the link opens the private chat, where the order shows.
        await query.answer(
            order_toast(t, view, item_id) + "\n" + t.gettext("Open the bot to see your order."),
            url=deep_link(press.context.bot.username, Start.MY_ORDER, purchase_id),
        )
    await check_tapped_card(press, purchase_id)


async def tap_admission(press: Press, purchase_id: int) -> Admission:
    """Who the tapping person is for this purchase: a member of the chat the card is in costs
    nothing once known; a tap from anywhere else is asked of the purchase's own chat."""
    bot, user_id, card = press.context.bot, press.query.from_user.id, press.query.message
    if card is not None and card.chat.type != ChatType.PRIVATE:
        return await admission_in_chat(press.rt, bot, user_id, card.chat.id, purchase_id)
    return await admission_by_id(press.rt, bot, user_id, purchase_id)


async def check_tapped_card(press: Press, purchase_id: int) -> None:
    card = press.query.message
    if isinstance(card, Message) and card.chat.type != ChatType.PRIVATE:
        await check_card(press.context.bot, press.rt, purchase_id, card)


HANDLERS: list[Registration] = on_buttons(tap_plus_one, Action.JOIN)
