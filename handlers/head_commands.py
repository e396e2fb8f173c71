"""What a head types instead of pressing: `/arrived` with the pickup slots (asked for when
the goods arrive with none announced), `/cancel_purchase` with the reason members are told,
and `/message` to every participant.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape

from telegram import (
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from domain import services
from domain.confirmation import AlreadyTaken, Asked, StaleAnswer, Step
from domain.errors import N_, DomainError, NotFound
from domain.form_fields import Examples, parse_pickups
from domain.permissions import Actor, ensure_can_manage
from domain.ports import AlreadyProcessed
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
)
from texts import notices
from texts.callback_data import Action
from texts.i18n import Translator, speaking
from texts.notices import unreachable_text
from texts.step_questions import slots_text, step_markup, step_question

MAX_REASON_LENGTH = 500


MAX_BROADCAST_LENGTH = 3000


async def ask_for_pickup(
    update: Update, context: BotContext, purchase_id: int, t: Translator
) -> None:
    chat = update.effective_chat
    assert chat is not None
    example = Examples.of(t.timezone, context.runtime.clock())
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


async def arrived_with_pickup(update: Update, context: BotContext) -> None:
    """/arrived <purchase> <date> <from>-<to> | <place> [| capacity], one line per slot: goods
    are in, pick up there and then. The first time it asks once, naming the purchase, the
    members who get their codes and the slots as read (a wrong number sends no codes); its
    "yes" reads the slots from this command. Sent again once they are in, it moves the pickup
    at once (members are told; choices of slots that stay are kept): no code is drawn, and the
    slots it names are moved back by sending the old ones, on a day that needs it quick."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = context.runtime
    purchase_id, pickup = purchase_command(message.text)
    if purchase_id is None or not pickup:
        await message.reply_text(
            t.gettext("Write it like this: /arrived 7 {example} | Community hall").format(
                example=Examples.of(t.timezone, rt.clock()).pickup
            )
        )
        return
    try:
        done = await services.announce_pickup(
            rt.database, purchase_id, actor_for(update, context), pickup, rt.clock(),
            update.update_id,
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    if done.question is None:
        await message.reply_text(
            t.gettext("Done. Members of {title} are told to come to:\n{slots}").format(
                title=notices.title(done.purchase), slots=slots_text(t, done.slots)
            ),
            parse_mode=ParseMode.HTML,
        )
        return
    # The question answers the command, so its "yes" finds the slots there.
    await message.reply_text(
        step_question(t, Step.ARRIVED, done.question, slots=done.slots),
        parse_mode=ParseMode.HTML,
        reply_markup=step_markup(t, Step.ARRIVED, done.question, rt.clock(), typed=True),
        do_quote=True,
    )


@on_press
async def arrived_confirmed(press: Press) -> None:
    """The "yes" under the question /arrived asked: the goods are in, at the slots typed in
    the command it answers (read again, as they were when asked)."""
    purchase_id = press.callback.args[0]
    question = press.query.message
    typed = question.reply_to_message if isinstance(question, Message) else None
    command_id, pickup = purchase_command(typed.text or "") if typed else (None, "")

    async def arrive() -> str | None:
        await managed_purchase(press.context, purchase_id, press.actor)
        async with press.rt.database.unit_of_work() as uow:
            _, community = await uow.purchase_and_community(purchase_id)
        if community is None or command_id != purchase_id or not pickup:
            await press.query.answer(
                press.t.gettext("I cannot read the pickup any more: send /arrived again."),
                show_alert=True,
            )
            return None
        slots = parse_pickups(pickup, community.timezone, press.rt.clock())
        await services.take_step(
            press.unit_of_work(), purchase_id, press.actor, Step.ARRIVED, asked(press),
            press.rt.clock(), slots=slots,
        )  # fmt: skip
        return press.t.gettext("Done. Members get their pickup codes now.")

    await _answer_yes(press, purchase_id, arrive)


async def ask_for_reason(
    update: Update,
    context: BotContext,
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


async def cancel_with_reason(update: Update, context: BotContext) -> None:
    """/cancel_purchase <purchase> <reason>: asks once, naming the purchase and who is told
    (a wrong number typed cancels nothing); its "yes" cancels with this command's reason."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    command = await _purchase_and_text(message, t, cancel_usage, MAX_REASON_LENGTH)
    if command is None:
        return
    purchase_id, reason = command
    rt = context.runtime
    try:
        question = await services.step_question(
            rt.database.unit_of_work(), purchase_id, actor_for(update, context), Step.CANCEL
        )
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    # The question answers the command, so its "yes" finds the reason there (callback data
    # has no room for it).
    await message.reply_text(
        step_question(t, Step.CANCEL, question, reason),
        parse_mode=ParseMode.HTML,
        reply_markup=step_markup(t, Step.CANCEL, question, rt.clock()),
        do_quote=True,
    )


def asked_at(epoch: int) -> datetime:
    """When a pressed "yes" says it was asked; a time no clock has reads as long ago (and is
    refused as too old)."""
    try:
        return datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def asked(press: Press) -> Asked:
    """What a pressed step's "yes" was asked with: when, and how many members it counted."""
    return Asked(asked_at(press.callback.args[1]), press.callback.args[2])


@on_press
async def cancel_confirmed(press: Press) -> None:
    """The "yes" under the cancel question: cancel with the reason of the command it answers."""
    purchase_id = press.callback.args[0]
    question = press.query.message
    typed = question.reply_to_message if isinstance(question, Message) else None
    command_id, reason = purchase_command(typed.text or "") if typed else (None, "")

    async def cancel() -> str | None:
        await managed_purchase(press.context, purchase_id, press.actor)
        if command_id != purchase_id or not reason or len(reason) > MAX_REASON_LENGTH:
            await press.query.answer(
                press.t.gettext("I cannot read the reason any more: send /cancel_purchase again."),
                show_alert=True,
            )
            return None
        await services.take_step(
            press.unit_of_work(), purchase_id, press.actor, Step.CANCEL, asked(press),
            press.rt.clock(), reason,
        )  # fmt: skip
        return press.t.gettext("Cancelled. Every member gets your reason.")

    await _answer_yes(press, purchase_id, cancel)


async def _answer_yes(
    press: Press, purchase_id: int, act: Callable[[], Awaitable[str | None]]
) -> None:
    """A yes to a question that replies to the head's command: `act` takes the step and says
    what the closed question reads (None: it answered already); a refusal says why, and a
    question that stands no more is closed."""
    try:
        done = await act()
    except AlreadyProcessed:
        return
    except (StaleAnswer, AlreadyTaken) as error:  # the question stands no more
        await press.query.answer(not_done(press.t, error), show_alert=True)
        await _close(press, "")
        return
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    if done is None:
        return
    press.rt.cards.request(purchase_id)
    await press.query.answer(press.t.gettext("Done."))
    await _close(press, done)


@on_press
async def keep_as_is(press: Press) -> None:
    """No to a question asked once: nothing changes, and its buttons go."""
    try:
        await managed_purchase(press.context, press.callback.args[0], press.actor)
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    await press.query.answer(press.t.gettext("Nothing changed."))
    await _close(press, press.t.gettext("↩️ Nothing changed."))


async def _close(press: Press, outcome: str) -> None:
    """The question without its buttons, with what came of it."""
    message = press.query.message
    if isinstance(message, Message) and message.text:
        text = escape(message.text) + ("\n\n" + outcome if outcome else "")
        with contextlib.suppress(BadRequest):  # already closed by an earlier press
            await message.edit_text(text, parse_mode=ParseMode.HTML)


def message_usage(t: Translator, purchase_id: int) -> str:
    return t.gettext(
        "Write to every participant privately like this:\n"
        "/message {id} The truck is late, pickup moves to 19:00"
    ).format(id=purchase_id)


async def message_all(update: Update, context: BotContext) -> None:
    """/message <purchase> <text>: the head writes once, every participant gets it privately."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    command = await _purchase_and_text(message, t, message_usage, MAX_BROADCAST_LENGTH)
    if command is None:
        return
    purchase_id, words = command
    rt = context.runtime
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
                reader = speaking(
                    languages.get(member), community.language, timezone=community.timezone
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
    in_private("arrived", arrived_with_pickup),
    in_private("message", message_all),
    in_private("cancel_purchase", cancel_with_reason),
    *on_buttons(cancel_confirmed, Action.HEAD_CANCEL_CONFIRM),
    *on_buttons(arrived_confirmed, Action.HEAD_ARRIVED_TYPED_CONFIRM),
    *on_buttons(keep_as_is, Action.HEAD_KEEP),
]
