"""The head's controls in the private chat: /purchases, and the buttons that move a purchase
along (stop, extend, go ahead, cancel, ordered, arrived, complete), plus handing goods over by
pickup code. Every action checks on the server that the person is the head or an admin."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.i18n import Translator, pick_language
from bot.notices import progress
from domain import services
from domain.errors import N_, DomainError, NotFound, PickupNeeded
from domain.money import Money
from domain.permissions import Actor, ensure_can_manage
from domain.ports import AlreadyProcessed
from domain.purchase import (
    FINISHED,
    RUNNING,
    STATUS_WORDS,
    PaymentState,
    Purchase,
    PurchaseStatus,
)
from domain.purchase_form import parse_pickup
from domain.reports import Report, head_report
from domain.supply import CONFIRMABLE, refunds_due
from handlers.callback_data import Action, decode, encode
from handlers.card_view import status_line
from handlers.edit_purchase import send_edit_form
from handlers.exports import report_xlsx, supplier_csv
from handlers.purchase_card import not_done
from handlers.runtime import (
    actor_for,
    callback_or_refusal,
    person_translator,
    redraw,
    runtime,
)
from handlers.transfer import send_candidates
from storage.repositories import PurchaseHeadline

MAX_EXTENSION_HOURS = 24 * 30
READ_ONLY = (
    Action.HEAD_PANEL,
    Action.HEAD_PARTICIPANTS,
    Action.HEAD_EXPORT,
    Action.HEAD_MESSAGE,
    Action.HEAD_PAYMENTS,
    Action.HEAD_TRANSFER,
    Action.HEAD_SUPPLY,
    Action.HEAD_EDIT,
    Action.HEAD_CANCEL,  # asks for the reason; /cancel_purchase cancels
)
MAX_REASON_LENGTH = 500
MAX_BROADCAST_LENGTH = 3000


def panel_keyboard(t: Translator, purchase: Purchase) -> InlineKeyboardMarkup:
    pid = purchase.id

    def button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=encode(action, pid, *args))

    rows: list[list[InlineKeyboardButton]] = []
    if purchase.status is PurchaseStatus.OPEN:
        if purchase.awaiting_head_decision:
            rows.append([button(t.gettext("Go ahead anyway"), Action.HEAD_GO_AHEAD)])
        else:
            rows.append([button(t.gettext("Stop now"), Action.HEAD_STOP)])
        rows.append([button(t.gettext("Extend by 24 h"), Action.HEAD_EXTEND, 24)])
        if not purchase.awaiting_head_decision:
            rows.append([button(t.gettext("Edit"), Action.HEAD_EDIT)])
        rows.append([button(t.gettext("Cancel the purchase"), Action.HEAD_CANCEL)])
    elif purchase.status is PurchaseStatus.STOPPED:
        rows.append([button(t.gettext("Mark ordered"), Action.HEAD_ORDERED)])
        rows.append([button(t.gettext("Cancel the purchase"), Action.HEAD_CANCEL)])
    elif purchase.status is PurchaseStatus.ORDERED:
        rows.append([button(t.gettext("Mark arrived"), Action.HEAD_ARRIVED)])
    elif purchase.status is PurchaseStatus.ARRIVED:
        rows.append([button(t.gettext("Complete"), Action.HEAD_COMPLETE)])
    if purchase.status in CONFIRMABLE:
        rows.append([button(t.gettext("What the supplier confirmed"), Action.HEAD_SUPPLY)])
    if purchase.accepts_payments() and purchase.final_lines():
        rows.append([button(t.gettext("Payments"), Action.HEAD_PAYMENTS)])
    if purchase.participant_ids():
        rows.append([
            button(t.gettext("Participants"), Action.HEAD_PARTICIPANTS),
            button(t.gettext("Export"), Action.HEAD_EXPORT),
        ])  # fmt: skip
        rows.append([button(t.gettext("Message all"), Action.HEAD_MESSAGE)])
    if purchase.status in RUNNING and set(purchase.participant_ids()) - {purchase.head_id}:
        rows.append([button(t.gettext("Hand over to another member"), Action.HEAD_TRANSFER)])
    rows.append([button(t.gettext("Refresh"), Action.HEAD_PANEL)])
    return InlineKeyboardMarkup(rows)


PARTICIPANTS_PER_MESSAGE = 30


def participant_messages(t: Translator, purchase: Purchase, report: Report) -> list[str]:
    """The private participant list, split so each message stays under Telegram's limit."""
    entries = []
    for member in report.members:
        lines = ", ".join(
            f"{units} × {escape(purchase.item(item_id).name)}"
            for item_id, units in member.lines.items()
        )
        entry = (
            f'• <a href="tg://user?id={member.member_id}">{escape(member.name)}</a>: {lines} — '
            f"{t.money(member.due.total)}"
        )
        paid = _payment_mark(t, member.payment)
        if paid:
            entry += f" · {paid}"
        if member.pickup_code:
            entry += f" · {member.pickup_code}" + (" ✓" if member.handed_over else "")
        entries.append(entry)
    header = t.gettext("Participants of <b>{title}</b> (only you see this):").format(
        title=escape(purchase.title)
    )
    chunks = [
        entries[i : i + PARTICIPANTS_PER_MESSAGE]
        for i in range(0, len(entries), PARTICIPANTS_PER_MESSAGE)
    ]
    return [header + "\n" + "\n".join(chunk) for chunk in chunks] or [header]


def _payment_mark(t: Translator, state: PaymentState | None) -> str:
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
    if not unpaid:
        text = "\n".join([header, t.gettext("Everyone has paid."), *refund_lines])
        return [(text, None)]
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = []
    for start in range(0, len(unpaid), PARTICIPANTS_PER_MESSAGE):
        chunk = unpaid[start : start + PARTICIPANTS_PER_MESSAGE]
        lines = [header, t.gettext("Not paid yet — tap a name when you have their money:")]
        lines = lines if start == 0 else []
        rows = []
        for member in chunk:
            owed = t.money(member.due.total - (member.paid or zero))
            mark = _payment_mark(t, member.payment)
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


async def _report(
    context: ContextTypes.DEFAULT_TYPE, purchase_id: int, actor: Actor
) -> tuple[Purchase, Report]:
    async with runtime(context).database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    return purchase, head_report(purchase, actor)


async def _send_participants(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await _report(context, purchase_id, actor)
    for text in participant_messages(t, purchase, report):
        await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)


async def _send_payments(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await _report(context, purchase_id, actor)
    for text, markup in payments_messages(t, purchase, report):
        await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )


async def _send_exports(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await _report(context, purchase_id, actor)
    name = f"purchase-{purchase.id}"
    await context.bot.send_document(
        chat.id,
        InputFile(supplier_csv(t, purchase, report), filename=f"{name}-supplier.csv"),
        caption=t.gettext("Supplier order of {title}").format(title=purchase.title),
    )
    await context.bot.send_document(
        chat.id,
        InputFile(report_xlsx(t, purchase, report), filename=f"{name}.xlsx"),
        caption=t.gettext("Supplier order, members and pickup list of {title}").format(
            title=purchase.title
        ),
    )


def panel_text(t: Translator, purchase: Purchase, now_status: str) -> str:
    members = len(purchase.participant_ids())
    lines = [
        f"🛒 <b>{escape(purchase.title)}</b>",
        now_status,
        t.ngettext("{count} member", "{count} members", members).format(count=members)
        + " · "
        + progress(t, purchase),
    ]
    if purchase.accepts_payments():
        receiving = len(purchase.final_lines())
        lines.append(
            t.gettext("Paid: {paid} of {count}").format(
                paid=receiving - len(purchase.unpaid()), count=receiving
            )
        )
    if purchase.status is PurchaseStatus.ARRIVED:
        handed = len(purchase.handed_over)
        lines.append(
            t.gettext(
                "Handed over: {handed} of {total}. Send a member's pickup code here to hand over."
            ).format(handed=handed, total=len(purchase.pickup_codes))
        )
    return "\n".join(lines)


# /purchases lists every running purchase and the latest finished ones; older ones stay in the
# database and in the exports the head already has.
FINISHED_SHOWN = 10
RUNNING_SHOWN = 50


def headline_label(t: Translator, line: PurchaseHeadline) -> str:
    status = t.gettext(STATUS_WORDS[line.status])
    return f"{line.title[:40]} · {status}"


async def list_purchases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/purchases: the panel of the head's one purchase, or a list that opens each panel."""
    message = update.effective_message
    actor = actor_for(update, context)
    assert message is not None
    rt = runtime(context)
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


async def send_panel(
    update: Update, context: ContextTypes.DEFAULT_TYPE, purchase_id: int, actor: Actor
) -> None:
    """A new message with the panel of one purchase, for its head or a platform admin."""
    chat = update.effective_chat
    assert chat is not None
    rt = runtime(context)
    async with rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    ensure_can_manage(purchase, actor)
    t = person_translator(update, context)
    await context.bot.send_message(
        chat.id,
        panel_text(t, purchase, status_line(t, purchase, rt.clock())),
        parse_mode=ParseMode.HTML,
        reply_markup=panel_keyboard(t, purchase),
    )


async def open_panel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A purchase tapped in the /purchases (or /admin) list."""
    pressed = await callback_or_refusal(update, context)
    if pressed is None:
        return
    query, callback = pressed
    try:
        await send_panel(update, context, callback.args[0], actor_for(update, context))
    except DomainError as error:
        await query.answer(not_done(person_translator(update, context), error))
        return
    await query.answer()


async def head_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A control of the panel (or of the "what now?" message at a short deadline)."""
    pressed = await callback_or_refusal(update, context)
    if pressed is None:
        return
    query, callback = pressed
    t = person_translator(update, context)
    rt = runtime(context)
    actor = actor_for(update, context)
    purchase_id = callback.args[0]
    uow = rt.database.unit_of_work(update.update_id)
    now = rt.clock()
    reminded = 0
    try:
        match callback.action:
            case Action.HEAD_STOP:
                await services.stop_now(uow, purchase_id, actor)
            case Action.HEAD_GO_AHEAD:
                await services.go_ahead_anyway(uow, purchase_id, actor)
            case Action.HEAD_EXTEND:
                hours = callback.args[1]
                if not 1 <= hours <= MAX_EXTENSION_HOURS:
                    raise NotFound(N_("no such extension"))
                await services.postpone(uow, purchase_id, actor, timedelta(hours=hours), now)
            case Action.HEAD_CANCEL:
                await _ask_for_reason(update, context, purchase_id, actor, t)
            case Action.HEAD_ORDERED:
                await services.mark_ordered(uow, purchase_id, actor)
            case Action.HEAD_ARRIVED:
                await services.mark_arrived(uow, purchase_id, actor, [])
            case Action.HEAD_COMPLETE:
                await services.complete(uow, purchase_id, actor)
            case Action.HEAD_PARTICIPANTS:
                await _send_participants(update, context, purchase_id, actor, t)
            case Action.HEAD_EXPORT:
                await _send_exports(update, context, purchase_id, actor, t)
            case Action.HEAD_EDIT:
                await send_edit_form(update, context, purchase_id, actor, t)
            case Action.HEAD_SUPPLY:
                await _send_supply_form(update, context, purchase_id, actor, t)
            case Action.HEAD_TRANSFER:
                await send_candidates(update, context, purchase_id, actor, t)
            case Action.HEAD_PAYMENTS:
                await _send_payments(update, context, purchase_id, actor, t)
            case Action.HEAD_REMIND_UNPAID:
                reminded = await services.remind_unpaid(uow, purchase_id, actor)
            case Action.HEAD_MESSAGE:
                chat = update.effective_chat
                assert chat is not None
                await context.bot.send_message(chat.id, message_usage(t, purchase_id))
            case _:
                pass  # HEAD_PANEL: just redraw
    except AlreadyProcessed:
        return
    except PickupNeeded:
        await query.answer()
        await _ask_for_pickup(update, context, purchase_id, t)
        return
    except DomainError as error:
        await query.answer(not_done(t, error))
        return
    if callback.action is Action.HEAD_REMIND_UNPAID:
        await query.answer(
            t.ngettext("Reminded {count} member.", "Reminded {count} members.", reminded).format(
                count=reminded
            )
        )
        return  # the button is under the payments list, which stays as it is
    await query.answer(t.gettext("Done.") if callback.action not in READ_ONLY else None)
    rt.cards.request(purchase_id)
    async with rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    if purchase is not None and isinstance(query.message, Message):
        await redraw(
            query.message,
            panel_text(t, purchase, status_line(t, purchase, rt.clock())),
            panel_keyboard(t, purchase),
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


async def _ask_for_pickup(
    update: Update, context: ContextTypes.DEFAULT_TYPE, purchase_id: int, t: Translator
) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id,
        t.gettext(
            "Where and when do members pick up? Send it like this:\n"
            "/arrived {id} 2026-11-27 10:00-12:00 | Community hall"
        ).format(id=purchase_id),
    )


async def arrived_with_pickup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/arrived <purchase> <date> <from>-<to> | <place>: goods are in, pick up there and then."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = runtime(context)
    parts = message.text.split(maxsplit=2)
    if len(parts) < 3 or not parts[1].isdigit():
        await message.reply_text(
            t.gettext("Write it like this: /arrived 7 2026-11-27 10:00-12:00 | Community hall")
        )
        return
    purchase_id = int(parts[1])
    async with rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    try:
        if purchase is None or community is None:
            raise NotFound(N_("no such purchase"))
        slot = parse_pickup(parts[2], community.timezone)
        await services.mark_arrived(
            rt.database.unit_of_work(update.update_id), purchase_id,
            actor_for(update, context), [slot],
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    await message.reply_text(t.gettext("Done. Members get their pickup codes now."))


async def _ask_for_reason(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    """Cancelling tells every member and cannot be undone: it takes a typed reason, never one
    tap on a panel a thumb can brush."""
    chat = update.effective_chat
    assert chat is not None
    async with runtime(context).database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    ensure_can_manage(purchase, actor)
    await context.bot.send_message(chat.id, cancel_usage(t, purchase_id))


def cancel_usage(t: Translator, purchase_id: int) -> str:
    return t.gettext(
        "Cancelling tells every member and cannot be undone. To cancel, send the reason "
        "members will read, like this:\n/cancel_purchase {id} The supplier closed for the season"
    ).format(id=purchase_id)


async def cancel_with_reason(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel_purchase <purchase> <reason>: cancel; every member and the chat get the reason."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    parts = message.text.split(maxsplit=2)
    if len(parts) < 3 or not parts[1].isdigit() or not parts[2].strip():
        number = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 7
        await message.reply_text(cancel_usage(t, number))
        return
    reason = parts[2].strip()
    if len(reason) > MAX_REASON_LENGTH:
        await message.reply_text(
            t.gettext("That is longer than {limit} characters; please shorten it.").format(
                limit=MAX_REASON_LENGTH
            )
        )
        return
    purchase_id = int(parts[1])
    rt = runtime(context)
    try:
        await services.cancel(
            rt.database.unit_of_work(update.update_id), purchase_id,
            actor_for(update, context), reason,
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    rt.cards.request(purchase_id)
    await message.reply_text(t.gettext("Cancelled. Every member gets your reason."))


def supply_form(t: Translator, purchase: Purchase) -> str:
    """The head's form: the command and one line per item with what is in the order now."""
    lines = [f"/supply {purchase.id}"]
    for item in purchase.items:
        confirmed = purchase.supply.get(item.item_id)
        ordered = purchase.ordered_units(item.item_id)
        units = ordered if confirmed is None else confirmed.units
        note = (
            t.gettext("ordered {units}, packs of {size}").format(units=ordered, size=item.pack_size)
            if item.pack_size > 1
            else t.gettext("ordered {units}").format(units=ordered)
        )
        lines.append(f"{item.item_id}. {item.name}: {units} ({note})")
    return "\n".join(lines)


async def _send_supply_form(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    async with runtime(context).database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(N_("no such purchase"))
    ensure_can_manage(purchase, actor)
    await context.bot.send_message(
        chat.id,
        t.gettext(
            "What did the supplier confirm? Copy the next message, change the units (whole "
            "packs), add @ and the new unit price where it changed (1. Honey: 6 @ 13.00), and "
            "send it back. Members who get less are told, and the amounts follow."
        ),
    )
    await context.bot.send_message(chat.id, supply_form(t, purchase))


async def supplier_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/supply <purchase> with one line per item: what the supplier confirmed."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = runtime(context)
    first, _, rest = message.text.partition("\n")
    words = first.split()
    if len(words) != 2 or not words[1].isdigit():
        await message.reply_text(
            t.gettext("Press “What the supplier confirmed” on the purchase's panel (/purchases).")
        )
        return
    purchase_id = int(words[1])
    actor = actor_for(update, context)
    try:
        if not rest.strip():
            await _send_supply_form(update, context, purchase_id, actor, t)
            return
        changed = await services.confirm_supply(
            rt.database.unit_of_work(update.update_id), purchase_id, actor, rest
        )
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    await message.reply_text(
        t.ngettext(
            "Saved. {count} member gets their new lines and amount.",
            "Saved. {count} members get their new lines and amounts.",
            len(changed),
        ).format(count=len(changed))
        if changed
        else t.gettext("Saved. No member's lines or amount changed.")
    )


def message_usage(t: Translator, purchase_id: int) -> str:
    return t.gettext(
        "Write to every participant privately like this:\n"
        "/message {id} The truck is late, pickup moves to 19:00"
    ).format(id=purchase_id)


async def message_all(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/message <purchase> <text>: the head writes once, every participant gets it privately."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    parts = message.text.split(maxsplit=2)
    if len(parts) < 3 or not parts[1].isdigit() or not parts[2].strip():
        await message.reply_text(
            message_usage(t, int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 7)
        )
        return
    if len(parts[2]) > MAX_BROADCAST_LENGTH:
        await message.reply_text(
            t.gettext("That is longer than {limit} characters; please shorten it.").format(
                limit=MAX_BROADCAST_LENGTH
            )
        )
        return
    purchase_id = int(parts[1])
    rt = runtime(context)
    try:
        async with rt.database.unit_of_work(update.update_id) as uow:
            purchase, community = await uow.purchase_and_community(purchase_id)
            if purchase is None or community is None:
                raise NotFound(N_("no such purchase"))
            ensure_can_manage(purchase, actor_for(update, context))
            members = purchase.participant_ids()
            languages = await uow.telegram.languages(members)
            now = rt.clock()
            for member in members:
                reader = Translator(
                    pick_language(languages.get(member), community.language), community.timezone
                )
                text = reader.gettext("📣 From the head of {title}:").format(
                    title=f"<b>{escape(purchase.title)}</b>"
                )
                await uow.outbox.enqueue(
                    f"message:{purchase_id}:{update.update_id}:{member}", member,
                    {"text": text + "\n" + escape(parts[2].strip()), "parse_mode": "HTML"}, now,
                )  # fmt: skip
            await uow.commit()
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    await message.reply_text(
        t.ngettext(
            "Sent to {count} participant.", "Sent to {count} participants.", len(members)
        ).format(count=len(members))
    )


async def hand_over_by_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A head sends a pickup code: the member with that code gets their goods."""
    message = update.effective_message
    assert message is not None and message.text is not None
    actor = actor_for(update, context)
    rt = runtime(context)
    t = person_translator(update, context)
    async with rt.database.unit_of_work() as uow:
        arrived = await uow.purchases.headlines(
            RUNNING_SHOWN, actor.user_id, (PurchaseStatus.ARRIVED,)
        )
        purchases = [p for line in arrived if (p := await uow.purchases.get(line.id))]
    if not purchases:
        return  # four letters from someone with nothing to hand over are not a code
    code = message.text.strip().upper()
    for purchase in purchases:
        if code not in purchase.pickup_codes.values():
            continue
        try:
            member = await services.hand_over(
                rt.database.unit_of_work(update.update_id), purchase.id, actor, code
            )
        except AlreadyProcessed:
            return
        name = purchase.members[member].name if member in purchase.members else "?"
        await message.reply_text(
            t.gettext("✅ {name} gets their goods of {title} (code {code}).").format(
                name=name, title=purchase.title, code=code
            )
        )
        return
    await message.reply_text(
        t.gettext("No member of your arrived purchases has the code {code}.").format(code=code)
    )
