"""A member's order editor, the message itself: drawn, redrawn in place, noted where it is (so
the stop can redraw it), and the compact editor's item buttons, pages and Back."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from domain import checkout
from domain.adjustments import ESTIMATED
from domain.community import Community
from domain.errors import DomainError
from domain.ports import HandlerUnitOfWork
from domain.purchase import Purchase
from domain.views import member_order
from handlers.admission import for_members_only, may_see
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    Runtime,
    on_buttons,
    on_press,
    person_translator,
    redraw,
    speaker_translator,
)
from texts.callback_data import Action
from texts.card_view import status_line
from texts.i18n import Translator
from texts.order_picker import WHOLE, EditorFocus, editor_message

log = logging.getLogger(__name__)


async def send_editor(
    update: Update,
    context: BotContext,
    purchase_id: int,
    edit: Message | None = None,
    focus: EditorFocus = WHOLE,
) -> None:
    """Show (or refresh in place) the person's editor for one purchase."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
        taken_out = purchase is not None and await was_taken_out(uow, purchase, user.id)
    t = person_translator(update, context, community)
    if purchase is None:
        await context.bot.send_message(
            chat.id, t.gettext("That purchase does not exist (any more).")
        )
        return
    if not await may_see(rt, context.bot, user.id, purchase):
        if edit is None:  # a press under some message was answered by its toast already
            await context.bot.send_message(chat.id, for_members_only(t, community))
        return
    text, markup = editor_of(rt, t, purchase, community, user.id, focus, taken_out)
    if edit is None:
        edit = await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    else:
        await redraw(edit, text, markup)
    if chat.id == user.id:
        await _note_editor(rt, user.id, purchase_id, edit.message_id)


async def _note_editor(rt: Runtime, user_id: int, purchase_id: int, message_id: int) -> None:
    """The editor is noted in the database too (once per message, not per press), so that
    the stop, in whichever process, redraws it without its +/− and countdown."""
    if rt.editors.get((user_id, purchase_id)) != message_id:
        async with rt.database.unit_of_work() as uow:
            await uow.telegram.editor_shown(user_id, purchase_id, message_id)
            await uow.commit()
    rt.remember_editor(user_id, purchase_id, message_id)


async def was_taken_out(uow: HandlerUnitOfWork, purchase: Purchase, user_id: int) -> bool:
    """Whether the head took the person out for not paying (asked only after the stop, of
    someone with no goods in the purchase)."""
    if purchase.status in ESTIMATED or purchase.takes_part(user_id):
        return False
    return user_id in await uow.purchases.taken_out(purchase.id)


async def refusal_translator(press: Press, purchase_id: int, error: DomainError) -> Translator:
    """What a member's refusal is said with: her language, and, when it names a time (the
    pay-by of a member taken out), the purchase's community's timezone, as her editor and
    every notice show it — the default timezone may be another."""
    if not any(isinstance(value, datetime) for value in error.values.values()):
        return press.t
    async with press.rt.database.unit_of_work() as uow:
        _, community = await uow.purchase_and_community(purchase_id)
    return Translator(press.t.language, community.timezone) if community else press.t


def editor_of(
    rt: Runtime,
    t: Translator,
    purchase: Purchase,
    community: Community | None,
    user_id: int,
    focus: EditorFocus = WHOLE,
    taken_out: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """The person's editor of one purchase as it stands now: its text and buttons."""
    view = member_order(purchase, user_id)
    pays_in_telegram = checkout.token_for(community, rt.payment_token) is not None
    now = rt.clock()
    return editor_message(
        t, purchase, view, now, rt.mini_app_url, pays_in_telegram, focus, taken_out
    )


async def redraw_remembered_editor(
    bot: Bot, rt: Runtime, t: Translator, user_id: int, purchase_id: int
) -> None:
    """The editor the person last saw in their private chat, redrawn after their order was
    changed elsewhere (the catalog Mini App); nothing when there is none to redraw."""
    if (user_id, purchase_id) not in rt.editors:
        return
    async with rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is not None:
        await _redraw(bot, rt, t, user_id, purchase, community)


async def _redraw(
    bot: Bot, rt: Runtime, t: Translator, user_id: int, purchase: Purchase,
    community: Community | None,
) -> None:  # fmt: skip
    message_id = rt.editors.get((user_id, purchase.id))
    if message_id is None:
        return
    text, markup = editor_of(rt, t, purchase, community, user_id)
    try:
        await bot.edit_message_text(
            text, chat_id=user_id, message_id=message_id, parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )  # fmt: skip
    except BadRequest as error:
        if "not modified" not in error.message:  # deleted meanwhile, or too old to edit
            rt.editors.pop((user_id, purchase.id), None)
            log.info("the order editor was not redrawn: %s", error)


def editor_redrawer(rt: Runtime, bot: Bot) -> Callable[[tuple[int, int]], Awaitable[None]]:
    """What redraws a (member, purchase)'s remembered editor after her taps on the card, in
    her language: the one she chose or her app's, else her community's."""

    async def redraw(key: tuple[int, int]) -> None:
        user_id, purchase_id = key
        if key not in rt.editors:  # forgotten meanwhile (deleted, or too old to edit)
            return
        async with rt.database.reading() as uow:
            spoken = (await uow.telegram.languages([user_id])).get(user_id)
            purchase, community = await uow.purchase_and_community(purchase_id)
        if purchase is None or community is None:
            return
        t = speaker_translator(rt, user_id, spoken, community)
        await _redraw(bot, rt, t, user_id, purchase, community)

    return redraw


@on_press
async def show_part(press: Press) -> None:
    """An item's button in a compact editor (its +/−), a page of items, or Back: the editor
    redrawn at that part, nothing in the order changed. Once orders are closed the press
    says so, and the editor is redrawn as it stands."""
    purchase_id, number = press.callback.args
    message = press.query.message if isinstance(press.query.message, Message) else None
    async with press.rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is not None and not await may_see(
        press.rt, press.context.bot, press.query.from_user.id, purchase
    ):  # a stranger's press (forged) learns nothing of the purchase, not even its status
        await press.query.answer(for_members_only(press.t, community)[:200], show_alert=True)
        return
    now = press.rt.clock()
    if purchase is not None and not purchase.accepts_orders(now):
        await press.query.answer(status_line(press.t, purchase, now)[:200], show_alert=True)
    else:
        await press.query.answer()
    if message is None:
        return
    focus = (
        EditorFocus(item_id=number)
        if press.callback.action is Action.ORDER_PICK
        else EditorFocus(page=number)
    )
    await send_editor(press.update, press.context, purchase_id, edit=message, focus=focus)


HANDLERS: list[Registration] = [*on_buttons(show_part, Action.ORDER_PICK, Action.ORDER_PAGE)]
