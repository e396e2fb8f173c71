"""After selling, in Telegram: a community's pickup point on the map (/point, or a location
shared in the private chat), the operator's drivers (/driver) and delivery days (/routes),
each driver's line (/myline) with Delivered and Problem at every stop, and the head told at
once; members rate a completed purchase; heads' scorecards (/scorecard, /scorecards) against
the operator's thresholds (/thresholds)."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from domain import services
from domain.community import Community
from domain.errors import N_, DomainError, InvalidPurchase, NotAllowed
from domain.geo import GeoPoint, PickupPoint, parse_pickup_point
from domain.route_form import parse_route_form
from domain.route_solver import solve_lines
from domain.routes import Line, RoutePlan
from domain.scorecard import Measure, Scorecard, check_threshold
from handlers.campaigns import operator_or_refusal
from handlers.charts import scorecard_chart
from handlers.exports import csv_bytes, table_pdf
from handlers.packing_list import FontsMissing
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    actor_for,
    anywhere,
    end_conversation,
    head_community,
    in_private,
    interrupting,
    is_chat_admin,
    on_buttons,
    on_press,
    person_translator,
    redraw,
)
from texts.callback_data import Action
from texts.i18n import Translator, speaking
from texts.logistics_view import (
    cost_rows,
    delivered_to_head,
    manifest_markup,
    manifest_rows,
    manifest_text,
    plan_text,
    plannable_text,
    problem_to_head,
    ranking_text,
    route_form,
    scorecard_text,
    thresholds_text,
)

log = logging.getLogger(__name__)

PROBLEM = "route_problem"  # a driver's note or photo about a stop comes next
COMMENT = "rating_comment"  # a member's comment on the rating they just gave
COMMENT_WITHIN = timedelta(minutes=15)
SOLVE_SECONDS = 5.0
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


async def _reply(update: Update, text: str, **kwargs: Any) -> Message:
    message = update.effective_message
    assert message is not None
    return await message.reply_text(text, **kwargs)


# --- pickup points -------------------------------------------------------------------------


async def _save_point(
    update: Update, context: BotContext, community: Community, pickup: PickupPoint
) -> None:
    async with context.runtime.database.unit_of_work(update.update_id) as uow:
        await uow.communities.change(community.chat_id, {"pickup": pickup})
        await uow.commit()
    t = person_translator(update, context, community)
    await _reply(
        update,
        t.gettext(
            '📍 Pickup point of {community} saved: {address} (<a href="{map}">map</a>). The '
            "delivery routes stop here."
        ).format(
            community=escape(community.title),
            address=escape(pickup.address or str(pickup.point)),
            map=pickup.point.map_link(),
        ),
        parse_mode=ParseMode.HTML,
    )


async def _private_community(update: Update, context: BotContext) -> Community | None:
    """In the private chat: the community of the head's latest purchase (or None, said)."""
    user = update.effective_user
    assert user is not None
    async with context.runtime.database.unit_of_work() as uow:
        community = await head_community(uow, user.id)
    if community is None:
        t = person_translator(update, context)
        await _reply(
            update,
            t.gettext(
                "I know no community of yours yet: send /point lat, lon in your community's chat "
                "(as one of its admins), or open a purchase there first."
            ),
        )
    return community


async def set_point(update: Update, context: BotContext) -> None:
    """/point lat, lon [address]: in the community chat (its admins), or in private for the
    community of the head's latest purchase; alone, the point as it is and how to set it."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    rest = (message.text or "").partition(" ")[2].strip()
    if chat.type == "private":
        community = await _private_community(update, context)
        if community is None:
            return
    else:
        async with context.runtime.database.unit_of_work() as uow:
            community = await uow.communities.get(chat.id)
        if community is None:
            t = person_translator(update, context)
            await _reply(update, t.gettext("/point is for a community chat the bot is in."))
            return
    t = person_translator(update, context, community)
    if not rest:
        current = (
            t.gettext("not set yet")
            if community.pickup is None
            else f"{community.pickup.address or '-'} · {community.pickup.point}"
        )
        await _reply(
            update,
            t.gettext(
                "Pickup point of {community}: {point}. Set it with /point lat, lon and the "
                "address, e.g. /point 55.7558, 37.6173 Tverskaya 1 — or share a location with "
                "me in the private chat."
            ).format(community=community.title, point=current),
        )
        return
    if chat.type != "private" and not (
        actor_for(update, context).is_admin or await is_chat_admin(context, chat.id, user.id)
    ):
        await _reply(update, t.gettext("Only the chat's admins set its pickup point."))
        return
    try:
        pickup = parse_pickup_point(rest)
    except DomainError as error:
        await _reply(update, not_done(t, error))
        return
    await _save_point(update, context, community, pickup)


async def shared_location(update: Update, context: BotContext) -> None:
    """A location shared in the private chat: the pickup point of the head's community (its
    address as it was, or the one given later with /point)."""
    message = update.effective_message
    assert message is not None and message.location is not None
    community = await _private_community(update, context)
    if community is None:
        return
    t = person_translator(update, context, community)
    try:
        point = GeoPoint(message.location.latitude, message.location.longitude)
    except DomainError as error:
        await _reply(update, not_done(t, error))
        return
    address = community.pickup.address if community.pickup else ""
    await _save_point(update, context, community, PickupPoint(point, address))


# --- drivers and plans ---------------------------------------------------------------------


async def _head_names(context: BotContext, line: Line, t: Translator) -> dict[int, str]:
    """The heads' names as their community chat knows them; a head it no longer shows is
    named by the community she leads, not by her user id."""
    names: dict[int, str] = {}
    for visit in line.visits:
        stop = visit.stop
        name = await context.runtime.names.in_chat(context.bot, stop.community_id, stop.head_id)
        names[stop.head_id] = name or t.gettext("the head of {community}").format(
            community=stop.title
        )
    return names


async def send_manifest(context: BotContext, plan: RoutePlan, line: Line, t: Translator) -> None:
    """The driver's line in their private chat: the manifest with its buttons, and a PDF."""
    heads = await _head_names(context, line, t)
    await context.bot.send_message(
        line.driver_id, manifest_text(t, plan, line, heads), parse_mode=ParseMode.HTML,
        reply_markup=manifest_markup(t, plan, line), disable_web_page_preview=True,
    )  # fmt: skip
    title = t.gettext("Line {number}, {day}").format(number=line.number, day=plan.day.isoformat())
    try:
        pdf = table_pdf(title, manifest_rows(t, plan, line, heads))
    except FontsMissing as missing:
        log.warning("no manifest PDF: the font %s is not installed", missing)
        return
    await context.bot.send_document(
        line.driver_id, InputFile(pdf, filename=f"line-{plan.id}-{line.number}.pdf"),
        caption=title,
    )  # fmt: skip


async def plan_routes(update: Update, context: BotContext) -> None:
    """/routes <campaign number | YYYY-MM-DD> with the day's form: the lines, solved, shown
    to the operator (kept live) and sent to each driver."""
    message = update.effective_message
    assert message is not None and message.text is not None
    rt = context.runtime
    t = person_translator(update, context)
    actor = await operator_or_refusal(update, context, N_("only an operator plans deliveries"))
    if actor is None:
        return
    first_line, _, form = message.text.partition("\n")
    words = first_line.split()
    now = rt.clock()
    timezone, currency = rt.settings.default_timezone, rt.settings.default_currency
    campaign_id: int | None = None
    try:
        if len(words) < 2:
            await _reply(update, plannable_text(t, await services.plannable(
                rt.database.unit_of_work(), actor)))  # fmt: skip
            return
        if words[1].isdigit():
            async with rt.database.unit_of_work() as uow:
                campaign = await services.load_campaign(uow, int(words[1]))
            campaign_id, day = campaign.id, campaign.delivery
            timezone, currency = campaign.timezone, campaign.currency
        else:
            try:
                day = date.fromisoformat(words[1])
            except ValueError:
                raise InvalidPurchase(N_("write the day as 2026-12-05")) from None
    except DomainError as error:
        await _reply(update, not_done(t, error))
        return
    t = Translator(t.language, timezone)
    if not form.strip():
        try:
            depot, known = await services.route_form_start(
                rt.database.unit_of_work(), actor, day, campaign_id
            )
        except DomainError as error:  # another operator's campaign
            await _reply(update, not_done(t, error))
            return
        await _reply(
            update,
            t.gettext(
                "A delivery day is one message: copy the next one, change it and send it back. "
                "Times are in {timezone}, the cost in {currency}; capacity is packs per "
                "vehicle; each driver (made so with /driver) drives one vehicle."
            ).format(timezone=timezone, currency=currency),
        )
        names = await context.runtime.names.known(context.bot, known)
        await _reply(update, route_form(t, words[1], depot, known, names))
        if campaign_id is not None:
            not_yet = await services.not_yet_plannable(
                rt.database.unit_of_work(), actor, campaign_id
            )
            if not_yet is not None:
                said = t.gettext("Not yet: {reason}.").format(reason=t.reason(not_yet))
                await _reply(update, said)
        return
    try:
        fleet, tariff = parse_route_form(form, day, timezone, currency)
        stops = await services.delivery_stops(
            rt.database.unit_of_work(), actor, day, campaign_id, fleet.drivers
        )
        # The solver is CPU-bound for seconds: off the event loop, so other taps go on.
        lines = await asyncio.to_thread(solve_lines, stops, fleet, tariff, seconds=SOLVE_SECONDS)
        plan = RoutePlan(
            day, campaign_id, actor.user_id, fleet, tariff, lines, now, timezone=timezone
        )
        await services.save_plan(rt.database.unit_of_work(update.update_id), actor, plan)
    except DomainError as error:
        await _reply(update, not_done(t, error))
        return
    drivers = await context.runtime.names.readable(
        context.bot, [line.driver_id for line in plan.lines], t
    )
    board = await _reply(update, plan_text(t, plan, drivers), parse_mode=ParseMode.HTML)
    async with rt.database.unit_of_work() as uow:
        await uow.logistics.set_board(plan.id, board.chat_id, board.message_id)
        await uow.commit()
    rows = cost_rows(t, plan)
    await context.bot.send_document(
        board.chat_id, InputFile(csv_bytes(rows), filename=f"routes-{plan.id}.csv"),
        caption=t.gettext("Delivery cost per community"),
    )  # fmt: skip
    unreachable = []
    for line in plan.lines:
        try:
            await send_manifest(
                context, plan, line, await _translator_of(context, line.driver_id, plan.timezone)
            )
        except TelegramError:
            unreachable.append(drivers[line.driver_id])
    if unreachable:
        await _reply(
            update,
            t.gettext(
                "I could not write to {drivers}: each opens the private chat with me and sends "
                "/myline."
            ).format(drivers=", ".join(unreachable)),
        )


async def my_line(update: Update, context: BotContext) -> None:
    """/myline: a driver's line of the latest plan they drive in, sent again."""
    user = update.effective_user
    assert user is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        plans = await uow.logistics.recent_plans(50)
    t = person_translator(update, context)
    for plan in plans:
        line = plan.line_of(user.id)
        if line is not None:
            break
    else:
        await _reply(update, t.gettext("You drive no line yet."))
        return
    await send_manifest(context, plan, line, Translator(t.language, plan.timezone))


async def _translator_of(
    context: BotContext,
    user_id: int,
    timezone: str,
    community: Community | None = None,
) -> Translator:
    """Someone written to first (not answered): their own language (chosen with /language, else
    their Telegram app's), else the community's, else the default — never the community's
    over hers."""
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        languages = await uow.telegram.languages([user_id])
    return speaking(
        languages.get(user_id),
        community.language if community else None,
        rt.settings.default_language,
        timezone=timezone,
    )


async def _refresh_board(context: BotContext, plan: RoutePlan) -> None:
    """The operator's plan message, redrawn with the stops as the drivers marked them."""
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        board = await uow.logistics.board(plan.id)
    if board is None:
        return
    t = await _translator_of(context, plan.operator_id, plan.timezone)
    drivers = await context.runtime.names.readable(
        context.bot, [line.driver_id for line in plan.lines], t
    )
    try:
        await context.bot.edit_message_text(
            plan_text(t, plan, drivers), board[0], board[1], parse_mode=ParseMode.HTML
        )
    except TelegramError as error:
        if "not modified" not in str(error):
            log.warning("the plan board %s was not redrawn: %s", plan.id, error)


async def _tell_head(context: BotContext, head_id: int, text: str) -> None:
    try:
        await context.bot.send_message(head_id, text, parse_mode=ParseMode.HTML)
    except TelegramError as error:
        log.info("head %s not told of the delivery: %s", head_id, error)


async def _head_translator(
    context: BotContext, head_id: int, community: Community | None
) -> Translator:
    timezone = community.timezone if community else context.runtime.settings.default_timezone
    return await _translator_of(context, head_id, timezone, community)


async def _redraw_manifest(press: Press, plan: RoutePlan) -> None:
    line = plan.line_of(press.actor.user_id)
    message = press.query.message
    if line is None or not isinstance(message, Message):
        return
    t = Translator(press.t.language, plan.timezone)
    heads = await _head_names(press.context, line, t)
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
    await _refresh_board(press.context, result.plan)


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
        state = interrupting(found, (PROBLEM, COMMENT)) | {
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
        if await _comment(update, context, state, t):
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
        await _reply(update, not_done(t, error))
        raise ApplicationHandlerStop from None
    await end_conversation(context, user.id, state)
    await _reply(update, t.gettext("Noted. The head and the operator are told."))
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
    await _refresh_board(context, plan)
    raise ApplicationHandlerStop


# --- ratings -------------------------------------------------------------------------------


@on_press
async def rate(press: Press) -> None:
    """1–5 under the completion question: the member's rating, once; a comment may follow."""
    purchase_id, stars = press.callback.args
    now = press.rt.clock()
    try:
        await services.rate_purchase(
            press.unit_of_work(), purchase_id, press.actor.user_id, stars, now
        )
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    async with press.rt.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(press.actor.user_id)
        state = interrupting(found, (PROBLEM, COMMENT)) | {
            "rated_purchase_id": purchase_id,
            "rated_at": now.isoformat(),
        }
        await uow.telegram.save_conversation(press.actor.user_id, COMMENT, state, now)
        await uow.commit()
    await press.query.answer(press.t.gettext("Thank you!"))
    message = press.query.message
    if isinstance(message, Message):
        await redraw(
            message,
            press.t.gettext(
                "Thank you: {stars}. If you like, write a comment for the head now (one "
                "message); or just carry on."
            ).format(stars="⭐" * stars),
            None,
        )


async def _comment(
    update: Update, context: BotContext, state: dict[str, Any], t: Translator
) -> bool:
    """The member's comment on their rating, when it comes soon after it; False when this
    message is not one (too late, or a photo), and it goes on to the other handlers."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    rt = context.runtime
    await end_conversation(context, user.id, state)
    rated_at = datetime.fromisoformat(str(state["rated_at"]))
    if rt.clock() - rated_at > COMMENT_WITHIN or not message.text:
        return False
    try:
        await services.comment_rating(
            rt.database.unit_of_work(update.update_id), int(state["rated_purchase_id"]), user.id,
            message.text,
        )  # fmt: skip
    except DomainError as error:
        await _reply(update, not_done(t, error))
        return True
    await _reply(update, t.gettext("Your comment is kept with your rating. Thank you!"))
    return True


# --- scorecards ----------------------------------------------------------------------------


def _month_span(month: str, timezone: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    zone = ZoneInfo(timezone)
    starts = datetime(year, number, 1, tzinfo=zone)
    ends = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=zone)
    return starts, ends


async def scorecards_of_month(update: Update, context: BotContext) -> None:
    """/scorecards [YYYY-MM]: the operator's ranking of the month's heads, flags and all."""
    rt = context.runtime
    t = person_translator(update, context)
    now = rt.clock()
    timezone = rt.settings.default_timezone
    args = context.args or []
    month = args[0] if args else now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
    if not MONTH.fullmatch(month):
        await _reply(update, t.gettext("Write the month as 2026-11: /scorecards 2026-11."))
        return
    starts, ends = _month_span(month, timezone)
    try:
        cards = await services.month_ranking(
            rt.database.unit_of_work(), actor_for(update, context), starts, ends, timezone, now
        )
    except DomainError as error:
        await _reply(update, not_done(t, error))
        return
    limits = await services.thresholds(rt.database.unit_of_work())
    of_month = [card for (_head, m), card in cards.items() if m == month]
    names = await context.runtime.names.readable(
        context.bot, [card.head_id for card in of_month], t
    )
    await _reply(update, ranking_text(t, month, of_month, limits, names),
                 parse_mode=ParseMode.HTML)  # fmt: skip


async def my_scorecard(update: Update, context: BotContext) -> None:
    """/scorecard: a head's own card of this month and a chart of their months; an operator
    may name a head: /scorecard <head id> [YYYY-MM]."""
    user = update.effective_user
    assert user is not None
    rt = context.runtime
    t = person_translator(update, context)
    now = rt.clock()
    timezone = rt.settings.default_timezone
    args = context.args or []
    head_id = user.id
    if args and args[0].isdigit() and int(args[0]) != user.id:
        actor = actor_for(update, context)
        if not await services.may_run_campaigns(rt.database.unit_of_work(), actor):
            await _reply(update, not_done(t, NotAllowed(N_("only an operator sees another "
                                                           "head's scorecard"))))  # fmt: skip
            return
        head_id = int(args[0])
        args = args[1:]
    month = args[0] if args else now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
    if not MONTH.fullmatch(month):
        await _reply(update, t.gettext("Write the month as 2026-11: /scorecard 2026-11."))
        return
    cards = await services.head_scorecards(rt.database.unit_of_work(), [head_id], timezone, now)
    limits = await services.thresholds(rt.database.unit_of_work())
    months = sorted((m, card) for (_head, m), card in cards.items())
    if not months:
        await _reply(update, t.gettext("No purchases to score yet."))
        return
    card = cards.get((head_id, month)) or Scorecard(head_id, month)
    names = await context.runtime.names.readable(context.bot, [head_id], t)
    await _reply(update, scorecard_text(t, card, limits, names[head_id]),
                 parse_mode=ParseMode.HTML)  # fmt: skip
    chart = await asyncio.to_thread(scorecard_chart, t, [c for _m, c in months][-12:])
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, InputFile(chart, filename="scorecard.png"),
                                 caption=t.gettext("Your months"))  # fmt: skip


async def set_thresholds(update: Update, context: BotContext) -> None:
    """/thresholds with `measure: value` lines: the operator's KPI limits; alone, the limits."""
    message = update.effective_message
    assert message is not None and message.text is not None
    rt = context.runtime
    t = person_translator(update, context)
    actor = await operator_or_refusal(update, context, N_("only an operator sets thresholds"))
    if actor is None:
        return
    _command, _, form = message.text.partition("\n")
    form = form or message.text.partition(" ")[2]
    values: dict[Measure, Decimal] = {}
    try:
        for number, raw in enumerate(form.splitlines(), start=2):
            if not raw.strip():
                continue
            name, colon, value = raw.replace("：", ":").partition(":")
            if not colon:
                raise InvalidPurchase(
                    N_('line {line}: write "<measure>: <value>", e.g. "fill_rate: 80"'),
                    line=number,
                )
            measure, number_value = check_threshold(name, value)
            values[measure] = number_value
        if values:
            await services.set_thresholds(
                rt.database.unit_of_work(update.update_id), actor, values, rt.clock()
            )
    except DomainError as error:
        await _reply(update, not_done(t, error))
        return
    limits = await services.thresholds(rt.database.unit_of_work())
    text = thresholds_text(t, limits)
    if not values:
        text += "\n\n" + t.gettext(
            "Change them with /thresholds and a line per measure, e.g.\n/thresholds\n"
            "fill_rate: 85\nrating: 4.2"
        )
    await _reply(update, text)


_private = filters.ChatType.PRIVATE
# The driver's note and the member's comment are looked at before the wizard (group -1).
CONVERSATION_GROUP = -2

HANDLERS: list[Registration] = [
    anywhere("point", set_point),
    (MessageHandler(_private & filters.LOCATION, shared_location), 0),
    in_private("routes", plan_routes),
    in_private("myline", my_line),
    in_private("scorecards", scorecards_of_month),
    in_private("scorecard", my_scorecard),
    in_private("thresholds", set_thresholds),
    *on_buttons(delivered, Action.ROUTE_DELIVERED),
    *on_buttons(problem, Action.ROUTE_PROBLEM),
    *on_buttons(rate, Action.RATE),
    (
        MessageHandler(
            _private & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO), conversation_reply
        ),
        CONVERSATION_GROUP,
    ),
]
