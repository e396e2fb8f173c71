"""Payments on the head's side: who owes what, recording money received or not found (from
a member's "I paid" notice, a receipt photo or the list), and reminding the unpaid."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.i18n import Translator
from domain import services
from domain.errors import DomainError
from domain.money import Money
from domain.permissions import Actor
from domain.ports import AlreadyProcessed
from domain.purchase import PaymentState, Purchase
from domain.reports import Report
from domain.supply import refunds_due
from handlers.callback_data import Action, decode, encode
from handlers.purchase_card import not_done
from handlers.runtime import actor_for, callback_or_refusal, load_report, person_translator, runtime

MEMBERS_PER_MESSAGE = 30


def payment_mark(t: Translator, state: PaymentState | None) -> str:
    match state:
        case PaymentState.CONFIRMED:
            return t.gettext("paid")
        case PaymentState.CLAIMED:
            return t.gettext("says paid")
        case PaymentState.REJECTED:
            return t.gettext("payment not found")
        case PaymentState.PARTLY_PAID:
            return t.gettext("paid part")
    return ""


def _link(member_id: int, name: str) -> str:
    return f'<a href="tg://user?id={member_id}">{escape(name)}</a>'


def payments_messages(
    t: Translator, purchase: Purchase, report: Report
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """Who still owes what, with a button per member to record money received (cash at
    pickup needs no "I paid" first) and one to remind everyone unpaid; then whom the head owes
    money back (the supplier sent less, or a member left after paying)."""
    zero = Money.zero(purchase.currency)
    receiving = [m for m in report.members if m.due.total.minor]
    unpaid = [m for m in receiving if m.payment is not PaymentState.CONFIRMED]
    collected = sum((m.paid or zero for m in receiving), zero)
    expected = sum((m.due.total for m in receiving), zero)
    header = t.gettext(
        "Payments of <b>{title}</b>: {paid} of {count} members paid, {collected} of {expected}."
    ).format(
        title=escape(purchase.title),
        paid=len(receiving) - len(unpaid),
        count=len(receiving),
        collected=t.money(collected),
        expected=t.money(expected),
    )
    refunds = refunds_due(purchase)
    refund_lines = [t.gettext("You owe back:")] if refunds else []
    for member_id, amount in refunds.items():
        name = purchase.members[member_id].name if member_id in purchase.members else "?"
        refund_lines.append(f"• {_link(member_id, name)}: {t.money(amount)}")
    if not purchase.accepts_payments():  # cancelled: nothing is collected, only paid back
        text = "\n".join([f"🛒 <b>{escape(purchase.title)}</b>", *refund_lines])
        return [(text, None)]
    if not unpaid:
        text = "\n".join([header, t.gettext("Everyone has paid."), *refund_lines])
        return [(text, None)]
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = []
    for start in range(0, len(unpaid), MEMBERS_PER_MESSAGE):
        chunk = unpaid[start : start + MEMBERS_PER_MESSAGE]
        lines = [header, t.gettext("Not paid yet — tap a name when you have their money:")]
        lines = lines if start == 0 else []
        rows = []
        for member in chunk:
            owed = t.money(member.due.total - (member.paid or zero))
            mark = payment_mark(t, member.payment)
            lines.append(
                f"• {_link(member.member_id, member.name)}: {owed}" + (f" · {mark}" if mark else "")
            )
            rows.append([InlineKeyboardButton(
                f"✅ {member.name}"[:40] + f", {owed}",
                callback_data=encode(Action.PAYMENT_CONFIRM, purchase.id, member.member_id),
            )])  # fmt: skip
        messages.append(("\n".join(lines), InlineKeyboardMarkup(rows)))
    last_text, last_markup = messages[-1]
    assert last_markup is not None
    remind = InlineKeyboardButton(
        t.gettext("📣 Remind all unpaid"),
        callback_data=encode(Action.HEAD_REMIND_UNPAID, purchase.id),
    )
    last_text = "\n".join([last_text, *refund_lines])
    messages[-1] = (last_text, InlineKeyboardMarkup([*last_markup.inline_keyboard, [remind]]))
    return messages


async def send_payments(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await load_report(context, purchase_id, actor)
    for text, markup in payments_messages(t, purchase, report):
        await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )


def _without_member_buttons(
    markup: InlineKeyboardMarkup | None, member_id: int
) -> list[list[InlineKeyboardButton]]:
    """The keyboard's rows minus the buttons answering one member's payment."""
    rows = []
    for row in markup.inline_keyboard if markup else ():
        kept = []
        for button in row:
            data = decode(button.callback_data) if isinstance(button.callback_data, str) else None
            answers_member = data is not None and data.action in PAYMENT_ANSWERS
            if not (answers_member and data is not None and data.args[1] == member_id):
                kept.append(button)
        if kept:
            rows.append(kept)
    return rows


PAYMENT_ANSWERS = (Action.PAYMENT_CONFIRM, Action.PAYMENT_REJECT)


async def head_answers_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The head has a member's money (or has not found it): from a member's "I paid" notice
    or from the payments list."""
    pressed = await callback_or_refusal(update, context)
    if pressed is None:
        return
    query, callback = pressed
    t = person_translator(update, context)
    rt = runtime(context)
    purchase_id, member_id = callback.args
    actor = actor_for(update, context)
    uow = rt.database.unit_of_work(update.update_id)
    received = callback.action is Action.PAYMENT_CONFIRM
    try:
        if received:
            await services.confirm_payment(uow, purchase_id, actor, member_id)
        else:
            await services.reject_payment(uow, purchase_id, actor, member_id)
    except AlreadyProcessed:
        return
    except DomainError as error:
        await query.answer(not_done(t, error))
        return
    await query.answer(t.gettext("Payment recorded.") if received else t.gettext("Member told."))
    message = query.message
    if not isinstance(message, Message):
        return
    rows = _without_member_buttons(message.reply_markup, member_id)
    if rows:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows))
    elif message.text:
        outcome = t.gettext("✅ Received") if received else t.gettext("❌ Not received")
        await message.edit_text(escape(message.text) + "\n\n" + outcome, parse_mode=ParseMode.HTML)
    else:  # a receipt photo: its buttons go, the photo stays
        await message.edit_reply_markup(None)
