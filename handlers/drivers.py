"""A driver's line in the private chat (/myline): ✅ Delivered and ⚠️ Problem at each stop, the
head told at once and the operator's plan board redrawn; and the one handler that reads the
short answers asked for after a tap (the driver's note, a member's comment on her rating)."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from domain import services
from domain.community import Community
from domain.errors import N_, DomainError, InvalidPurchase, NotAllowed
from domain.routes import RoutePlan
from handlers.purchase_card import not_done
from handlers.ratings import take_comment
from handlers.routes import head_names, refresh_board, send_manifest, translator_of
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    actor_for,
    end_conversation,
    in_private,
    interrupting,
    on_buttons,
    on_press,
    person_translator,
    redraw,
)
from handlers.short_answers import COMMENT, PROBLEM, SHORT_ANSWERS
from texts.callback_data import Action
from texts.i18n import Translator
from texts.logistics_view import delivered_to_head, manifest_markup, manifest_text, problem_to_head

log = logging.getLogger(__name__)


async def my_line(update: Update, context: BotContext) -> None:
    """/myline: a driver's line of the latest plan they drive in, sent again."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        plans = await uow.logistics.recent_plans(50)
    t = person_translator(update, context)
    for plan in plans:
        line = plan.line_of(user.id)
        if line is not None:
            break
    else:
        await message.reply_text(t.gettext("You drive no line yet."))
        return
    await send_manifest(context, plan, line, Translator(t.language, plan.timezone))


async def _tell_head(context: BotContext, head_id: int, text: str) -> None:
    try:
        await context.bot.send_message(head_id, text, parse_mode=ParseMode.HTML)
    except TelegramError as error:
        log.info("head %s not told of the delivery: %s", head_id, error)


async def _head_translator(
    context: BotContext, head_id: int, community: Community | None
) -> Translator:
    timezone = community.timezone if community else context.runtime.settings.default_timezone
    return await translator_of(context, head_id, timezone, community)


async def _redraw_manifest(press: Press, plan: RoutePlan) -> None:
    line = plan.line_of(press.actor.user_id)
    message = press.query.message
    if line is None or not isinstance(message, Message):
        return
    t = Translator(press.t.language, plan.timezone)
    heads = await head_names(press.context, line, t)
    await redraw(message, manifest_text(t, plan, line, heads), manifest_markup(t, plan, line))


@on_press
async def delivered(press: Press) -> None:
    """✅ under a stop of the driver's line: the goods are there; the head is told and the
    purchases there move to arrived."""
    plan_id, community_id = press.callback.args
    try:
        result = await services.deliver_stop(
            press.unit_of_work(), plan_id, press.actor, community_id, press.rt.clock()
        )
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    if not result.first_time:
        await press.query.answer(press.t.gettext("Marked delivered already."))
        return
    await press.query.answer(press.t.gettext("Delivered. The head is told."))
    rt = press.rt
    async with rt.database.unit_of_work() as uow:
        community = await uow.communities.get(community_id)
    t = await _head_translator(press.context, result.stop.head_id, community)
    await _tell_head(press.context, result.stop.head_id,
                     delivered_to_head(t, result.stop, not result.need_pickup))  # fmt: skip
    # The members' pickup codes and the refreshed card come from the events, as when the
    # head marks the goods arrived.
    await _redraw_manifest(press, result.plan)
    await refresh_board(press.context, result.plan)


@on_press
async def problem(press: Press) -> None:
    """⚠️ under a stop: the driver's next message (a few words or a photo) says what."""
    plan_id, community_id = press.callback.args
    try:
        async with press.rt.database.unit_of_work() as uow:
            plan = await services.current_plan(uow, plan_id)
        stop = plan.stop_of_driver(press.actor.user_id, community_id)
        if community_id in plan.delivered:
            raise NotAllowed(N_("this stop is marked delivered already"))
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    async with press.unit_of_work() as uow:
        found = await uow.telegram.conversation(press.actor.user_id)
        state = interrupting(found, SHORT_ANSWERS) | {
            "plan_id": plan_id,
            "community_id_of_stop": community_id,
        }
        await uow.telegram.save_conversation(press.actor.user_id, PROBLEM, state, press.rt.clock())
        await uow.commit()
    await press.query.answer()
    message = press.query.message
    if isinstance(message, Message):
        await message.reply_text(
            press.t.gettext("What went wrong at {stop}? Write a few words or send a photo.")
            .format(stop=stop.title)
        )  # fmt: skip


async def conversation_reply(update: Update, context: BotContext) -> None:
    """Text or a photo in private from a driver who pressed Problem, or a member who just
    rated: the note or the comment. Anyone else's message goes on to the other handlers."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(user.id)
    if found is None or found[0] not in (PROBLEM, COMMENT):
        return
    kind, state = found
    t = person_translator(update, context)
    if kind == COMMENT:
        if await take_comment(update, context, state, t):
            raise ApplicationHandlerStop
        return  # the comment was not asked for any more: the message is for someone else
    note = message.text or message.caption or ""
    if message.photo:
        note = (note + " " + t.gettext("(photo)")).strip()
    try:
        plan, stop = await services.report_problem(
            rt.database.unit_of_work(update.update_id), int(state["plan_id"]), actor_for(
                update, context), int(state["community_id_of_stop"]), note,
        )  # fmt: skip
    except DomainError as error:
        if not isinstance(error, InvalidPurchase):  # delivered meanwhile: nothing to note
            await end_conversation(context, user.id, state)
        await message.reply_text(not_done(t, error))
        raise ApplicationHandlerStop from None
    await end_conversation(context, user.id, state)
    await message.reply_text(t.gettext("Noted. The head and the operator are told."))
    async with rt.database.unit_of_work() as uow:
        community = await uow.communities.get(stop.community_id)
    head_t = await _head_translator(context, stop.head_id, community)
    await _tell_head(context, stop.head_id, problem_to_head(head_t, stop, note))
    if message.photo:
        try:
            await context.bot.send_photo(stop.head_id, message.photo[-1].file_id)
            await context.bot.send_photo(plan.operator_id, message.photo[-1].file_id,
                                         caption=stop.title)  # fmt: skip
        except TelegramError as error:
            log.info("the problem photo was not passed on: %s", error)
    await refresh_board(context, plan)
    raise ApplicationHandlerStop


# The driver's note and the member's comment are looked at before the wizard (group -1).
CONVERSATION_GROUP = -2

HANDLERS: list[Registration] = [
    in_private("myline", my_line),
    *on_buttons(delivered, Action.ROUTE_DELIVERED),
    *on_buttons(problem, Action.ROUTE_PROBLEM),
    (
        MessageHandler(
            filters.ChatType.PRIVATE & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO),
            conversation_reply,
        ),
        CONVERSATION_GROUP,
    ),
]
