"""The heads' scorecards: a head's own card and chart (/scorecard), the operator's ranking of
a month's heads (/scorecards) against the thresholds the operator sets (/thresholds)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from telegram import InputFile, Update
from telegram.constants import ParseMode

from domain import services
from domain.errors import N_, DomainError, InvalidPurchase, NotAllowed
from domain.scorecard import Measure, Scorecard, check_threshold
from handlers.charts import scorecard_chart
from handlers.operator_campaigns import operator_or_refusal
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Registration,
    actor_for,
    in_private,
    person_translator,
    reply,
)
from texts.logistics_view import ranking_text, scorecard_text, thresholds_text

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


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
        await reply(update, t.gettext("Write the month as 2026-11: /scorecards 2026-11."))
        return
    starts, ends = _month_span(month, timezone)
    try:
        cards = await services.month_ranking(
            rt.database.unit_of_work(), actor_for(update, context), starts, ends, timezone, now
        )
    except DomainError as error:
        await reply(update, not_done(t, error))
        return
    limits = await services.thresholds(rt.database.unit_of_work())
    of_month = [card for (_head, m), card in cards.items() if m == month]
    names = await context.runtime.names.readable(
        context.bot, [card.head_id for card in of_month], t
    )
    await reply(update, ranking_text(t, month, of_month, limits, names),
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
            await reply(update, not_done(t, NotAllowed(N_("only an operator sees another "
                                                           "head's scorecard"))))  # fmt: skip
            return
        head_id = int(args[0])
        args = args[1:]
    month = args[0] if args else now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
    if not MONTH.fullmatch(month):
        await reply(update, t.gettext("Write the month as 2026-11: /scorecard 2026-11."))
        return
    cards = await services.head_scorecards(rt.database.unit_of_work(), [head_id], timezone, now)
    limits = await services.thresholds(rt.database.unit_of_work())
    months = sorted((m, card) for (_head, m), card in cards.items())
    if not months:
        await reply(update, t.gettext("No purchases to score yet."))
        return
    card = cards.get((head_id, month)) or Scorecard(head_id, month)
    names = await context.runtime.names.readable(context.bot, [head_id], t)
    await reply(update, scorecard_text(t, card, limits, names[head_id]),
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
        await reply(update, not_done(t, error))
        return
    limits = await services.thresholds(rt.database.unit_of_work())
    text = thresholds_text(t, limits)
    if not values:
        text += "\n\n" + t.gettext(
            "Change them with /thresholds and a line per measure, e.g.\n/thresholds\n"
            "fill_rate: 85\nrating: 4.2"
        )
    await reply(update, text)


HANDLERS: list[Registration] = [
    in_private("scorecards", scorecards_of_month),
    in_private("scorecard", my_scorecard),
    in_private("thresholds", set_thresholds),
]
