"""Handing goods over at the pickup: the head or a helper sends a member's code (or scans the
member's QR code) and sees who it is, what to hand over and what money changes hands (what to
collect from a postpaid or unpaid member, what to give back to one who paid too much), then
records it with one tap; the head can take a mistaken handover back."""

from __future__ import annotations

from html import escape

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    MessageHandler,
    filters,
)

from domain import ledger, services
from domain.errors import DomainError
from domain.money import Money
from domain.permissions import can_hand_over, ensure_can_hand_over
from domain.ports import AlreadyProcessed
from domain.purchase import Purchase, PurchaseStatus, normal_code
from handlers.purchase_card import not_done

# The arrived purchases a head's code is looked up in.
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    Runtime,
    actor_for,
    managed_purchase,
    on_buttons,
    on_press,
    person_translator,
)
from texts import notices
from texts.callback_data import Action, encode
from texts.i18n import Translator

ARRIVED_SHOWN = 50


def _name(purchase: Purchase, user_id: int) -> str:
    member = purchase.members.get(user_id)
    return member.name if member else purchase.helpers.get(user_id, str(user_id))


def handed_by(t: Translator, purchase: Purchase, by: int, reader: int) -> str:
    """Who handed goods over, as the reader says it: "you", "the head", or a name."""
    if by == reader:
        return t.gettext("you")
    if by == purchase.head_id and by not in purchase.members:
        return t.gettext("the head")
    return escape(_name(purchase, by))


def handover_card(
    t: Translator, purchase: Purchase, member_id: int, reader: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Who the code belongs to, what they get, what money changes hands; the buttons carry
    the amount shown, so a changed balance makes them stale instead of wrong."""
    code = purchase.pickup_codes[member_id]
    lines = purchase.final_lines().get(member_id, {})
    text = [
        t.gettext("📦 {name} — code {code} — {title}").format(
            name=escape(_name(purchase, member_id)), code=code, title=notices.title(purchase)
        ),
        t.gettext("Hand over: {lines}").format(
            lines=notices.lines_text(t, purchase, lines, member_id)
        ),
    ]
    handover = purchase.handed_over.get(member_id)
    account = ledger.account_of(purchase, member_id)
    if handover is not None:
        text.insert(
            1,
            t.gettext("✅ Already handed over on {when} by {name}.").format(
                when=t.when(handover.at), name=handed_by(t, purchase, handover.by, reader)
            ),
        )
    if account.to_pay.minor:
        text.append(t.gettext("To collect: <b>{amount}</b>").format(amount=t.money(account.to_pay)))
    elif account.owed_back.minor:
        text.append(
            t.gettext("To give back: <b>{amount}</b>").format(amount=t.money(account.owed_back))
        )
    else:
        text.append(t.gettext("Paid: nothing to collect."))
    if handover is not None:
        undo = encode(Action.HANDOVER_UNDO, purchase.id, member_id)
        undoable = purchase.status is PurchaseStatus.ARRIVED and reader == purchase.head_id
        return "\n".join(text), InlineKeyboardMarkup(
            [[InlineKeyboardButton(t.gettext("↩️ Undo the handover"), callback_data=undo)]]
        ) if undoable else None

    if (refusal := purchase.handover_refusal(reader, member_id)) is not None:
        text.append("🚫 " + escape(not_done(t, refusal)))
        return "\n".join(text), None

    def button(label: str, settled: int) -> list[InlineKeyboardButton]:
        data = encode(Action.HANDOVER, purchase.id, member_id, settled)
        return [InlineKeyboardButton(label[:64], callback_data=data)]

    rows = []
    if account.to_pay.minor:
        rows.append(button(t.gettext("✅ Handed over, {amount} received").format(
            amount=t.money(account.to_pay)), account.to_pay.minor))  # fmt: skip
        rows.append(button(t.gettext("Handed over, not paid yet"), 0))
    elif account.owed_back.minor:
        rows.append(button(t.gettext("✅ Handed over, {amount} given back").format(
            amount=t.money(account.owed_back)), -account.owed_back.minor))  # fmt: skip
        rows.append(button(t.gettext("Handed over, nothing given back yet"), 0))
    else:
        rows.append(button(t.gettext("✅ Handed over"), 0))
    rows.append([InlineKeyboardButton(
        t.gettext("Not now"), callback_data=encode(Action.HANDOVER_LATER, purchase.id, member_id)
    )])  # fmt: skip
    return "\n".join(text), InlineKeyboardMarkup(rows)


async def hand_over_by_code(update: Update, context: BotContext) -> None:
    """A head sends a pickup code (any case, spaces allowed): whose it is and what to do."""
    message = update.effective_message
    assert message is not None and message.text is not None
    actor = actor_for(update, context)
    rt = context.runtime
    t = person_translator(update, context)
    async with rt.database.unit_of_work() as uow:
        arrived = await uow.purchases.headlines(
            ARRIVED_SHOWN, actor.user_id, (PurchaseStatus.ARRIVED,)
        )
        helped = await uow.purchases.helped(actor.user_id, PurchaseStatus.ARRIVED)
        ids = [line.id for line in arrived] + helped[:ARRIVED_SHOWN]
        purchases = await uow.purchases.get_many(ids)
    if not purchases:
        return  # four letters from someone with nothing to hand over are not a code
    code = normal_code(message.text)
    found = False
    for purchase in purchases:
        member = next((m for m, c in purchase.pickup_codes.items() if c == code), None)
        if member is None:
            continue
        found = True
        text, markup = handover_card(t, purchase, member, actor.user_id)
        await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    if not found:
        await message.reply_text(
            t.gettext("No member of your arrived purchases has the code {code}.").format(code=code)
        )


@on_press
async def handover_button(press: Press) -> None:
    """Handed over (with the money shown received or given back), or not now."""
    purchase_id, member_id = press.callback.args[0], press.callback.args[1]
    try:
        if press.callback.action is Action.HANDOVER_UNDO:  # the head's alone
            purchase = await managed_purchase(press.context, purchase_id, press.actor)
        else:
            purchase = await managed_purchase(
                press.context, purchase_id, press.actor, ensure_can_hand_over
            )
        if press.callback.action is Action.HANDOVER_LATER:
            await press.query.answer(press.t.gettext("Nothing recorded."))
            if isinstance(press.query.message, Message):
                await press.query.message.edit_reply_markup(None)
            return
        if press.callback.action is Action.HANDOVER_UNDO:
            await services.undo_handover(
                press.unit_of_work(), purchase_id, press.actor, member_id,
                press.rt.clock(),
            )  # fmt: skip
            await press.query.answer(
                press.t.gettext("Handover undone: {name} has not collected yet.").format(
                    name=_name(purchase, member_id)
                ),
                show_alert=True,
            )
            await _redraw(
                press.query, press.t, press.rt, purchase_id, member_id, press.actor.user_id
            )
            return
        handover = purchase.handed_over.get(member_id)
        if handover is not None:
            await press.query.answer(
                press.t.gettext("Already handed over on {when} by {name}.").format(
                    when=press.t.when(handover.at),
                    name=handed_by(press.t, purchase, handover.by, press.actor.user_id),
                ),
                show_alert=True,
            )
            return
        settled = Money(press.callback.args[2], purchase.currency)
        await services.hand_over(
            press.unit_of_work(), purchase_id, press.actor, member_id,
            press.rt.clock(), settled if settled.minor else None,
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    await press.query.answer(press.t.gettext("Handed over."))
    await _redraw(press.query, press.t, press.rt, purchase_id, member_id, press.actor.user_id)


async def _redraw(
    query: CallbackQuery, t: Translator, rt: Runtime, purchase_id: int, member_id: int, reader: int
) -> None:
    async with rt.database.unit_of_work() as uow:
        done = await uow.purchases.read(purchase_id)
    if done is not None and isinstance(query.message, Message):
        text, markup = handover_card(t, done, member_id, reader)
        await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def open_by_token(update: Update, context: BotContext, token: str) -> None:
    """A member's pickup QR code opened: the handover, for the head of that purchase and its
    helpers; for anyone else (the member themselves, a neighbour, a stranger) the same words
    whatever the token, so a QR code passed around tells nothing."""
    message = update.effective_message
    assert message is not None
    actor = actor_for(update, context)
    rt = context.runtime
    t = person_translator(update, context)
    async with rt.database.unit_of_work() as uow:
        found = await uow.purchases.pickup_by_token(token)
        purchase = await uow.purchases.read(found[0]) if found else None
    if found is None or purchase is None or not can_hand_over(purchase, actor):
        await message.reply_text(
            t.gettext(
                "This is a pickup QR code: the head of the purchase scans it at the pickup to "
                "hand over the goods. If it is yours, show it to them."
            )
        )
        return
    text, markup = handover_card(t, purchase, found[1], actor.user_id)
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


HANDLERS: list[Registration] = [
    *on_buttons(handover_button, Action.HANDOVER, Action.HANDOVER_LATER, Action.HANDOVER_UNDO),
    (
        MessageHandler(
            # A pickup code as people type it: any case, spaces anywhere ("kx 7p").
            filters.ChatType.PRIVATE & filters.Regex(r"^\s*(?:[A-Za-z0-9]\s*){4}$"),
            hand_over_by_code,
        ),
        0,
    ),
]
