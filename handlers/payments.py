"""Payments on the head's side: who owes what and whom the head owes back, recording money
received (from a member's "I paid", a receipt photo, the list, or a typed amount) and money
given back, reminding the unpaid, and taking out those who paid nothing at the pay-by time."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from domain import adjustments, ledger, services
from domain.errors import DomainError, IllegalTransition
from domain.money import Money
from domain.payments import EntryKind
from domain.permissions import Actor
from domain.ports import AlreadyProcessed
from domain.purchase import Purchase
from domain.views import find_member
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
    purchase_command,
    redraw,
)
from texts import notices
from texts.callback_data import Action, decode
from texts.i18n import Translator
from texts.payments_view import (
    action_button,
    balance_text,
    money_usage,
    payments_messages,
    plain_name,
)


def may_drop(purchase: Purchase, now_passed_pay_by: bool) -> bool:
    """Taking out those who paid nothing is offered once the pay-by time has come, before the
    goods arrive: members were told that time, so nobody is dropped by surprise."""
    return purchase.status in adjustments.DROPPABLE and now_passed_pay_by


async def current_payments(
    context: BotContext, purchase_id: int, actor: Actor, t: Translator
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The payments view as it is now, for the head (or a platform admin) only."""
    purchase = await managed_purchase(context, purchase_id, actor)
    rt = context.runtime
    passed = purchase.pay_by is not None and rt.clock() >= purchase.pay_by
    seen_before = await services.claims_seen_before(rt.database.unit_of_work(), purchase)
    return payments_messages(t, purchase, may_drop(purchase, passed), seen_before)


async def send_payments(
    update: Update,
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    for text, markup in await current_payments(context, purchase_id, actor, t):
        await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )


# The buttons of the payments list, and of a member's "I paid" (a notice or a receipt photo).
LIST_ANSWERS = (Action.PAYMENT_CASH, Action.REFUND_GIVEN)
CLAIM_ANSWERS = (Action.PAYMENT_CONFIRM, Action.PAYMENT_REJECT)
PAYMENT_ANSWERS = (*CLAIM_ANSWERS, *LIST_ANSWERS)


def _answers(button: InlineKeyboardButton, actions: tuple[Action, ...], member_id: int) -> bool:
    """Whether the button answers this member's money with one of `actions`."""
    data = decode(button.callback_data) if isinstance(button.callback_data, str) else None
    return data is not None and data.action in actions and data.args[1] == member_id


def _member_replaced(
    markup: InlineKeyboardMarkup | None,
    member_id: int,
    actions: tuple[Action, ...],
    replacement: InlineKeyboardButton | None = None,
) -> list[list[InlineKeyboardButton]]:
    """The keyboard's rows with the member's buttons for `actions` replaced, or taken out."""
    rows = []
    for row in markup.inline_keyboard if markup else ():
        kept = []
        for button in row:
            if not _answers(button, actions, member_id):
                kept.append(button)
            elif replacement is not None:
                kept.append(replacement)
        if kept:
            rows.append(kept)
    return rows


async def _close_buttons(message: object, member_id: int, outcome: str) -> None:
    """Take the answered member's buttons off the message they were under; a message left
    with no buttons gets the outcome written under it."""
    if not isinstance(message, Message):
        return
    rows = _member_replaced(message.reply_markup, member_id, PAYMENT_ANSWERS)
    if rows:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows))
    elif message.text:
        await message.edit_text(escape(message.text) + "\n\n" + outcome, parse_mode=ParseMode.HTML)
    else:  # a receipt photo: its buttons go, the photo stays
        await message.edit_reply_markup(None)


def _member_button(
    messages: list[tuple[str, InlineKeyboardMarkup | None]], member_id: int
) -> InlineKeyboardButton | None:
    """The member's button in the payments view as it is now, if they still have one."""
    buttons = (
        button
        for _, markup in messages
        for row in (markup.inline_keyboard if markup else ())
        for button in row
    )
    return next((b for b in buttons if _answers(b, LIST_ANSWERS, member_id)), None)


async def _redraw_list(
    context: BotContext,
    message: object,
    purchase_id: int,
    member_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    """After a press on the payments list, answered or refused, the list shows the money as it
    is now: redrawn whole when it fits one message; in a longer list, the member's button is
    replaced by their current one, or goes when nothing is open for them."""
    if not isinstance(message, Message):
        return
    now = await current_payments(context, purchase_id, actor, t)
    if len(now) == 1:
        await redraw(message, *now[0])
        return
    rows = _member_replaced(
        message.reply_markup, member_id, LIST_ANSWERS, _member_button(now, member_id)
    )
    markup = InlineKeyboardMarkup(rows) if rows else None
    if markup != message.reply_markup:
        await message.edit_reply_markup(markup)


@on_press
async def head_answers_payment(press: Press) -> None:
    """The head answers one member's money: a claim found or not found (from an "I paid"
    notice or a receipt photo), money received or given back (from the payments list). Each
    button acts only on what it showed: an answered claim or a changed amount is refused, and
    the message it was under then shows what is true now."""
    purchase_id, member_id, value = press.callback.args
    uow = press.unit_of_work()
    now = press.rt.clock()
    action = press.callback.action
    try:
        if action is Action.PAYMENT_CONFIRM:
            await services.confirm_claim(uow, purchase_id, press.actor, member_id, value, now)
        elif action is Action.PAYMENT_REJECT:
            await services.reject_claim(uow, purchase_id, press.actor, member_id, value)
        else:
            purchase = await managed_purchase(press.context, purchase_id, press.actor)
            shown = Money(value, purchase.currency)
            kind = EntryKind.PAYMENT if action is Action.PAYMENT_CASH else EntryKind.REFUND
            await services.record_money(
                uow, purchase_id, press.actor, member_id, kind, shown, now, expected=shown
            )
    except AlreadyProcessed:
        return
    except IllegalTransition as error:  # answered or changed meanwhile: a stale message
        await press.query.answer(not_done(press.t, error), show_alert=True)
        if action in LIST_ANSWERS:
            await _redraw_list(
                press.context, press.query.message, purchase_id, member_id, press.actor, press.t
            )
        else:
            await _close_buttons(press.query.message, member_id, escape(not_done(press.t, error)))
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    outcome = {
        Action.PAYMENT_CONFIRM: press.t.gettext("✅ Received"),
        Action.PAYMENT_REJECT: press.t.gettext("❌ Not received"),
        Action.PAYMENT_CASH: press.t.gettext("✅ Received"),
        Action.REFUND_GIVEN: press.t.gettext("↩️ Given back"),
    }[action]
    await press.query.answer(
        press.t.gettext("Member told.") if action is Action.PAYMENT_REJECT
        else press.t.gettext("Recorded; the member is told.")
    )  # fmt: skip
    if action in LIST_ANSWERS:
        await _redraw_list(
            press.context, press.query.message, purchase_id, member_id, press.actor, press.t
        )
    else:
        await _close_buttons(press.query.message, member_id, outcome)


async def typed_amount(update: Update, context: BotContext) -> None:
    """/paid or /refund <purchase> <member name or #number> <amount>: money received from a
    member, or given back, of any amount the head types."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = context.runtime
    command = message.text.split()[0].lstrip("/").split("@")[0]
    purchase_id, rest = purchase_command(message.text)
    member_text, _, amount_text = rest.rpartition(" ")
    if purchase_id is None or not member_text.strip() or not amount_text:
        await message.reply_text(money_usage(t, command, purchase_id or 7))
        return
    actor = actor_for(update, context)
    now = rt.clock()
    try:
        purchase = await managed_purchase(context, purchase_id, actor)
        member_id = find_member(purchase, member_text)
        amount = Money.parse(amount_text, purchase.currency)
        kind = EntryKind.PAYMENT if command == "paid" else EntryKind.REFUND
        await services.record_money(
            rt.database.unit_of_work(update.update_id), purchase_id, actor, member_id, kind,
            amount, now,
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    account = ledger.account_of(await managed_purchase(context, purchase_id, actor), member_id)
    done = (
        t.gettext("Recorded: {amount} received from {name}.")
        if command == "paid"
        else t.gettext("Recorded: {amount} given back to {name}.")
    ).format(amount=t.money(amount), name=plain_name(purchase, member_id))
    await message.reply_text(done + " " + balance_text(t, account))


@on_press
async def drop_button(press: Press) -> None:
    """Take out those who paid nothing: first what it would change, then, confirmed, do it."""
    purchase_id = press.callback.args[0]
    now = press.rt.clock()
    try:
        if press.callback.action is Action.HEAD_DROP_UNPAID:
            purchase, impact = await services.drop_preview(
                press.rt.database.unit_of_work(), purchase_id, press.actor, now
            )
        else:
            await services.drop_unpaid(
                press.unit_of_work(), purchase_id, press.actor, now,
                press.callback.args[1],
            )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    if press.callback.action is Action.HEAD_DROP_CONFIRM:
        press.rt.cards.request(purchase_id)
        await press.query.answer(press.t.gettext("Done. Everyone affected is told."))
        if isinstance(press.query.message, Message) and press.query.message.text:
            await press.query.message.edit_text(
                escape(press.query.message.text) + "\n\n" + press.t.gettext("✂️ Taken out."),
                parse_mode=ParseMode.HTML,
            )
        return
    await press.query.answer()
    names = {m: plain_name(purchase, m) for m in purchase.members}
    heading = press.t.ngettext(
        "Take out the {count} member who paid nothing ({names})? Then:",
        "Take out the {count} members who paid nothing ({names})? Then:",
        len(impact.members_out),
    ).format(count=len(impact.members_out), names=notices.names_text(names, impact.members_out))
    text = notices.change_preview(press.t, purchase, impact, names, heading, {})
    markup = InlineKeyboardMarkup([
        [action_button(press.t.gettext("✂️ Yes, take them out"), Action.HEAD_DROP_CONFIRM,
                       purchase_id, ledger.fingerprint(impact.members_out))],
        [action_button(press.t.gettext("↩️ No, keep them"), Action.HEAD_KEEP, purchase_id)],
    ])  # fmt: skip
    chat = press.update.effective_chat
    assert chat is not None
    await press.context.bot.send_message(
        chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


HANDLERS: list[Registration] = [
    *on_buttons(head_answers_payment, *PAYMENT_ANSWERS),
    *on_buttons(drop_button, Action.HEAD_DROP_UNPAID, Action.HEAD_DROP_CONFIRM),
    in_private("paid", typed_amount),
    in_private("refund", typed_amount),
]
