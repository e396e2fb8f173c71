"""The head's controls in the private chat: /purchases, the panel and the buttons that move a
purchase along (stop, extend, go ahead, edit, cancel, ordered, arrived, complete), the private
participant list, exports, messages to all, and handing goods over by pickup code. Payments
live in handlers/payments.py, the supplier's confirmation in handlers/supply_form.py, head
transfer in handlers/transfer.py. Every action checks on the server that the person is the head
or an admin."""

from __future__ import annotations

from datetime import timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode

from domain import services
from domain.confirmation import AlreadyTaken, StaleAnswer, Step
from domain.errors import N_, DomainError, NotFound, PickupNeeded
from domain.ledger import OpenBalances
from domain.permissions import Actor
from domain.ports import AlreadyProcessed
from domain.purchase import FINISHED
from handlers.edit_purchase import send_edit_form
from handlers.head_commands import (
    ask_for_pickup,
    ask_for_reason,
    asked,
    message_usage,
)
from handlers.head_reports import send_exports, send_participants, tell_reach
from handlers.payments import send_payments
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    actor_for,
    in_private,
    managed_purchase,
    on_buttons,
    on_press,
    person_translator,
    redraw,
)
from handlers.supply_form import send_supply_form, send_weights_form
from handlers.transfer import send_candidates
from texts.callback_data import Action, encode
from texts.card_view import status_line
from texts.i18n import Translator
from texts.panel import headline_label, panel_keyboard, panel_text
from texts.step_questions import CONFIRMED_BY, step_markup, step_question

MAX_EXTENSION_HOURS = 24 * 30
READ_ONLY = (
    Action.HEAD_PANEL,
    Action.HEAD_PARTICIPANTS,
    Action.HEAD_EXPORT,
    Action.HEAD_MESSAGE,
    Action.HEAD_PAYMENTS,
    Action.HEAD_TRANSFER,
    Action.HEAD_SUPPLY,
    Action.HEAD_WEIGH,
    Action.HEAD_EDIT,
    Action.HEAD_CANCEL,  # asks for the reason; /cancel_purchase cancels
)


# /purchases lists every running purchase and the latest finished ones; older ones stay in the
# database and in the exports the head already has.
FINISHED_SHOWN = 10
RUNNING_SHOWN = 50


async def list_purchases(update: Update, context: BotContext) -> None:
    """/purchases: the panel of the head's one purchase, or a list that opens each panel."""
    message = update.effective_message
    actor = actor_for(update, context)
    assert message is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        running = await uow.purchases.headlines(RUNNING_SHOWN, actor.user_id)
        finished = await uow.purchases.headlines(FINISHED_SHOWN, actor.user_id, FINISHED)
    t = person_translator(update, context)
    led = running + finished
    if not led:
        await message.reply_text(
            t.gettext("You lead no purchase yet. Send /new in your community chat.")
        )
        return
    if len(led) == 1:
        await send_panel(update, context, led[0].id, actor)
        return
    rows = [
        [InlineKeyboardButton(
            headline_label(t, line), callback_data=encode(Action.HEAD_OPEN, line.id)
        )]
        for line in led
    ]  # fmt: skip
    await message.reply_text(
        t.gettext("The purchases you lead — tap one for its controls:"),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def send_panel(update: Update, context: BotContext, purchase_id: int, actor: Actor) -> None:
    """A new message with the panel of one purchase, for its head or a platform admin."""
    chat = update.effective_chat
    assert chat is not None
    rt = context.runtime
    purchase = await managed_purchase(context, purchase_id, actor)
    t = person_translator(update, context)
    await context.bot.send_message(
        chat.id,
        panel_text(t, purchase, status_line(t, purchase, rt.clock())),
        parse_mode=ParseMode.HTML,
        reply_markup=panel_keyboard(t, purchase),
    )


@on_press
async def open_panel(press: Press) -> None:
    """A purchase tapped in the /purchases (or /admin) list."""
    try:
        await send_panel(press.update, press.context, press.callback.args[0], press.actor)
    except DomainError as error:
        await press.query.answer(not_done(press.t, error))
        return
    await press.query.answer()


@on_press
async def head_button(press: Press) -> None:
    """A control of the panel (or of the "what now?" message at a short deadline)."""
    purchase_id = press.callback.args[0]
    uow = press.unit_of_work()
    now = press.rt.clock()
    reminded: list[int] = []
    try:
        match press.callback.action:
            case step_action if step_action in ASKS:
                # Each tells every member and cannot be taken back: asked once.
                step = ASKS[step_action]
                question = await services.step_question(
                    press.rt.database.unit_of_work(), purchase_id, press.actor, step
                )
                await press.query.answer()
                if step is Step.ARRIVED and not question.purchase.pickup_slots:
                    await ask_for_pickup(press.update, press.context, purchase_id, press.t)
                    return
                if isinstance(press.query.message, Message):
                    await redraw(
                        press.query.message,
                        step_question(press.t, step, question),
                        step_markup(press.t, step, question, now),
                    )
                return
            case (
                Action.HEAD_STOP_CONFIRM | Action.HEAD_GO_AHEAD_CONFIRM
                | Action.HEAD_ORDERED_CONFIRM | Action.HEAD_ARRIVED_CONFIRM
                | Action.HEAD_COMPLETE_CONFIRM
            ):  # fmt: skip
                step = CONFIRMS[press.callback.action]
                await services.take_step(uow, purchase_id, press.actor, step, asked(press), now)
            case Action.HEAD_EXTEND:
                hours = press.callback.args[1]
                if not 1 <= hours <= MAX_EXTENSION_HOURS:
                    raise NotFound(N_("no such extension"))
                await services.postpone(uow, purchase_id, press.actor, timedelta(hours=hours), now)
            case Action.HEAD_CANCEL:
                await ask_for_reason(press.update, press.context, purchase_id, press.actor, press.t)
            case Action.HEAD_COMPLETE_ANYWAY:
                await services.complete(uow, purchase_id, press.actor, with_open_balances=True)
            case Action.HEAD_PARTICIPANTS:
                await send_participants(
                    press.update, press.context, purchase_id, press.actor, press.t
                )
            case Action.HEAD_EXPORT:
                await send_exports(press.update, press.context, purchase_id, press.actor, press.t)
            case Action.HEAD_EDIT:
                await send_edit_form(press.update, press.context, purchase_id, press.actor, press.t)
            case Action.HEAD_SUPPLY:
                await send_supply_form(
                    press.update, press.context, purchase_id, press.actor, press.t
                )
            case Action.HEAD_WEIGH:
                await send_weights_form(
                    press.update, press.context, purchase_id, press.actor, press.t
                )
            case Action.HEAD_TRANSFER:
                await send_candidates(
                    press.update, press.context, purchase_id, press.actor, press.t
                )
            case Action.HEAD_PAYMENTS:
                await send_payments(press.update, press.context, purchase_id, press.actor, press.t)
            case Action.HEAD_REMIND_UNPAID:
                reminded = await services.remind_unpaid(uow, purchase_id, press.actor)
            case Action.HEAD_MESSAGE:
                await managed_purchase(press.context, purchase_id, press.actor)
                chat = press.update.effective_chat
                assert chat is not None
                await press.context.bot.send_message(chat.id, message_usage(press.t, purchase_id))
            case _:  # HEAD_PANEL: redraw, for the head only like every control here
                await managed_purchase(press.context, purchase_id, press.actor)
    except AlreadyProcessed:
        return
    except (StaleAnswer, AlreadyTaken) as error:  # the question goes: the panel as it is now
        await press.query.answer(not_done(press.t, error), show_alert=True)
        await _redraw_panel(press, purchase_id)
        return
    except PickupNeeded:
        await press.query.answer()
        await ask_for_pickup(press.update, press.context, purchase_id, press.t)
        return
    except OpenBalances as error:
        await press.query.answer()
        await _ask_to_close_open(press.update, press.context, purchase_id, press.t, error)
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error))
        return
    if press.callback.action is Action.HEAD_REMIND_UNPAID:
        await tell_reach(press.update, press.context, press.query, press.t, purchase_id, reminded)
        return  # the button is under the payments list, which stays as it is
    await press.query.answer(
        press.t.gettext("Done.") if press.callback.action not in READ_ONLY else None
    )
    press.rt.cards.request(purchase_id)
    await _redraw_panel(press, purchase_id)


async def _redraw_panel(press: Press, purchase_id: int) -> None:
    async with press.rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.read(purchase_id)
    if purchase is not None and isinstance(press.query.message, Message):
        await redraw(
            press.query.message,
            panel_text(press.t, purchase, status_line(press.t, purchase, press.rt.clock())),
            panel_keyboard(press.t, purchase),
        )


ASKS = {
    Action.HEAD_STOP: Step.STOP,
    Action.HEAD_GO_AHEAD: Step.GO_AHEAD,
    Action.HEAD_ORDERED: Step.ORDERED,
    Action.HEAD_ARRIVED: Step.ARRIVED,
    Action.HEAD_COMPLETE: Step.COMPLETE,
}
CONFIRMS = {confirm: step for step, confirm in CONFIRMED_BY.items()}


async def _ask_to_close_open(
    update: Update,
    context: BotContext,
    purchase_id: int,
    t: Translator,
    error: OpenBalances,
) -> None:
    """Complete with money still open: say what is open, offer to close all the same."""
    chat = update.effective_chat
    assert chat is not None
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(t.gettext("💶 Payments"),
                              callback_data=encode(Action.HEAD_PAYMENTS, purchase_id))],
        [InlineKeyboardButton(t.gettext("Close with open balances"),
                              callback_data=encode(Action.HEAD_COMPLETE_ANYWAY, purchase_id))],
    ])  # fmt: skip
    await context.bot.send_message(
        chat.id,
        t.gettext(
            "Not completed yet: {reason}. Record it in Payments, or close with the balances "
            "open (they stay on record)."
        ).format(reason=t.reason(error)),
        reply_markup=markup,
    )


HANDLERS: list[Registration] = [
    in_private("purchases", list_purchases),
    *on_buttons(head_button, Action.HEAD_STOP, Action.HEAD_GO_AHEAD, Action.HEAD_EXTEND,
                Action.HEAD_CANCEL, Action.HEAD_ORDERED, Action.HEAD_ARRIVED, Action.HEAD_COMPLETE,
                Action.HEAD_STOP_CONFIRM, Action.HEAD_GO_AHEAD_CONFIRM, Action.HEAD_ORDERED_CONFIRM,
                Action.HEAD_ARRIVED_CONFIRM, Action.HEAD_COMPLETE_CONFIRM,
                Action.HEAD_COMPLETE_ANYWAY, Action.HEAD_PANEL,
                Action.HEAD_PARTICIPANTS, Action.HEAD_EXPORT, Action.HEAD_MESSAGE,
                Action.HEAD_PAYMENTS, Action.HEAD_REMIND_UNPAID, Action.HEAD_TRANSFER,
                Action.HEAD_SUPPLY, Action.HEAD_EDIT, Action.HEAD_WEIGH),
    *on_buttons(open_panel, Action.HEAD_OPEN),
]  # fmt: skip
