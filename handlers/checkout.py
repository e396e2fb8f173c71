"""Paying in Telegram (Telegram Payments): *Pay* sends an invoice for what the member owes
now, the checkout Telegram asks about is answered after checking that amount is still due,
and the payment Telegram reports goes into the ledger once per charge.

Telegram waits 10 seconds for the checkout's answer; it is one read of the purchase. The
payment comes as a message: its unit of work carries the update id (a redelivered update
changes nothing) and the ledger keeps the charge id (the same charge is recorded once).
"""

from __future__ import annotations

import logging

from telegram import LabeledPrice, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from domain import services
from domain.checkout import Checkout, parse_payload
from domain.errors import N_, DomainError, NotFound
from domain.ports import AlreadyProcessed
from handlers.purchase_card import not_done
from handlers.runtime import Press, Registration, on_buttons, on_press, person_translator, runtime
from texts.callback_data import Action
from texts.payments_view import invoice_texts

log = logging.getLogger(__name__)


@on_press
async def pay_button(press: Press) -> None:
    """*Pay*: an invoice in the private chat for exactly what the member owes now."""
    t, rt = press.t, press.rt
    user = press.query.from_user
    token = rt.payment_token
    if token is None:
        await press.query.answer(
            t.gettext("Paying in Telegram is not set up; pay the head as the purchase says."),
            show_alert=True,
        )
        return
    try:
        purchase, invoice = await services.invoice_for(
            rt.database.unit_of_work(), press.callback.args[0], user.id
        )
    except DomainError as error:
        await press.query.answer(not_done(t, error), show_alert=True)
        return
    title, description, label = invoice_texts(t, purchase, invoice)
    try:
        await press.context.bot.send_invoice(
            chat_id=user.id,
            title=title,
            description=description,
            payload=invoice.payload,
            provider_token=token,
            currency=purchase.currency,
            prices=[LabeledPrice(label, invoice.amount.minor)],
        )
    except TelegramError as error:
        # An amount under the provider's minimum, a currency it does not take, a blocked bot.
        log.warning("sending an invoice for purchase %s failed: %s", purchase.id, error)
        await press.query.answer(
            t.gettext(
                "Telegram would not make this invoice ({reason}); pay the head as the "
                "purchase says."
            ).format(reason=error.message),
            show_alert=True,
        )
        return
    await press.query.answer(t.gettext("Invoice sent: tap Pay under it."))


async def pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram asks whether it may charge: only the invoice's exact amount, still due, in the
    purchase's currency, by the member it was made for; otherwise the member sees why."""
    query = update.pre_checkout_query
    assert query is not None
    t = person_translator(update, context)
    parsed = parse_payload(query.invoice_payload)
    if parsed is None:
        await query.answer(ok=False, error_message=t.gettext("This invoice is not valid."))
        return
    attempt = Checkout(
        query.from_user.id, query.invoice_payload, query.currency, query.total_amount
    )
    try:
        await services.check_checkout(runtime(context).database.unit_of_work(), parsed[0], attempt)
    except DomainError as error:
        await query.answer(ok=False, error_message=not_done(t, error))
        return
    await query.answer(ok=True)


async def successful_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram took the money: into the ledger, once. The member's receipt and the head's
    notice follow from the event; a payment that fits no purchase is named with its charge,
    for the operator to give back."""
    message = update.effective_message
    assert message is not None and message.successful_payment is not None
    payment = message.successful_payment
    user = update.effective_user
    assert user is not None
    rt = runtime(context)
    t = person_translator(update, context)
    attempt = Checkout(user.id, payment.invoice_payload, payment.currency, payment.total_amount)
    parsed = parse_payload(payment.invoice_payload)
    try:
        if parsed is None:
            raise NotFound(N_("this invoice is not one of this bot's purchases"))
        await services.record_charge(
            rt.database.unit_of_work(update.update_id),
            parsed[0],
            attempt,
            payment.telegram_payment_charge_id,
            payment.provider_payment_charge_id,
            rt.clock(),
        )
    except AlreadyProcessed:
        raise ApplicationHandlerStop from None
    except DomainError as error:
        log.warning(
            "a payment in Telegram could not be recorded (charge %s): %s",
            payment.telegram_payment_charge_id,
            error,
        )
        await message.reply_text(
            t.gettext(
                "⚠️ Your payment could not be recorded for a purchase ({reason}). Write to the "
                "head or the operator with this charge id to get it back: <code>{charge}</code>"
            ).format(reason=t.reason(error), charge=payment.telegram_payment_charge_id),
            parse_mode=ParseMode.HTML,
        )
    raise ApplicationHandlerStop  # a payment is nobody else's input (a wizard's, a receipt's)


HANDLERS: list[Registration] = [
    *on_buttons(pay_button, Action.ORDER_PAY),
    (PreCheckoutQueryHandler(pre_checkout), 0),
    # Before any conversation waiting for a person's next message: a payment is never input.
    (MessageHandler(filters.SUCCESSFUL_PAYMENT, successful_payment), -10),
]
