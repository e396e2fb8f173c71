"""Members manage their orders in the private chat: /orders, the editor's buttons, withdrawal,
and the head's answer to a request to withdraw after the stop."""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from domain import ledger, services
from domain.errors import N_, DomainError, LimitExceeded, NotFound, UnusualQuantity
from domain.events import AmountsChanged
from domain.membership import NOBODY, Admission
from domain.ports import AlreadyProcessed
from domain.purchase import RUNNING, STATUS_WORDS, Purchase
from domain.views import member_order
from handlers.admission import admission_by_id
from handlers.order_editor import refusal_translator, send_editor
from handlers.purchase_card import not_done, refusal
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    in_private,
    on_buttons,
    on_press,
    person_translator,
    redraw,
)
from texts import notices
from texts.callback_data import Action, Callback, encode, keyboard
from texts.i18n import Translator
from texts.order_picker import WHOLE, EditorFocus
from texts.order_view import leave_keyboard, unusual_question

log = logging.getLogger(__name__)


async def list_orders(update: Update, context: BotContext) -> None:
    """/orders: every purchase the person is in, each opening its editor."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        purchases = await uow.purchases.list_for_member(user.id)
    t = person_translator(update, context)
    if not purchases:
        await message.reply_text(
            t.gettext(
                "You are not in any purchase yet. "
                "Tap +1 under a purchase card in your community chat."
            )
        )
        return
    if len(purchases) == 1:
        await send_editor(update, context, purchases[0].id)
        return
    # Running ones first, newest first; of the finished, the latest few (the rest stay in
    # the head's exports).
    running = sorted((p for p in purchases if p.status in RUNNING), key=lambda p: -p.id)
    finished = sorted((p for p in purchases if p.status not in RUNNING), key=lambda p: -p.id)
    buttons = [
        [
            InlineKeyboardButton(
                order_label(t, p, user.id), callback_data=encode(Action.ORDER_OPEN, p.id)
            )
        ]
        for p in running + finished[:FINISHED_ORDERS_SHOWN]
    ]
    await message.reply_text(
        t.gettext("Your purchases:"), reply_markup=InlineKeyboardMarkup(buttons)
    )


FINISHED_ORDERS_SHOWN = 5


def order_label(t: Translator, purchase: Purchase, member_id: int) -> str:
    """ "Farm gouda · open · €16.80": which purchase, where it stands, what the member owes
    (after a failure or a cancel nothing, or what she gets back)."""
    view = member_order(purchase, member_id)
    parts = [purchase.title[:40], t.gettext(STATUS_WORDS[purchase.status])]
    if view.due is not None:
        parts.append(t.money(view.due.total))
    elif view.account is not None and view.account.owed_back.minor:
        parts.append(
            t.gettext("{amount} back to you").format(amount=t.money(view.account.owed_back))
        )
    return " · ".join(parts)


@on_press
async def open_editor(press: Press) -> None:
    """Open an editor from the /orders list, or refresh the editor the button is under."""
    await press.query.answer()
    message = press.query.message if isinstance(press.query.message, Message) else None
    in_place = message if press.callback.action is Action.ORDER_REFRESH else None
    await send_editor(press.update, press.context, press.callback.args[0], edit=in_place)


def _toast(t: Translator, callback: Callback) -> str:
    return {
        Action.ORDER_ADD: t.gettext("Updated."),
        Action.ORDER_TOLERANCE: t.gettext("Updated."),
        Action.ORDER_WITHDRAW: t.gettext("You are out of this purchase."),
        Action.ORDER_ASK_WITHDRAW: t.gettext("Asked. The head will answer."),
        Action.ORDER_PAID: t.gettext("Noted. The head will confirm your payment."),
        Action.ORDER_ROW_MOVE: t.gettext("Done: the row is full, and you are in it."),
    }.get(callback.action, "")


@on_press
async def editor_button(press: Press) -> None:
    """A button of the editor; it always acts for the person pressing, never for an id in it."""
    user = press.query.from_user
    purchase_id = press.callback.args[0]
    now = press.rt.clock()
    uow = press.unit_of_work()
    # A compact editor stays at the item changed (a whole editor ignores it).
    on_item = press.callback.action in (Action.ORDER_ADD, Action.ORDER_TOLERANCE)
    focus = EditorFocus(item_id=press.callback.args[1]) if on_item else WHOLE
    try:
        if press.callback.action is Action.ORDER_ADD:
            _, item_id, delta = press.callback.args
            if delta not in (1, -1):
                raise LimitExceeded(N_("change one unit at a time"))
            if delta < 0:
                await services.take_back_unit(
                    uow, purchase_id, user.id, user.full_name, item_id, now
                )
            else:
                admission = await _raising(press, purchase_id)
                await services.add_units(
                    uow, purchase_id, user.id, user.full_name, item_id, 1, now, admission
                )
        elif press.callback.action is Action.ORDER_TOLERANCE:
            _, item_id, delta = press.callback.args
            if delta not in (1, -1):
                raise LimitExceeded(N_("change one unit at a time"))
            admission = await _raising(press, purchase_id) if delta > 0 else NOBODY
            await services.change_tolerance(
                uow, purchase_id, user.id, item_id, delta, now, admission
            )
        elif press.callback.action is Action.ORDER_WITHDRAW:
            await services.withdraw(uow, purchase_id, user.id, now)
        elif press.callback.action is Action.ORDER_ASK_WITHDRAW:
            await services.request_withdrawal(uow, purchase_id, user.id, now)
        elif press.callback.action is Action.ORDER_PAID:
            await services.claim_payment(uow, purchase_id, user.id, now)
        elif press.callback.action is Action.ORDER_ROW_MOVE:
            _, source, target = press.callback.args
            await services.move_in_row(uow, purchase_id, user.id, source, target, now)
    except AlreadyProcessed:
        return
    except UnusualQuantity as error:
        await press.query.answer()
        await ask_about_unusual(press, purchase_id, error)
        return
    except DomainError as error:
        # "Not added" fits only what would have added: a refused −1 is "Not done".
        adding = on_item and press.callback.args[-1] > 0
        t = await refusal_translator(press, purchase_id, error)
        await press.query.answer(refusal(t, error) if adding else not_done(t, error))
        # An old editor's buttons may no longer fit (the purchase stopped meanwhile): it is
        # redrawn as things stand, so its figures and buttons are current again.
        if isinstance(press.query.message, Message):
            await send_editor(
                press.update, press.context, purchase_id, edit=press.query.message, focus=focus
            )
        return
    if press.callback.action in (
        Action.ORDER_ADD,
        Action.ORDER_TOLERANCE,
        Action.ORDER_WITHDRAW,
        Action.ORDER_ROW_MOVE,
    ):
        press.rt.cards.request(purchase_id)
    await press.query.answer(_toast(press.t, press.callback))
    await send_editor(
        press.update,
        press.context,
        purchase_id,
        edit=press.query.message if isinstance(press.query.message, Message) else None,
        focus=focus,
    )


async def ask_about_unusual(press: Press, purchase_id: int, error: UnusualQuantity) -> None:
    """The editor becomes the question about an unusual quantity (handlers/unusual_orders.py
    takes the answer); nothing is saved until the member confirms."""
    if not isinstance(press.query.message, Message):
        return
    async with press.rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.read(purchase_id)
    if purchase is None:
        return
    item_id = press.callback.args[1]
    question = unusual_question(press.t, purchase, item_id, error.quantity, error.bound)
    await redraw(press.query.message, *question)


async def _raising(press: Press, purchase_id: int) -> Admission:
    """The person raising their order, as the purchase's community sees them now."""
    return await admission_by_id(press.rt, press.context.bot, press.query.from_user.id, purchase_id)


@on_press
async def ask_to_leave(press: Press) -> None:
    """Withdraw pressed: the editor asks once, since leaving removes the whole order."""
    await press.query.answer()
    message = press.query.message if isinstance(press.query.message, Message) else None
    if message is None:
        return
    purchase_id = press.callback.args[0]
    async with press.rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.read(purchase_id)
    if purchase is None:
        return
    question = press.t.gettext(
        "Withdraw from {title}? Your whole order is removed, and your place in the packs goes "
        "to the next in line."
    ).format(title=notices.title(purchase))
    await redraw(message, question, leave_keyboard(press.t, purchase_id))


@on_press
async def choose_slot(press: Press) -> None:
    """A member taps a pickup slot (under their pickup notice, a reminder or the order
    editor): it is theirs unless it is full or over, and the buttons show the places left."""
    purchase_id, number, in_editor = press.callback.args
    message = press.query.message if isinstance(press.query.message, Message) else None
    try:
        if in_editor not in (0, 1):
            raise NotFound(N_("this pickup slot is not offered any more"))
        slot = await services.choose_pickup(
            press.unit_of_work(), purchase_id, press.query.from_user.id, number,
            press.rt.clock(),
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        await _redraw_slots(press.update, press.context, purchase_id, message, bool(in_editor))
        return
    await press.query.answer(
        press.t.gettext("You pick up: {slot}").format(slot=notices.slot_label(press.t, slot))[:200]
    )
    await _redraw_slots(press.update, press.context, purchase_id, message, bool(in_editor))


async def _redraw_slots(
    update: Update,
    context: BotContext,
    purchase_id: int,
    message: Message | None,
    in_editor: bool,
) -> None:
    """The editor the slot buttons are under, or those buttons alone (under a notice)."""
    if message is None:
        return
    if in_editor:
        await send_editor(update, context, purchase_id, edit=message)
        return
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.read(purchase_id)
    if purchase is None or update.effective_user is None:
        return
    t = person_translator(update, context)
    markup = notices.pickup_choice_markup(t, purchase, update.effective_user.id, rt.clock())
    try:
        await message.edit_reply_markup(reply_markup=keyboard(markup))
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


@on_press
async def head_answers_withdrawal(press: Press) -> None:
    """The head answers a member's request to withdraw after the stop. Accept first shows
    what letting them go would change for the others (a lost price tier, packs no longer
    full, shares re-split) and asks again; the buttons act on this request only."""
    purchase_id, member_id, number = press.callback.args
    now = press.rt.clock()
    action = press.callback.action
    uow = press.unit_of_work()
    try:
        if action is Action.WITHDRAWAL_ACCEPT:
            preview = await services.accept_or_preview_withdrawal(
                uow, purchase_id, press.actor, member_id, number, now
            )
            if preview is not None:
                await press.query.answer()
                await _show_withdrawal_preview(
                    press.query.message, press.t, *preview, member_id, number
                )
                return
            action = Action.WITHDRAWAL_CONFIRM  # amounts were estimates still: accepted at once
        elif action is Action.WITHDRAWAL_CONFIRM:
            await services.accept_withdrawal(uow, purchase_id, press.actor, member_id, number, now)
        else:
            await services.decline_withdrawal(uow, purchase_id, press.actor, member_id, number)
    except AlreadyProcessed:
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    accepted = action is Action.WITHDRAWAL_CONFIRM
    if accepted:
        press.rt.cards.request(purchase_id)
    await press.query.answer(
        press.t.gettext("Accepted.") if accepted else press.t.gettext("Declined.")
    )
    if isinstance(press.query.message, Message) and press.query.message.text:
        outcome = press.t.gettext("✅ Accepted") if accepted else press.t.gettext("❌ Declined")
        await press.query.message.edit_text(
            escape(press.query.message.text) + "\n\n" + outcome, parse_mode=ParseMode.HTML
        )


async def _show_withdrawal_preview(
    message: object,
    t: Translator,
    purchase: Purchase,
    impact: AmountsChanged,
    member_id: int,
    number: int,
) -> None:
    """The request message becomes what accepting would change, with the final answer."""
    if not isinstance(message, Message):
        return
    names = {m: member.name for m, member in purchase.members.items()}
    name = names.get(member_id, str(member_id))
    account = ledger.account_of(purchase, member_id)
    heading = t.gettext("If you accept, {name} leaves {title}:").format(
        name=escape(name), title=notices.title(purchase)
    )
    text = notices.change_preview(
        t, purchase, impact, names, heading, {member_id: (account.paid - account.refunded).minor}
    )
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(
            t.gettext("✅ Yes, withdraw {name}").format(name=name)[:64],
            callback_data=encode(Action.WITHDRAWAL_CONFIRM, purchase.id, member_id, number),
        )],
        [InlineKeyboardButton(
            t.gettext("❌ No, keep their order"),
            callback_data=encode(Action.WITHDRAWAL_DECLINE, purchase.id, member_id, number),
        )],
    ])  # fmt: skip
    await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


HANDLERS: list[Registration] = [
    in_private("orders", list_orders),
    *on_buttons(open_editor, Action.ORDER_OPEN, Action.ORDER_REFRESH),
    *on_buttons(editor_button, Action.ORDER_ADD, Action.ORDER_TOLERANCE, Action.ORDER_WITHDRAW,
                Action.ORDER_ASK_WITHDRAW, Action.ORDER_PAID, Action.ORDER_ROW_MOVE),
    *on_buttons(choose_slot, Action.PICKUP_CHOOSE),
    *on_buttons(ask_to_leave, Action.ORDER_ASK_LEAVE),
    *on_buttons(head_answers_withdrawal, Action.WITHDRAWAL_ACCEPT, Action.WITHDRAWAL_CONFIRM,
                Action.WITHDRAWAL_DECLINE),
]  # fmt: skip
