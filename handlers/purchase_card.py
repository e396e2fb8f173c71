"""Publishing a purchase as a card in the community chat, keeping the card current, and the
+1 taps under it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from domain import services
from domain.community import Community
from domain.errors import N_, DomainError
from domain.ports import AlreadyProcessed, CardLocation
from domain.purchase import Purchase, PurchaseStatus
from domain.services import Tap
from domain.views import MemberOrderView, card_summary
from handlers.runtime import (
    Press,
    Registration,
    Runtime,
    community_translator,
    on_buttons,
    on_press,
    runtime,
)
from texts.callback_data import Action, Start, deep_link
from texts.card_view import card_keyboard, card_text, check_card_fits, photo_album
from texts.i18n import Translator

log = logging.getLogger(__name__)


async def publish_and_post(
    context: ContextTypes.DEFAULT_TYPE,
    purchase: Purchase,
    community: Community,
    update_id: int | None = None,
    reuse_pay_to: bool = True,
    saved: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Check that the card fits, store the purchase as a draft, post its card in the community
    chat, then open the purchase and record the card in one transaction (and pin it). A card
    that cannot be posted leaves nothing behind: no open purchase nobody can see. `saved` runs
    once the draft is stored (the wizard ends there: pressing Publish again makes no twin)."""
    rt = runtime(context)
    check_card_fits(purchase, community.timezone, rt.clock())
    purchase_id = await services.save_draft(
        rt.database.unit_of_work(update_id), purchase, rt.clock(), rt.settings.max_fee_percent,
        reuse_pay_to,
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


async def post_card(bot: Bot, rt: Runtime, purchase_id: int) -> None:
    """Post a saved draft's card and open the purchase with it; the draft goes when Telegram
    refuses the card. A crash between posting and recording is finished at the next start
    (`resume_publishing`)."""
    async with rt.database.unit_of_work() as uow:
        draft, community = await uow.purchase_and_community(purchase_id)
    if draft is None or community is None:
        return
    t = community_translator(community)
    shown = draft.copy()
    shown.status = PurchaseStatus.OPEN  # the card shows what members will see
    await send_photos(bot, community.chat_id, t, shown)
    try:
        message = await bot.send_message(
            community.chat_id,
            card_text(t, shown, card_summary(shown), rt.clock()),
            parse_mode=ParseMode.HTML,
            reply_markup=card_keyboard(t, shown, bot.username),
        )
    except TelegramError as error:
        await services.discard_draft(rt.database.unit_of_work(), purchase_id)
        raise CardNotPosted(
            N_("I could not post the card in {chat} ({reason}), so nothing was published"),
            chat=community.title, reason=error.message,
        ) from None  # fmt: skip
    try:
        async with rt.database.unit_of_work() as uow:
            purchase = await uow.purchases.get(purchase_id)
            assert purchase is not None
            purchase.publish(rt.clock())
            location = CardLocation(message.chat_id, message.message_id)
            await uow.telegram.set_card(purchase_id, location)
            await uow.commit()
    except DomainError:  # its deadline passed while a crashed process left it a draft
        with contextlib.suppress(TelegramError):
            await message.delete()
        await services.discard_draft(rt.database.unit_of_work(), purchase_id)
        raise
    try:
        await message.pin(disable_notification=True)
    except BadRequest as error:
        log.info("card of purchase %s not pinned: %s", purchase_id, error.message)


# A draft this old was left by a process that stopped between posting and recording its card.
ORPHAN_DRAFT_AGE = timedelta(minutes=1)


async def resume_publishing(bot: Bot, rt: Runtime) -> None:
    """At start-up: drafts a crashed process saved but did not finish publishing are posted
    now (a card it may have posted stays in the chat, and its buttons work)."""
    async with rt.database.unit_of_work() as uow:
        drafts = await uow.purchases.get_many(
            await uow.purchases.ids_with_status(PurchaseStatus.DRAFT)
        )
    for draft in drafts:
        if rt.clock() - draft.created_at < ORPHAN_DRAFT_AGE:
            continue
        try:
            await post_card(bot, rt, draft.id)
        except DomainError as error:  # the deadline passed meanwhile, or the card was refused
            log.warning("draft %s not published after a restart: %s", draft.id, error)


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
    tap = Tap(press.update.update_id, user.id, user.full_name, item_id, 1, rt.clock())
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
        url=deep_link(press.context.bot.username, Start.MY_ORDER, purchase_id),
    )


HANDLERS: list[Registration] = on_buttons(tap_plus_one, Action.JOIN)
