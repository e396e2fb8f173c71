"""The head's controls in the private chat: /purchases, the panel and the buttons that move a
purchase along (stop, extend, go ahead, edit, cancel, ordered, arrived, complete), the private
participant list, exports, messages to all, and handing goods over by pickup code. Payments
live in handlers/payments.py, the supplier's confirmation in handlers/supply_form.py, head
transfer in handlers/transfer.py. Every action checks on the server that the person is the head
or an admin."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from html import escape

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    ContextTypes,
)

from domain import ledger, services
from domain.errors import N_, DomainError, NotFound, PickupNeeded
from domain.form_fields import Examples, parse_pickups
from domain.ledger import OpenBalances
from domain.permissions import Actor, ensure_can_manage
from domain.ports import AlreadyProcessed, PurchaseHeadline
from domain.purchase import (
    FINISHED,
    RUNNING,
    STATUS_WORDS,
    Purchase,
    PurchaseStatus,
)
from domain.reports import Report
from domain.supply import CONFIRMABLE
from handlers.edit_purchase import send_edit_form
from handlers.exports import report_xlsx, supplier_csv
from handlers.packing_list import FontsMissing, packing_pdf
from handlers.payments import payment_mark, send_payments
from handlers.purchase_card import not_done
from handlers.runtime import (
    Press,
    Registration,
    actor_for,
    in_private,
    load_report,
    managed_purchase,
    on_buttons,
    on_press,
    person_translator,
    purchase_command,
    redraw,
    runtime,
)
from handlers.supply_form import send_supply_form
from handlers.transfer import send_candidates
from texts import notices
from texts.callback_data import Action, encode
from texts.card_view import members_count, status_line
from texts.i18n import Translator, pick_language
from texts.notices import progress, slot_text, unreachable_text

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

log = logging.getLogger(__name__)


def panel_keyboard(t: Translator, purchase: Purchase) -> InlineKeyboardMarkup:
    pid = purchase.id

    def button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=encode(action, pid, *args))

    rows: list[list[InlineKeyboardButton]] = []
    if purchase.status is PurchaseStatus.OPEN:
        if purchase.awaiting_head_decision or not purchase.moq_met():
            rows.append([button(t.gettext("Go ahead anyway"), Action.HEAD_GO_AHEAD)])
        if not purchase.awaiting_head_decision:
            rows.append([button(t.gettext("Stop now"), Action.HEAD_STOP)])
        rows.append([button(t.gettext("Extend by 24 h"), Action.HEAD_EXTEND, 24)])
        if not purchase.awaiting_head_decision:
            rows.append([button(t.gettext("Edit"), Action.HEAD_EDIT)])
        rows.append([button(t.gettext("Cancel the purchase"), Action.HEAD_CANCEL)])
    elif purchase.status is PurchaseStatus.STOPPED:
        rows.append([button(t.gettext("Mark ordered"), Action.HEAD_ORDERED)])
        rows.append([button(t.gettext("Cancel the purchase"), Action.HEAD_CANCEL)])
    elif purchase.status is PurchaseStatus.ORDERED:
        rows.append([
            button(t.gettext("Mark arrived"), Action.HEAD_ARRIVED),
            button(t.gettext("Helpers"), Action.HEAD_HELPERS),
        ])  # fmt: skip
    elif purchase.status is PurchaseStatus.ARRIVED:
        rows.append([
            button(t.gettext("Complete"), Action.HEAD_COMPLETE),
            button(t.gettext("Helpers"), Action.HEAD_HELPERS),
        ])  # fmt: skip
    if purchase.status in CONFIRMABLE:
        rows.append([button(t.gettext("What the supplier confirmed"), Action.HEAD_SUPPLY)])
    if purchase.status in (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED, PurchaseStatus.ARRIVED):
        rows.append([button(t.gettext("Payment details"), Action.HEAD_EDIT)])
    # Collecting, or money on record (cancelled after collecting: whom to pay back).
    if (purchase.accepts_payments() and purchase.final_lines()) or purchase.ledger:
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
        if not member.lines:
            continue  # left after paying: the payments list shows what they are owed
        lines = ", ".join(
            f"{units} × {escape(purchase.item(item_id).name)}"
            for item_id, units in member.lines.items()
        )
        entry = (
            f'• <a href="tg://user?id={member.member_id}">{escape(member.name)}</a>: {lines} — '
            f"{t.money(member.due.total)}"
        )
        paid = payment_mark(t, member.account.status) if member.account else ""
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


async def _send_participants(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await load_report(context, purchase_id, actor)
    for text in participant_messages(t, purchase, report):
        await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)


async def _send_exports(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase, report = await load_report(context, purchase_id, actor)
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
    if purchase.pickup_codes:  # goods have arrived: there is something to pack and hand out
        try:
            pdf = packing_pdf(t, purchase, report)
        except FontsMissing as missing:
            log.warning("no packing list PDF: the font %s is not installed", missing)
            return
        await context.bot.send_document(
            chat.id,
            InputFile(pdf, filename=f"{name}-packing-list.pdf"),
            caption=t.gettext("Packing list of {title}").format(title=purchase.title),
        )


def panel_text(t: Translator, purchase: Purchase, now_status: str) -> str:
    members = len(purchase.participant_ids())
    lines = [
        f"🛒 <b>{escape(purchase.title)}</b>",
        now_status,
        members_count(t, members) + " · " + progress(t, purchase),
    ]
    if purchase.accepts_payments() or purchase.ledger:
        figures = ledger.totals(purchase, ledger.accounts(purchase))
        money = [t.gettext("Settled: {settled} of {count}").format(
            settled=figures.settled, count=figures.paying
        )]  # fmt: skip
        if figures.to_collect.minor:
            money.append(
                t.gettext("to collect {amount}").format(amount=t.money(figures.to_collect))
            )
        if figures.to_give_back.minor:
            money.append(
                t.gettext("to give back {amount}").format(amount=t.money(figures.to_give_back))
            )
        lines.append(" · ".join(money))
    if purchase.status is PurchaseStatus.ARRIVED:
        handed = len(purchase.handed_over)
        lines.append(
            t.gettext(
                "Handed over: {handed} of {total}. Send a member's pickup code here to hand over."
            ).format(handed=handed, total=len(purchase.pickup_codes))
        )
        if len(purchase.pickup_slots) > 1:
            takers = purchase.slot_takers()
            lines += [
                "📍 " + t.ngettext(
                    "{slot}: {count} member chose it", "{slot}: {count} members chose it",
                    takers[slot.number],
                ).format(slot=slot_text(t, slot), count=takers[slot.number])
                for slot in purchase.pickup_slots
            ]  # fmt: skip
        lines.append(
            t.gettext("To move the pickup: /arrived {id} and the slots, one per line.").format(
                id=purchase.id
            )
        )
    return "\n".join(lines)


# /purchases lists every running purchase and the latest finished ones; older ones stay in the
# database and in the exports the head already has.
FINISHED_SHOWN = 10
RUNNING_SHOWN = 50


def headline_label(t: Translator, line: PurchaseHeadline) -> str:
    status = t.gettext(STATUS_WORDS[line.status])
    members = members_count(t, line.members)
    return f"{line.title[:40]} · {status} · {members}"


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
            case Action.HEAD_STOP:
                await services.stop_now(uow, purchase_id, press.actor)
            case Action.HEAD_GO_AHEAD | Action.HEAD_ORDERED | Action.HEAD_ARRIVED:
                # They tell every member: the panel asks once, saying what will happen.
                managed = await managed_purchase(press.context, purchase_id, press.actor)
                if press.callback.action is not Action.HEAD_ARRIVED or managed.pickup_slots:
                    await press.query.answer()
                    await _confirm(press.query, press.t, managed, press.callback.action)
                    return
                await services.mark_arrived(
                    uow, purchase_id, press.actor, []
                )  # asks for the pickup
            case Action.HEAD_GO_AHEAD_CONFIRM:
                await services.go_ahead_anyway(uow, purchase_id, press.actor)
            case Action.HEAD_EXTEND:
                hours = press.callback.args[1]
                if not 1 <= hours <= MAX_EXTENSION_HOURS:
                    raise NotFound(N_("no such extension"))
                await services.postpone(uow, purchase_id, press.actor, timedelta(hours=hours), now)
            case Action.HEAD_CANCEL:
                await _ask_for_reason(
                    press.update, press.context, purchase_id, press.actor, press.t
                )
            case Action.HEAD_ORDERED_CONFIRM:
                await services.mark_ordered(uow, purchase_id, press.actor)
            case Action.HEAD_ARRIVED_CONFIRM:
                await services.mark_arrived(uow, purchase_id, press.actor, [])
            case Action.HEAD_COMPLETE:
                await services.complete(uow, purchase_id, press.actor)
            case Action.HEAD_COMPLETE_ANYWAY:
                await services.complete(uow, purchase_id, press.actor, with_open_balances=True)
            case Action.HEAD_PARTICIPANTS:
                await _send_participants(
                    press.update, press.context, purchase_id, press.actor, press.t
                )
            case Action.HEAD_EXPORT:
                await _send_exports(press.update, press.context, purchase_id, press.actor, press.t)
            case Action.HEAD_EDIT:
                await send_edit_form(press.update, press.context, purchase_id, press.actor, press.t)
            case Action.HEAD_SUPPLY:
                await send_supply_form(
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
    except PickupNeeded:
        await press.query.answer()
        await _ask_for_pickup(press.update, press.context, purchase_id, press.t)
        return
    except OpenBalances as error:
        await press.query.answer()
        await _ask_to_close_open(press.update, press.context, purchase_id, press.t, error)
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error))
        return
    if press.callback.action is Action.HEAD_REMIND_UNPAID:
        await _tell_reach(press.update, press.context, press.query, press.t, purchase_id, reminded)
        return  # the button is under the payments list, which stays as it is
    await press.query.answer(
        press.t.gettext("Done.") if press.callback.action not in READ_ONLY else None
    )
    press.rt.cards.request(purchase_id)
    async with press.rt.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(purchase_id)
    if purchase is not None and isinstance(press.query.message, Message):
        await redraw(
            press.query.message,
            panel_text(press.t, purchase, status_line(press.t, purchase, press.rt.clock())),
            panel_keyboard(press.t, purchase),
        )


CONFIRMED_BY = {
    Action.HEAD_GO_AHEAD: Action.HEAD_GO_AHEAD_CONFIRM,
    Action.HEAD_ORDERED: Action.HEAD_ORDERED_CONFIRM,
    Action.HEAD_ARRIVED: Action.HEAD_ARRIVED_CONFIRM,
}


async def _confirm(query: CallbackQuery, t: Translator, purchase: Purchase, action: Action) -> None:
    """The panel becomes the question, with Yes and Back (Back redraws the panel)."""
    members = members_count(t, len(purchase.participant_ids()))
    if action is Action.HEAD_GO_AHEAD:
        question = t.gettext(
            "The minimum order of {title} is not reached: {progress}. Stop now and order "
            "anyway? I tell each member their final order ({members})."
        ).format(title=notices.title(purchase), progress=progress(t, purchase), members=members)
        yes = t.gettext("✅ Yes, go ahead")
    elif action is Action.HEAD_ORDERED:
        question = t.gettext(
            "Mark {title} ordered from the supplier? I tell all its members ({members})."
        ).format(title=notices.title(purchase), members=members)
        yes = t.gettext("✅ Yes, it is ordered")
    else:
        slots = "\n".join("📍 " + slot_text(t, slot) for slot in purchase.pickup_slots)
        question = t.gettext(
            "Have the goods of {title} arrived? I send the pickup codes now ({members}), for:\n"
            "{slots}\nTo pick up elsewhere or at another time, send /arrived {id} with the slots."
        ).format(title=notices.title(purchase), members=members, slots=slots, id=purchase.id)
        yes = t.gettext("✅ Yes, they are here")
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(yes, callback_data=encode(CONFIRMED_BY[action], purchase.id))],
        [InlineKeyboardButton(t.gettext("↩️ Back"), callback_data=encode(Action.HEAD_PANEL,
                                                                          purchase.id))],
    ])  # fmt: skip
    if isinstance(query.message, Message):
        await redraw(query.message, question, markup)


async def _tell_reach(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    query: CallbackQuery,
    t: Translator,
    purchase_id: int,
    reminded: list[int],
) -> None:
    """How many the reminder reaches, honestly: people who never opened the bot or blocked it
    get nothing from it, and the head hears their names."""
    reachable, unreachable = await reach(context, purchase_id, reminded)
    await query.answer(
        t.ngettext("Reminded {count} member.", "Reminded {count} members.", len(reachable)).format(
            count=len(reachable)
        )
    )
    chat = update.effective_chat
    if unreachable and chat is not None:
        await context.bot.send_message(
            chat.id, unreachable_text(t, unreachable), parse_mode=ParseMode.HTML
        )


async def reach(
    context: ContextTypes.DEFAULT_TYPE, purchase_id: int, member_ids: list[int]
) -> tuple[list[int], list[str]]:
    """Which of these members the bot can write to, and the names of the others."""
    rt = runtime(context)
    async with rt.database.unit_of_work() as uow:
        started = await uow.telegram.started_among(member_ids)
        purchase = await uow.purchases.get(purchase_id)
        out_of_reach = [m for m in member_ids if m not in started]
        if purchase is not None:  # the head hears their names now, not again after 403s
            await uow.telegram.told_unreachable(purchase_id, out_of_reach, rt.clock())
            await uow.commit()
    names = purchase.members if purchase else {}
    unreachable = [names[m].name if m in names else str(m) for m in out_of_reach]
    return [m for m in member_ids if m in started], unreachable


async def _ask_to_close_open(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
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


async def _ask_for_pickup(
    update: Update, context: ContextTypes.DEFAULT_TYPE, purchase_id: int, t: Translator
) -> None:
    chat = update.effective_chat
    assert chat is not None
    example = Examples.of(t.timezone, runtime(context).clock())
    await context.bot.send_message(
        chat.id,
        t.gettext(
            "Where and when do members pick up? Send it like this:\n"
            "/arrived {id} {example} | Community hall"
        ).format(id=purchase_id, example=example.pickup)
        + "\n"
        + t.gettext(
            "Several places or times: one line each, and members choose. Add | 20 to let at "
            "most 20 members choose a slot."
        ),
    )


async def arrived_with_pickup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/arrived <purchase> <date> <from>-<to> | <place> [| capacity], one line per slot: goods
    are in, pick up there and then. Sent again once they are in, it moves the pickup (members
    are told; choices of slots that stay are kept)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = runtime(context)
    purchase_id, pickup = purchase_command(message.text)
    if purchase_id is None or not pickup:
        await message.reply_text(
            t.gettext("Write it like this: /arrived 7 {example} | Community hall").format(
                example=Examples.of(t.timezone, rt.clock()).pickup
            )
        )
        return
    async with rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    try:
        if purchase is None or community is None:
            raise NotFound(N_("no such purchase"))
        slots = parse_pickups(pickup, community.timezone, rt.clock())
        await services.mark_arrived(
            rt.database.unit_of_work(update.update_id), purchase_id,
            actor_for(update, context), slots, now=rt.clock(),
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    if purchase.status is PurchaseStatus.ARRIVED:
        await message.reply_text(t.gettext("Done. Members are told where and when to come now."))
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
    await managed_purchase(context, purchase_id, actor)
    await context.bot.send_message(chat.id, cancel_usage(t, purchase_id))


async def _purchase_and_text(
    message: Message, t: Translator, usage: Callable[[Translator, int], str], limit: int
) -> tuple[int, str] | None:
    """`/command <purchase> <text>`: the two, or None after telling the person how to write
    it (with their purchase number when they gave one) or that the text is too long."""
    assert message.text is not None
    purchase_id, text = purchase_command(message.text)
    if purchase_id is None or not text:
        await message.reply_text(usage(t, purchase_id or 7))
        return None
    if len(text) > limit:
        await message.reply_text(
            t.gettext("That is longer than {limit} characters; please shorten it.").format(
                limit=limit
            )
        )
        return None
    return purchase_id, text


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
    command = await _purchase_and_text(message, t, cancel_usage, MAX_REASON_LENGTH)
    if command is None:
        return
    purchase_id, reason = command
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
    command = await _purchase_and_text(message, t, message_usage, MAX_BROADCAST_LENGTH)
    if command is None:
        return
    purchase_id, words = command
    rt = runtime(context)
    try:
        async with rt.database.unit_of_work(update.update_id) as uow:
            purchase, community = await uow.purchase_and_community(purchase_id)
            if purchase is None or community is None:
                raise NotFound(N_("no such purchase"))
            ensure_can_manage(purchase, actor_for(update, context))
            participants = purchase.participant_ids()
            started = await uow.telegram.started_among(participants)
            members = [m for m in participants if m in started]
            out_of_reach = [m for m in participants if m not in started]
            unreachable = [purchase.members[m].name for m in out_of_reach]
            languages = await uow.telegram.languages(members)
            now = rt.clock()
            await uow.telegram.told_unreachable(purchase_id, out_of_reach, now)
            for member in members:
                reader = Translator(
                    pick_language(languages.get(member), community.language), community.timezone
                )
                text = reader.gettext("📣 From the head of {title}:").format(
                    title=f"<b>{escape(purchase.title)}</b>"
                )
                await uow.outbox.enqueue(
                    f"message:{purchase_id}:{update.update_id}:{member}", member,
                    {"text": text + "\n" + escape(words), "parse_mode": "HTML"}, now,
                    purchase_id=purchase_id,
                )  # fmt: skip
            await uow.commit()
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    sent = t.ngettext(
        "Sent to {count} participant.", "Sent to {count} participants.", len(members)
    ).format(count=len(members))
    await message.reply_text(
        sent + ("\n" + unreachable_text(t, unreachable) if unreachable else ""),
        parse_mode=ParseMode.HTML,
    )


HANDLERS: list[Registration] = [
    in_private("purchases", list_purchases),
    *on_buttons(head_button, Action.HEAD_STOP, Action.HEAD_GO_AHEAD, Action.HEAD_EXTEND,
                Action.HEAD_CANCEL, Action.HEAD_ORDERED, Action.HEAD_ARRIVED, Action.HEAD_COMPLETE,
                Action.HEAD_GO_AHEAD_CONFIRM, Action.HEAD_ORDERED_CONFIRM,
                Action.HEAD_ARRIVED_CONFIRM, Action.HEAD_COMPLETE_ANYWAY, Action.HEAD_PANEL,
                Action.HEAD_PARTICIPANTS, Action.HEAD_EXPORT, Action.HEAD_MESSAGE,
                Action.HEAD_PAYMENTS, Action.HEAD_REMIND_UNPAID, Action.HEAD_TRANSFER,
                Action.HEAD_SUPPLY, Action.HEAD_EDIT),
    *on_buttons(open_panel, Action.HEAD_OPEN),
    in_private("arrived", arrived_with_pickup),
    in_private("message", message_all),
    in_private("cancel_purchase", cancel_with_reason),
]  # fmt: skip
