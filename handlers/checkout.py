"""Paying in Telegram (Telegram Payments): *Pay* sends an invoice for what the member owes
now, the checkout Telegram asks about is answered after checking that amount is still due,
and the payment Telegram reports goes into the ledger once per charge. A chat admin may give
the community its own provider token (/paytoken), in private only.

Telegram waits 10 seconds for the checkout's answer; it is one read of the purchase. The
payment comes as a message: its unit of work carries the update id (a redelivered update
changes nothing) and the ledger keeps the charge id (the same charge is recorded once).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from domain import checkout, services
from domain.checkout import Checkout, parse_payload
from domain.community import Community
from domain.errors import N_, DomainError, NotFound
from domain.ports import AlreadyProcessed
from handlers.community import GROUP_TYPES
from handlers.order_editor import refusal_translator
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    Runtime,
    anywhere,
    back_to_previous,
    change_community,
    community_translator,
    end_conversation,
    ensure_community,
    interrupting,
    is_chat_admin,
    load_community,
    on_buttons,
    on_press,
    person_translator,
)
from texts.callback_data import Action, Start, deep_link
from texts.i18n import Translator
from texts.payments_view import invoice_texts

log = logging.getLogger(__name__)


@on_press
async def pay_button(press: Press) -> None:
    """*Pay*: an invoice in the private chat for exactly what the member owes now."""
    t, rt = press.t, press.rt
    user = press.query.from_user
    try:
        purchase, invoice = await services.invoice_for(
            rt.database.unit_of_work(), press.callback.args[0], user.id
        )
    except DomainError as error:
        said = not_done(await refusal_translator(press, press.callback.args[0], error), error)
        await press.query.answer(said, show_alert=True)
        return
    token = checkout.token_for(
        await load_community(press.context, purchase.community_id), rt.payment_token
    )
    if token is None:
        await press.query.answer(
            t.gettext("Paying in Telegram is not set up; pay the head as the purchase says."),
            show_alert=True,
        )
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


async def pre_checkout(update: Update, context: BotContext) -> None:
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
        await services.check_checkout(context.runtime.database.reading(), parsed[0], attempt)
    except DomainError as error:
        await query.answer(ok=False, error_message=not_done(t, error))
        return
    await query.answer(ok=True)


async def successful_payment(update: Update, context: BotContext) -> None:
    """Telegram took the money: into the ledger, once. The member's receipt and the head's
    notice follow from the event; a payment that fits no purchase is named with its charge,
    for the operator to give back."""
    message = update.effective_message
    assert message is not None and message.successful_payment is not None
    payment = message.successful_payment
    user = update.effective_user
    assert user is not None
    rt = context.runtime
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


# --- a community's own provider token --------------------------------------------------------

PAY_TOKEN = "pay_token"  # the conversation: the next private message is a community's token
# The token is asked for right after the link is followed; a message much later is not it.
TOKEN_WITHIN = timedelta(minutes=15)


def where_payments_go(
    t: Translator, community: Community, platform_token: str | None, button: bool = True
) -> str:
    """Where members' payments in Telegram go; `button`: whether a chat admin is offered the
    button to set a token (not while the bot has no key to keep one)."""
    if community.payment_token is not None:
        return t.gettext(
            "Payments in Telegram in this community go to its own provider account (a token a "
            "chat admin set). /paytoken off removes it."
        )
    if not button:
        if platform_token is not None:
            return t.gettext("Payments in Telegram go to the platform's provider account.")
        return t.gettext(
            "Paying in Telegram is off here: members pay the head as each purchase says."
        )
    if platform_token is not None:
        return t.gettext(
            "Payments in Telegram go to the platform's provider account. A chat admin can set "
            "this community's own token with the button."
        )
    return t.gettext(
        "Paying in Telegram is off here: members pay the head as each purchase says. A chat "
        "admin can set a payment provider token (from @BotFather → Payments) with the button."
    )


def no_key(t: Translator) -> str:
    return t.gettext(
        "I cannot keep a payment token safely yet: the bot's operator has to set SECRETS_KEY "
        "(the key tokens are encrypted with) first. Nothing was saved."
    )


async def pay_token_command(update: Update, context: BotContext) -> None:
    """/paytoken in a community chat: where its members' payments in Telegram go, and for chat
    admins a link to send the community's own token in private (never in the group);
    /paytoken off removes it."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    rt = context.runtime
    if chat.type not in GROUP_TYPES:
        t = person_translator(update, context)
        await message.reply_text(
            t.gettext("Send /paytoken in your community chat; I take the token here after that.")
        )
        return
    community = await ensure_community(context, chat)
    t = community_translator(community)
    args = [arg.lower() for arg in context.args or []]  # "/paytoken OFF" is off too
    if args and args != ["off"]:
        # A token posted for the whole chat to see: gone at once, from the chat and from the
        # inbox's copy of the update, and the sender told.
        with contextlib.suppress(TelegramError):
            await message.delete()
        try:
            await forget_text(rt, update)
        except AlreadyProcessed:
            return
        await context.bot.send_message(
            chat.id,
            t.gettext(
                "⚠️ Never post a payment token in the group: I deleted that message. If anyone "
                "saw it, revoke the token in @BotFather. Send /paytoken and use the button to "
                "give it to me in private."
            ),
        )
        return
    if not await is_chat_admin(context, chat.id, user.id):
        await message.reply_text(t.gettext("Only chat admins can set where payments go."))
        return
    if args == ["off"]:
        # Written whatever was loaded: a token no key decrypts (it loads as none) goes too.
        await change_community(context, chat.id, {"payment_token": None})
        community = replace(community, payment_token=None)
        await message.reply_text(
            t.gettext("Removed: this community has no token of its own now.")
            + "\n"
            + where_payments_go(t, community, rt.payment_token)
        )
        return
    if not rt.database.keeps_secrets:
        await message.reply_text(
            where_payments_go(t, community, rt.payment_token, button=False) + "\n\n" + no_key(t)
        )
        return
    link = deep_link(context.bot.username, Start.PAY_TOKEN, chat.id)
    button = InlineKeyboardButton(t.gettext("🔐 Send the token in private"), url=link)
    await message.reply_text(
        where_payments_go(t, community, rt.payment_token),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def _unasked_token(update: Update, context: BotContext) -> None:
    """A token sent with no link followed (or too late): gone from the chat and the inbox,
    saved nowhere, and the sender told how to set one."""
    message = update.effective_message
    assert message is not None
    with contextlib.suppress(TelegramError):
        await message.delete()
    try:
        await forget_text(context.runtime, update)
    except AlreadyProcessed:
        return
    t = person_translator(update, context)
    await message.reply_text(
        t.gettext(
            "That looks like a payment token, but I was not waiting for one (the link from "
            "/paytoken works for 15 minutes): I deleted it and kept nothing. If anyone saw it, "
            "revoke it in @BotFather. To set one, send /paytoken in the community chat."
        )
    )


async def forget_text(rt: Runtime, update: Update) -> None:
    """The inbox keeps this update without its text from now on (it carried a token); raises
    AlreadyProcessed for an update done before."""
    async with rt.database.unit_of_work(update.update_id) as uow:
        await uow.keep_update_without_text(update.to_dict())
        await uow.commit()


async def ask_for_token(update: Update, context: BotContext, chat_id: int) -> None:
    """The link from /paytoken, followed in private: a chat admin's next message is the
    community's token."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    rt = context.runtime
    t = person_translator(update, context)
    community = await load_community(context, chat_id)
    if community is None or not await _admin_of(context, chat_id, user.id):
        await message.reply_text(
            t.gettext("Only a chat admin of that community can set its payment token.")
        )
        return
    if not rt.database.keeps_secrets:
        await message.reply_text(no_key(t))
        return
    async with rt.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(user.id)
        state = interrupting(found, (PAY_TOKEN,)) | {
            "community_id": chat_id,
            "asked_at": rt.clock().isoformat(),
        }
        await uow.telegram.save_conversation(user.id, PAY_TOKEN, state, rt.clock())
        await uow.commit()
    await message.reply_text(
        t.gettext(
            "Send me the payment provider token for {title} now, as @BotFather gives it "
            "(/mybots → this bot → Payments; it looks like 123456:TEST:abc). I delete your "
            "message once I have it."
        ).format(title=community.title)
    )


async def _admin_of(context: BotContext, chat_id: int, user_id: int) -> bool:
    try:
        return await is_chat_admin(context, chat_id, user_id)
    except TelegramError:  # the bot was removed from the chat, or it never existed
        return False


async def token_reply(update: Update, context: BotContext) -> None:
    """The message after the link: the token, saved for the community and deleted from the
    chat. Anyone else's message, or one long after, goes on to the other handlers.

    The token, the conversation's end and the inbox's copy of the message without its text
    are written in one transaction with the update's claim: after a crash before it, the
    update is handled again from the inbox; after it, the update is done and holds no token.
    """
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(user.id)
    waiting = found is not None and found[0] == PAY_TOKEN
    if found is not None and waiting:
        state = found[1]
        if rt.clock() - datetime.fromisoformat(str(state["asked_at"])) > TOKEN_WITHIN:
            await end_conversation(context, user.id, state)
            waiting = False
    if not waiting:
        if checkout.PROVIDER_TOKEN.fullmatch((message.text or "").strip()):
            await _unasked_token(update, context)  # never kept readable, even unasked
            raise ApplicationHandlerStop
        return
    assert found is not None
    state = found[1]
    t = person_translator(update, context)
    chat_id = int(state["community_id"])
    # Out of the chat before anything else (even a mistyped token is nearly one); deleting
    # again after a crash is harmless.
    with contextlib.suppress(TelegramError):
        await message.delete()
    token, refusal = None, None
    community = await load_community(context, chat_id)
    try:
        token = checkout.provider_token(message.text or "")
    except DomainError as error:
        refusal = (
            not_done(t, error)
            + "\n"
            + t.gettext("Send /paytoken in the community chat again to try once more.")
        )
    if refusal is None and (community is None or not await _admin_of(context, chat_id, user.id)):
        token, refusal = (
            None,
            t.gettext("Only a chat admin of that community can set its payment token."),
        )
    if refusal is None and not rt.database.keeps_secrets:
        token, refusal = None, no_key(t)
    try:
        async with rt.database.unit_of_work(update.update_id) as uow:
            await uow.keep_update_without_text(update.to_dict())
            await back_to_previous(uow, user.id, state, rt.clock())
            if token is not None:
                await uow.communities.change(chat_id, {"payment_token": token})
            await uow.commit()
    except AlreadyProcessed:
        raise ApplicationHandlerStop from None
    if refusal is not None or community is None:
        await message.reply_text(refusal or "")
        raise ApplicationHandlerStop
    await message.reply_text(
        t.gettext(
            "Saved for {title}: members of its prepaid purchases can pay in Telegram now, to "
            "the provider account of this token. I deleted your message with it."
        ).format(title=community.title)
    )
    raise ApplicationHandlerStop


HANDLERS: list[Registration] = [
    anywhere("paytoken", pay_token_command),
    # Before the other conversations (the wizard's, a driver's note): the token goes nowhere else.
    (
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, token_reply),
        -3,
    ),
    *on_buttons(pay_button, Action.ORDER_PAY),
    (PreCheckoutQueryHandler(pre_checkout), 0),
    # Before any conversation waiting for a person's next message: a payment is never input.
    (MessageHandler(filters.SUCCESSFUL_PAYMENT, successful_payment), -10),
]
