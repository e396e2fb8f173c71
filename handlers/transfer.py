"""Handing a purchase to another member: the head picks a participant, who accepts or declines
in their private chat; a platform admin reassigns an abandoned purchase with /admin."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from domain import services
from domain.errors import N_, DomainError, NotFound
from domain.permissions import Actor
from domain.ports import AlreadyProcessed
from domain.purchase import STATUS_WORDS
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
)
from texts.callback_data import Action, encode
from texts.card_view import members_count
from texts.i18n import Translator

CANDIDATES_PER_MESSAGE = 30
ADMIN_LIST_LIMIT = 50


async def send_candidates(
    update: Update,
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    """The head's choice of the next head: one button per other participant."""
    chat = update.effective_chat
    assert chat is not None
    purchase = await managed_purchase(context, purchase_id, actor)
    candidates = [m for m in purchase.participant_ids() if m != purchase.head_id]
    if not candidates:
        raise NotFound(N_("there is no other participant to hand the purchase to"))
    text = t.gettext(
        "Who should lead <b>{title}</b> from now on? The person you pick must accept in their "
        "private chat with me."
    ).format(title=escape(purchase.title))
    for start in range(0, len(candidates), CANDIDATES_PER_MESSAGE):
        rows = [
            [InlineKeyboardButton(
                purchase.members[member].name[:60],
                callback_data=encode(Action.TRANSFER_OFFER, purchase.id, member),
            )]
            for member in candidates[start : start + CANDIDATES_PER_MESSAGE]
        ]  # fmt: skip
        await context.bot.send_message(
            chat.id, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
        )


async def _close_with(message: object, outcome: str) -> None:
    """Append the outcome to the message the buttons were under, and drop the buttons."""
    if isinstance(message, Message) and message.text:
        await message.edit_text(escape(message.text) + "\n\n" + outcome, parse_mode=ParseMode.HTML)


@on_press
async def head_offers_transfer(press: Press) -> None:
    purchase_id, member_id = press.callback.args
    uow = press.unit_of_work()
    try:
        await services.offer_transfer(uow, purchase_id, press.actor, member_id)
    except AlreadyProcessed:
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error))
        return
    async with press.rt.database.unit_of_work() as reader:
        purchase = await reader.purchases.read(purchase_id)
    member = purchase.members.get(member_id) if purchase else None
    name = member.name if member else str(member_id)
    await press.query.answer(press.t.gettext("Offered. {name} must accept.").format(name=name))
    offered = press.t.gettext("➡️ Offered to {name}; waiting for them to accept.")
    await _close_with(press.query.message, offered.format(name=escape(name)))


@on_press
async def member_answers_transfer(press: Press) -> None:
    """The member offered the purchase takes it over, or declines."""
    purchase_id, number = press.callback.args
    accepted = press.callback.action is Action.TRANSFER_ACCEPT
    uow = press.unit_of_work()
    try:
        if accepted:
            await services.accept_transfer(
                uow, purchase_id, press.query.from_user.id, number, press.rt.clock()
            )
        else:
            await services.decline_transfer(uow, purchase_id, press.query.from_user.id, number)
    except AlreadyProcessed:
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error))
        return
    await press.query.answer(
        press.t.gettext("You lead this purchase now.") if accepted else press.t.gettext("Declined.")
    )
    await _close_with(
        press.query.message,
        press.t.gettext("✅ You lead it now: /purchases")
        if accepted
        else press.t.gettext("❌ Declined"),
    )


def admin_usage(t: Translator) -> str:
    return t.gettext(
        "Reassign an abandoned purchase to someone else:\n/admin reassign <purchase> <user id>"
    )


async def admin_command(update: Update, context: BotContext) -> None:
    """/admin: the purchases still running, with their heads; /admin reassign <purchase> <user>."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    actor = actor_for(update, context)
    rt = context.runtime
    if not actor.is_admin:
        await message.reply_text(t.gettext("/admin is for the platform's admins only."))
        return
    parts = message.text.split()
    if len(parts) == 1:
        async with rt.database.unit_of_work() as uow:
            running = await uow.purchases.headlines(ADMIN_LIST_LIMIT)
        lines = [t.gettext("Purchases still running (newest first):")]
        lines += [
            f"#{line.id} {escape(line.title)} — "
            + t.gettext("head {head}, {status}").format(
                head=f'<a href="tg://user?id={line.head_id}">{line.head_id}</a>',
                status=t.gettext(STATUS_WORDS[line.status]),
            )
            + f" · {members_count(t, line.members)}"
            for line in running
        ]
        lines += ["", escape(admin_usage(t))]
        # Each opens the purchase's panel: an admin may run it as its head would.
        rows = [
            [InlineKeyboardButton(
                f"#{line.id} {line.title}"[:60], callback_data=encode(Action.HEAD_OPEN, line.id)
            )]
            for line in running
        ]  # fmt: skip
        await message.reply_text(
            "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
        )
        return
    if len(parts) != 4 or parts[1] != "reassign" or not (parts[2].isdigit() and parts[3].isdigit()):
        await message.reply_text(admin_usage(t))
        return
    purchase_id, new_head = int(parts[2]), int(parts[3])
    try:
        await services.reassign(
            rt.database.unit_of_work(update.update_id), purchase_id, actor, new_head, rt.clock()
        )
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    await message.reply_text(
        t.gettext("Done: purchase #{id} is now led by {user}.").format(
            id=purchase_id, user=await context.runtime.names.typed(context.bot, new_head)
        )
    )


HANDLERS: list[Registration] = [
    *on_buttons(head_offers_transfer, Action.TRANSFER_OFFER),
    *on_buttons(member_answers_transfer, Action.TRANSFER_ACCEPT, Action.TRANSFER_DECLINE),
    in_private("admin", admin_command),
]
