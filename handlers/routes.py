"""The operator's delivery days (/routes): the day's form to copy, the lines solved from it,
the plan board (kept live as the drivers mark their stops) and each driver's manifest sent."""

from __future__ import annotations

import logging
from datetime import date

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from domain import services
from domain.community import Community
from domain.errors import N_, DomainError, InvalidPurchase
from domain.route_form import parse_route_form
from domain.routes import Line, RoutePlan
from handlers.exports import csv_bytes, table_pdf
from handlers.operator_campaigns import operator_or_refusal
from handlers.packing_list import FontsMissing
from handlers.purchase_card import not_done
from handlers.runtime import BotContext, Registration, in_private, person_translator, reply
from texts.i18n import Translator, speaking
from texts.logistics_view import (
    cost_rows,
    manifest_markup,
    manifest_rows,
    manifest_text,
    plan_text,
    plannable_text,
    route_form,
)

log = logging.getLogger(__name__)


async def head_names(context: BotContext, line: Line, t: Translator) -> dict[int, str]:
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
    heads = await head_names(context, line, t)
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
            await reply(update, plannable_text(t, await services.plannable(
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
        await reply(update, not_done(t, error))
        return
    t = Translator(t.language, timezone)
    if not form.strip():
        try:
            depot, known = await services.route_form_start(
                rt.database.unit_of_work(), actor, day, campaign_id
            )
        except DomainError as error:  # another operator's campaign
            await reply(update, not_done(t, error))
            return
        await reply(
            update,
            t.gettext(
                "A delivery day is one message: copy the next one, change it and send it back. "
                "Times are in {timezone}, the cost in {currency}; capacity is packs per "
                "vehicle; each driver (made so with /driver) drives one vehicle."
            ).format(timezone=timezone, currency=currency),
        )
        names = await context.runtime.names.known(context.bot, known)
        await reply(update, route_form(t, words[1], depot, known, names))
        if campaign_id is not None:
            not_yet = await services.not_yet_plannable(
                rt.database.unit_of_work(), actor, campaign_id
            )
            if not_yet is not None:
                said = t.gettext("Not yet: {reason}.").format(reason=t.reason(not_yet))
                await reply(update, said)
        return
    try:
        fleet, tariff = parse_route_form(form, day, timezone, currency)
        plan = await services.plan_delivery_day(
            rt.database, actor, day, campaign_id, fleet, tariff, now, timezone, update.update_id
        )
    except DomainError as error:
        await reply(update, not_done(t, error))
        return
    drivers = await context.runtime.names.readable(
        context.bot, [line.driver_id for line in plan.lines], t
    )
    board = await reply(update, plan_text(t, plan, drivers), parse_mode=ParseMode.HTML)
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
                context, plan, line, await translator_of(context, line.driver_id, plan.timezone)
            )
        except TelegramError:
            unreachable.append(drivers[line.driver_id])
    if unreachable:
        await reply(
            update,
            t.gettext(
                "I could not write to {drivers}: each opens the private chat with me and sends "
                "/myline."
            ).format(drivers=", ".join(unreachable)),
        )


async def translator_of(
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


async def refresh_board(context: BotContext, plan: RoutePlan) -> None:
    """The operator's plan message, redrawn with the stops as the drivers marked them."""
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        board = await uow.logistics.board(plan.id)
    if board is None:
        return
    t = await translator_of(context, plan.operator_id, plan.timezone)
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


HANDLERS: list[Registration] = [in_private("routes", plan_routes)]
