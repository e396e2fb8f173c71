"""Publishing a purchase as a card in the community chat, keeping the card current, and the
+1 taps under it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram import Bot, InputMediaPhoto, Message
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from domain import services
from domain.community import Community
from domain.errors import N_, DomainError, UnusualQuantity
from domain.membership import Admission
from domain.ports import AlreadyProcessed, CardLocation
from domain.purchase import Purchase, PurchaseStatus
from domain.services import Tap
from domain.views import MemberOrderView, card_summary
from handlers.admission import admission_by_id, admission_in_chat
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    Runtime,
    community_translator,
    on_buttons,
    on_press,
    written_to_translator,
)
from runtime.inbox import PRESSED_ON_IT
from texts.callback_data import Action, Start, deep_link
from texts.card_view import card_keyboard, card_text, check_card_fits, photo_album
from texts.i18n import Translator

log = logging.getLogger(__name__)


async def publish_and_post(
    context: BotContext,
    purchase: Purchase,
    community: Community,
    update_id: int | None = None,
    reuse_pay_to: bool = True,
    saved: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Check that the card fits, open the purchase noting that its card is to be posted (one
    transaction), post the card in the community chat and record where it is (and pin it).
    Taps on the card count from the moment it appears; a card Telegram refuses returns the
    purchase to a draft nobody sees (`CardNotPosted` says why). `saved` runs once the purchase
    is stored (the wizard ends there: pressing Publish again makes no twin)."""
    rt = context.runtime
    check_card_fits(purchase, community.timezone, rt.clock())
    purchase_id = await services.open_with_card(
        rt.database.unit_of_work(update_id), purchase, rt.clock(), rt.settings.max_fee_percent,
        community.chat_id, reuse_pay_to,
    )  # fmt: skip
    if saved is not None:
        await saved()
    await post_card(context.bot, rt, purchase_id)
    return purchase_id


async def send_photos(
    bot: Bot, chat_id: int, t: Translator, purchase: Purchase, items_only: bool = False
) -> None:
    """The purchase's photos before its card: one photo, or an album of them. A photo
    Telegram no longer serves (a price list's address gone) costs the photos, not the card."""
    album = photo_album(t, purchase, items_only)
    try:
        if len(album) == 1:
            ((file_id, caption),) = album
            await bot.send_photo(chat_id, file_id, caption=caption, parse_mode=ParseMode.HTML)
        elif album:
            await bot.send_media_group(
                chat_id,
                [InputMediaPhoto(file_id, caption=caption, parse_mode=ParseMode.HTML)
                 for file_id, caption in album],
            )  # fmt: skip
    except TelegramError as error:
        log.info("photos of purchase %s not sent: %s", purchase.id, error.message)


class CardNotPosted(DomainError):
    """Telegram refused the card (the bot left the chat, may not write there...)."""


def _may_be_posted(error: TelegramError) -> bool:
    """No answer (the card may be in the chat) or "not now" (flood control): the card is still
    to be posted. Anything else is Telegram's refusal."""
    unanswered = isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    return unanswered or isinstance(error, RetryAfter)


async def post_card(bot: Bot, rt: Runtime, purchase_id: int, photos: bool = True) -> None:
    """Post the card of a purchase opened for it and record where it is. Refused, the purchase
    goes back to a draft and `CardNotPosted` says why. Unanswered (a time-out: the card may or
    may not be in the chat), it stays to be posted: a tap on the card adopts it, else
    `finish_posting` posts it again. A purchase that stopped or went meanwhile gets no card."""
    async with rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
        chat_id = await uow.telegram.card_awaited(purchase_id)
        if chat_id is not None and (purchase is None or purchase.status is not PurchaseStatus.OPEN):
            await uow.telegram.forget_awaited_card(purchase_id)
            await uow.commit()
            return
    if purchase is None or community is None or chat_id is None:
        return
    t = community_translator(community)
    if photos:
        await send_photos(bot, chat_id, t, purchase)
    try:
        message = await bot.send_message(
            chat_id,
            card_text(t, purchase, card_summary(purchase), rt.clock()),
            parse_mode=ParseMode.HTML,
            reply_markup=card_keyboard(t, purchase, bot.username),
        )
    except TelegramError as error:
        if _may_be_posted(error):
            log.warning("card of purchase %s: no answer from Telegram (%s)", purchase_id, error)
            return
        now = await services.card_refused(rt.database.unit_of_work(), purchase_id)
        if now is PurchaseStatus.DRAFT:
            raise CardNotPosted(
                N_("I could not post the card in {chat} ({reason}), so nothing was published"),
                chat=community.title, reason=error.message,
            ) from None  # fmt: skip
        if now is not PurchaseStatus.OPEN:  # a card was recorded meanwhile, or it stopped
            return
        raise CardNotPosted(
            N_("I could not post the card in {chat} ({reason}); the purchase stays open, "
               "without a card, for those who already ordered by its link"),
            chat=community.title, reason=error.message,
        ) from None  # fmt: skip
    await record_card(bot, rt, purchase_id, CardLocation(message.chat_id, message.message_id))


async def record_card(bot: Bot, rt: Runtime, purchase_id: int, location: CardLocation) -> None:
    """Note where the card went, if its card is still awaited there. Of two cards (a tap
    adopted one whose send went unanswered, another process posted it again) the one recorded
    first stays, pinned, and redrawn when taps came before it was recorded; the other goes."""
    async with rt.database.unit_of_work() as uow:
        first = await uow.telegram.card_posted(purchase_id, location)
        await uow.commit()
    if not first:
        async with rt.database.unit_of_work() as uow:
            recorded = await uow.telegram.card(purchase_id)
        if recorded != location:  # another card won, or none is awaited any more
            await retire_card(bot, location)
        return
    rt.remember_card(purchase_id, location.chat_id, location.message_id)
    async with rt.database.unit_of_work() as uow:  # read after the card is recorded: no tap
        purchase = await uow.purchases.read(purchase_id)  # before it goes without a redraw
    if purchase is not None and purchase.participant_ids():
        rt.cards.request(purchase_id)
    try:
        await bot.pin_chat_message(location.chat_id, location.message_id, disable_notification=True)
    except TelegramError as error:
        log.info("card of purchase %s not pinned: %s", purchase_id, error.message)


async def retire_card(bot: Bot, location: CardLocation) -> None:
    """A second card of one purchase (a send that went unanswered, then posted again): the
    one recorded stays, this one goes, so no card shows a stale count."""
    try:
        await bot.delete_message(location.chat_id, location.message_id)
    except TelegramError as error:  # too old to delete: at least its buttons go
        log.info("card twin %s not deleted: %s", location, error)
        with contextlib.suppress(TelegramError):
            await bot.edit_message_reply_markup(location.chat_id, location.message_id)


# A card still to be posted this long after its purchase opened was left by a process that
# stopped (or got no answer) between posting and recording it; younger ones may be under way
# (a send waits its turn under a busy group's 20 messages a minute).
UNPOSTED_CARD_AGE = timedelta(minutes=5)
SWEEP_SECONDS = 30.0


async def finish_posting(bot: Bot, rt: Runtime) -> None:
    """The leader's sweep, at start-up and then every half a minute: cards a stopped process
    (or an unanswered send) left to be posted are posted now (without the photos, which went
    before the first try). A card it may have posted stays in the chat with working buttons;
    the first tap on it retires it (`check_card`). A fault is logged and the sweep goes on."""
    tried: dict[int, datetime] = {}  # purchase → when this sweep last posted its card
    while True:
        try:
            await post_waiting_cards(bot, rt, tried)
        except Exception:  # a database blip must not end the sweep for the leader's life
            log.exception("posting the cards that wait failed; trying again")
        await asyncio.sleep(SWEEP_SECONDS)


async def post_waiting_cards(bot: Bot, rt: Runtime, tried: dict[int, datetime]) -> None:
    """Each card waiting five minutes since its purchase opened, or since this sweep last
    posted it (a card Telegram keeps not answering is not posted every half a minute)."""
    async with rt.database.unit_of_work() as uow:
        waiting = await uow.purchases.get_many(await uow.telegram.cards_being_posted())
    for purchase in waiting:
        since = max(purchase.created_at, tried.get(purchase.id, purchase.created_at))
        if rt.clock() - since < UNPOSTED_CARD_AGE:
            continue
        tried[purchase.id] = rt.clock()
        try:
            await post_card(bot, rt, purchase.id, photos=False)
        except CardNotPosted as error:  # the head was told "Published" (or nothing) before
            await tell_head_not_posted(rt, purchase.id, error)
        except Exception:  # one purchase's fault holds up none of the others
            log.exception("the card of purchase %s was not posted", purchase.id)
    still = {purchase.id: tried[purchase.id] for purchase in waiting if purchase.id in tried}
    tried.clear()  # forget the cards posted since: only those still waiting are remembered
    tried.update(still)


async def tell_head_not_posted(rt: Runtime, purchase_id: int, error: DomainError) -> None:
    async with rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.read(purchase_id)
        assert purchase is not None  # purchases are never deleted
        community = await uow.communities.get(purchase.community_id)
        languages = await uow.telegram.languages([purchase.head_id])
        t = written_to_translator(languages, purchase.head_id, community)
        text = t.gettext("Purchase “{title}”: {reason}").format(
            title=purchase.title, reason=t.reason(error)
        )
        await uow.outbox.enqueue(
            f"card-refused:{purchase_id}", purchase.head_id, {"text": text}, rt.clock()
        )
        await uow.commit()


async def check_card(bot: Bot, rt: Runtime, purchase_id: int, tapped: Message) -> None:
    """A tap came from `tapped`, the bot's own card of this purchase in a group. While the
    purchase's card awaits recording there, that is the card (its send went unanswered: it is
    adopted); a card other than the one recorded is a twin (retired). A tap on the card this
    process already knows costs no query."""
    location = CardLocation(tapped.chat.id, tapped.message_id)
    if rt.recorded_cards.get(purchase_id) == (location.chat_id, location.message_id):
        return
    if tapped.api_kwargs.get(PRESSED_ON_IT) is not True:
        return  # the data pressed is on none of its buttons (forged): not this purchase's card
    if tapped.from_user is None or tapped.from_user.id != bot.id or tapped.forward_origin:
        return  # not the bot's own card (a forwarded copy): nothing to adopt or retire
    async with rt.database.reading() as uow:
        recorded = await uow.telegram.card(purchase_id)
        awaited_in = await uow.telegram.card_awaited(purchase_id)
    if recorded is None:
        if awaited_in == location.chat_id:
            await record_card(bot, rt, purchase_id, location)
        elif awaited_in is None:  # its card was let go (the purchase stopped while it waited)
            await retire_card(bot, location)
        return
    if recorded != location and recorded.chat_id == location.chat_id:
        await retire_card(bot, location)
    rt.remember_card(purchase_id, recorded.chat_id, recorded.message_id)


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
