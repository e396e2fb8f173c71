"""What is read after selling: the operator's route plan (lines, stops in order, km, load,
the cost per community, live as drivers mark stops), a driver's manifest with its buttons and
rows for the PDF, the members' rating question, and the heads' scorecards and ranking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.geo import GeoPoint
from domain.money import Money
from domain.purchase import Purchase
from domain.routes import Line, RoutePlan, Stop, Visit
from domain.scorecard import LOWER_IS_BETTER, Measure, Scorecard
from domain.services.logistics import Plannable
from texts.callback_data import Action, encode
from texts.i18n import Translator
from texts.notices import title


def km(t: Translator, value: float) -> str:
    return str(format_decimal(round(value, 1), locale=t.locale, format="#,##0.0"))


def unload_text(t: Translator, stop: Stop) -> str:
    return "; ".join(
        t.gettext("{item}: {packs} ({units})").format(
            item=escape(line.label), packs=t.packs(line.packs), units=t.units(line.units)
        )
        for line in stop.unload
    )


def _mark(plan: RoutePlan, stop: Stop) -> str:
    if stop.community_id in plan.delivered:
        return "✅"
    if stop.community_id in plan.problems:
        return "⚠️"
    return "⏳"


# Telegram takes 4,096 characters a message: a plan too long to list every stop shows its lines
# with how many stops each has delivered (the CSV beside it lists every stop).
MESSAGE_LIMIT = 4000
COMMENTS_SHOWN = 5  # the month's latest on a scorecard


def plan_text(t: Translator, plan: RoutePlan, drivers: Mapping[int, str] | None = None) -> str:
    """The operator's view: every line with its stops, live as drivers mark them."""
    names = drivers or {}
    full = _plan_text(t, plan, names, stops_listed=True)
    return full if len(full) <= MESSAGE_LIMIT else _plan_text(t, plan, names, stops_listed=False)


def _plan_text(t: Translator, plan: RoutePlan, names: Mapping[int, str], stops_listed: bool) -> str:
    costs = plan.costs()
    stops = sum(len(line.visits) for line in plan.lines)
    done = len(plan.delivered)
    head = t.gettext(
        "🚚 <b>Route plan #{number}</b> for {day}: {lines}, {stops}, {km} km. Delivered {done} "
        "of {total}."
    ).format(
        number=plan.id, day=format_date(plan.day, format="medium", locale=t.locale),
        lines=t.ngettext("{count} line", "{count} lines", len(plan.lines)).format(
            count=len(plan.lines)),
        stops=t.ngettext("{count} stop", "{count} stops", stops).format(count=stops),
        km=km(t, plan.km), done=done, total=stops,
    )  # fmt: skip
    parts = [head]
    for line in plan.lines:
        name = escape(names.get(line.driver_id, str(line.driver_id)))
        driver = f'<a href="tg://user?id={line.driver_id}">{name}</a>'
        summary = t.gettext(
            "\n<b>Line {number}</b> · driver {driver} · {km} km · {load} of {capacity} "
            "packs · back at {back} · {cost}"
        )
        parts.append(summary.format(
            number=line.number, driver=driver, km=km(t, line.km), load=line.load,
            capacity=plan.fleet.capacity, back=t.clock(line.returns), cost=t.money(line.cost),
        ))  # fmt: skip
        if not stops_listed:
            delivered = sum(v.stop.community_id in plan.delivered for v in line.visits)
            problems = sum(v.stop.community_id in plan.problems for v in line.visits)
            parts[-1] += f" · ✅ {delivered}/{len(line.visits)}" + (
                f" · ⚠️ {problems}" if problems else ""
            )
            continue
        for position, visit in enumerate(line.visits, start=1):
            stop = visit.stop
            problem = plan.problems.get(stop.community_id)
            parts.append(
                f"{_mark(plan, stop)} {position}. {t.clock(visit.arrives)} "
                f"{escape(stop.title)} — "
                + t.ngettext("{packs} pack", "{packs} packs", stop.load).format(packs=stop.load)
                + f" · {t.money(costs[stop.community_id])}"
                + (f"\n    ⚠️ {escape(problem)}" if problem else "")
            )
    return "\n".join(parts)


def cost_rows(t: Translator, plan: RoutePlan) -> list[list[object]]:
    """The cost per community, for the operator's CSV (what feeds the members' delivery)."""
    costs = plan.costs()
    rows: list[list[object]] = [[
        t.gettext("Line"), t.gettext("Stop"), t.gettext("Community"), t.gettext("Arrives"),
        t.gettext("Packs"), t.gettext("km from the point before"),
        t.gettext("Delivery ({currency})").format(currency=plan.tariff.currency),
    ]]  # fmt: skip
    for line in plan.lines:
        for position, visit in enumerate(line.visits, start=1):
            stop = visit.stop
            rows.append([line.number, position, stop.title, t.clock(visit.arrives), stop.load,
                         round(visit.km, 1), costs[stop.community_id].amount])  # fmt: skip
    return rows


def _stop_block(t: Translator, plan: RoutePlan, position: int, visit: Visit, head: str) -> str:
    stop = visit.stop
    map_word = t.gettext("Map")  # not inside the f-string: the catalogs' extractor skips those
    lines = [
        f"{_mark(plan, stop)} <b>{position}. {escape(stop.title)}</b> · ~{t.clock(visit.arrives)}",
        t.gettext("Head: {name}").format(
            name=f'<a href="tg://user?id={stop.head_id}">{escape(head)}</a>'
        ),
        t.gettext("Address: {address}").format(address=escape(stop.pickup.address or "-")),
        f'<a href="{stop.pickup.point.map_link()}">{map_word}</a> · {stop.pickup.point}',
        t.gettext("Unload: {lines}").format(lines=unload_text(t, stop)),
    ]
    problem = plan.problems.get(stop.community_id)
    if problem:
        lines.append(t.gettext("Problem: {note}").format(note=escape(problem)))
    return "\n".join(lines)


def manifest_text(t: Translator, plan: RoutePlan, line: Line, heads: Mapping[int, str]) -> str:
    """A driver's line: where to go in order, whom to meet, what to unload."""
    intro = t.gettext(
        "🚚 <b>Your line {number}</b> for {day}: {stops}, {km} km, {packs}. Leave the depot "
        "at {start}; back by {back}. Press ✅ at each stop when the goods are unloaded."
    ).format(
        number=line.number, day=format_date(plan.day, format="medium", locale=t.locale),
        stops=t.ngettext("{count} stop", "{count} stops", len(line.visits)).format(
            count=len(line.visits)),
        km=km(t, line.km),
        packs=t.ngettext("{packs} pack", "{packs} packs", line.load).format(packs=line.load),
        start=t.clock(plan.fleet.starts), back=t.clock(line.returns),
    )  # fmt: skip
    blocks = [
        _stop_block(t, plan, position, visit, heads.get(visit.stop.head_id, "-"))
        for position, visit in enumerate(line.visits, start=1)
    ]
    text = "\n\n".join([intro, *blocks])
    if len(text) <= MESSAGE_LIMIT:
        return text
    # A long line: one row a stop here; the PDF beside it has the heads and addresses.
    rows = [
        f"{_mark(plan, v.stop)} {position}. ~{t.clock(v.arrives)} {escape(v.stop.title)} — "
        f"{unload_text(t, v.stop)}"
        for position, v in enumerate(line.visits, start=1)
    ]
    while len("\n".join([intro, *rows, "…"])) > MESSAGE_LIMIT and rows:
        rows.pop()
    shown = len(rows) < len(line.visits)
    return "\n".join([intro, *rows, *(["…"] if shown else [])])


def manifest_markup(t: Translator, plan: RoutePlan, line: Line) -> InlineKeyboardMarkup | None:
    """A row per stop still to deliver: Delivered, or Problem (a note or photo comes next)."""
    rows = [
        [
            InlineKeyboardButton(
                t.gettext("✅ {position}. Delivered").format(position=position),
                callback_data=encode(Action.ROUTE_DELIVERED, plan.id, visit.stop.community_id),
            ),
            InlineKeyboardButton(
                t.gettext("⚠️ Problem"),
                callback_data=encode(Action.ROUTE_PROBLEM, plan.id, visit.stop.community_id),
            ),
        ]
        for position, visit in enumerate(line.visits, start=1)
        if visit.stop.community_id not in plan.delivered
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def manifest_rows(
    t: Translator, plan: RoutePlan, line: Line, heads: Mapping[int, str]
) -> list[list[object]]:
    rows: list[list[object]] = [[
        "☐", "#", t.gettext("Arrives"), t.gettext("Community"), t.gettext("Head"),
        t.gettext("Address"), t.gettext("Unload"),
    ]]  # fmt: skip
    for position, visit in enumerate(line.visits, start=1):
        stop = visit.stop
        rows.append([
            "☐", position, t.clock(visit.arrives), stop.title,
            heads.get(stop.head_id, str(stop.head_id)),
            f"{stop.pickup.address}\n{stop.pickup.point}".strip(),
            unload_text(t, stop).replace("; ", "\n"),
        ])  # fmt: skip
    return rows


def delivered_to_head(t: Translator, stop: Stop, arrived: bool) -> str:
    text = t.gettext("🚚 The driver has delivered the goods to {place}: {lines}.").format(
        place=escape(stop.pickup.address or stop.title), lines=unload_text(t, stop)
    )
    if arrived:
        return text + " " + t.gettext("Members got their pickup codes.")
    return (
        text
        + " "
        + t.gettext(
            "Say where and when members pick up with Mark arrived on your panel (/purchases)."
        )
    )


def problem_to_head(t: Translator, stop: Stop, note: str) -> str:
    return t.gettext(
        "⚠️ The driver reports a problem with the delivery to {place}: {note}. The operator "
        "knows; the goods are not marked delivered."
    ).format(place=escape(stop.pickup.address or stop.title), note=escape(note))


def rating_request(t: Translator, purchase: Purchase) -> dict[str, Any]:
    """The question to members once a purchase is completed, as Bot API JSON for the outbox."""
    return {
        "text": t.gettext(
            "⭐ {title} is complete. How was it? Rate it from 1 to 5 (once; your head sees the "
            "average, not who rated)."
        ).format(title=title(purchase)),
        "reply_markup": {
            "inline_keyboard": [[
                {"text": f"⭐ {stars}",  # a bare "⭐" first reads as a button of its own
                 "callback_data": encode(Action.RATE, purchase.id, stars)}
                for stars in range(1, 6)
            ]]
        },
    }  # fmt: skip


MEASURE_NAMES: dict[Measure, str] = {
    Measure.FILL_RATE: "fill_rate",
    Measure.ON_TIME_STOP: "on_time_stop",
    Measure.ON_TIME_HANDOVER: "on_time_handover",
    Measure.NOT_COLLECTED: "not_collected",
    Measure.RATING: "rating",
    Measure.COMPLAINTS: "complaints",
}


def measure_label(t: Translator, measure: Measure) -> str:
    return {
        Measure.FILL_RATE: t.gettext("fill rate"),
        Measure.ON_TIME_STOP: t.gettext("on-time stop"),
        Measure.ON_TIME_HANDOVER: t.gettext("on-time handover"),
        Measure.NOT_COLLECTED: t.gettext("not collected"),
        Measure.RATING: t.gettext("rating"),
        Measure.COMPLAINTS: t.gettext("complaints"),
    }[measure]


def _pct(t: Translator, value: Decimal | None) -> str:
    return "—" if value is None else f"{format_decimal(value, locale=t.locale)} %"


def _monies(t: Translator, amounts: Mapping[str, Money]) -> str:
    return ", ".join(t.money(m) for m in amounts.values()) or "—"


def thresholds_text(t: Translator, thresholds: Mapping[Measure, Decimal]) -> str:
    lines = [t.gettext("KPI thresholds (a head past one is flagged for review, never removed):")]
    for measure, value in thresholds.items():
        sign = "≤" if measure in LOWER_IS_BETTER else "≥"
        lines.append(f"{MEASURE_NAMES[measure]}: {sign} {format_decimal(value, locale=t.locale)}"
                     f" ({measure_label(t, measure)})")  # fmt: skip
    return "\n".join(lines)


def scorecard_text(
    t: Translator, card: Scorecard, thresholds: Mapping[Measure, Decimal], name: str
) -> str:
    flags = card.flags(thresholds)
    rating = (
        "—" if card.rating is None
        else t.ngettext("{rating} of 5 from {count} rating", "{rating} of 5 from {count} ratings",
                        card.ratings).format(
            rating=format_decimal(card.rating, locale=t.locale), count=card.ratings)
    )  # fmt: skip
    lines = [
        t.gettext("📊 <b>{name}</b> · {month}").format(name=escape(name), month=card.month),
        t.gettext("Purchases: {count}").format(count=card.purchases),
        t.gettext("Members: {members}, of them repeat: {repeat}").format(
            members=card.members, repeat=card.repeat_members
        ),
        t.gettext("Goods: {amount}").format(amount=_monies(t, card.goods)),
        t.gettext("Fill rate: {value}").format(value=_pct(t, card.fill_rate)),
        t.gettext("On-time stop: {value}").format(value=_pct(t, card.on_time_stop)),
        t.gettext("On-time handover: {value}").format(value=_pct(t, card.on_time_handover)),
        t.gettext("Not collected: {value}").format(value=_pct(t, card.not_collected)),
        t.gettext("Refunds: {count} ({amount})").format(
            count=card.refunds, amount=_monies(t, card.refunded)
        )
        if card.refunds
        else t.gettext("Refunds: none"),
        t.gettext("Rating: {rating}; complaints: {complaints}").format(
            rating=rating, complaints=card.complaints
        ),
    ]
    if card.comments:
        lines.append(t.gettext("Members' comments:"))
        lines += [f"— {escape(comment)}" for comment in card.comments[:COMMENTS_SHOWN]]
    if flags:
        lines.append(
            t.gettext("🚩 For review: {measures}").format(
                measures=", ".join(measure_label(t, m) for m in flags)
            )
        )
    return "\n".join(lines)


def ranking_text(
    t: Translator, month: str, cards: list[Scorecard], thresholds: Mapping[Measure, Decimal],
    names: Mapping[int, str],
) -> str:  # fmt: skip
    """Heads of the month, the best first (rating, then fill rate, then members); flagged
    heads say what for."""
    if not cards:
        return t.gettext("No head ran a purchase in {month}.").format(month=month)

    def rank(card: Scorecard) -> tuple[Decimal, Decimal, int]:
        return (card.rating or Decimal(0), card.fill_rate or Decimal(0), card.members)

    heading = t.gettext("🏆 <b>Heads in {month}</b> (/scorecard {head} for one):")
    lines = [heading.format(month=month, head=escape(t.gettext("<head id>")))]
    template = t.gettext(
        "{place}. {name} · {purchases} purchases · {members} members · fill {fill} · "
        "rating {rating}"
    )
    for place, card in enumerate(sorted(cards, key=rank, reverse=True), start=1):
        flags = card.flags(thresholds)
        rating = "—" if card.rating is None else format_decimal(card.rating, locale=t.locale)
        line = template.format(
            place=place, name=escape(names.get(card.head_id, str(card.head_id))),
            purchases=card.purchases, members=card.members, fill=_pct(t, card.fill_rate),
            rating=rating,
        )  # fmt: skip
        if flags:
            line += " 🚩 " + ", ".join(measure_label(t, m) for m in flags)
        lines.append(line)
    return "\n".join(lines)


def _driver(driver_id: int, names: Mapping[int, str]) -> str:
    """A driver as the form names him: his id, which is what the form reads, and his name in
    brackets for the operator to see whose it is (brackets in a name would end it early)."""
    name = names.get(driver_id, "").replace("(", "").replace(")", "").strip()
    return f"{driver_id} ({name})" if name else str(driver_id)


def route_form(
    t: Translator,
    day: str,
    depot: GeoPoint | None,
    drivers: Sequence[int],
    names: Mapping[int, str],
) -> str:
    """The delivery day's form to copy, started where the operator is: her depot (or the
    middle of the pickup points served) and her drivers, each with the name Telegram shows
    (`names`); the other lines are the usual."""
    where = (
        f"{depot.lat}, {depot.lon}"
        if depot is not None
        else t.gettext("<latitude>, <longitude> of your depot")
    )
    return "\n".join([
        f"/routes {day}",
        f"Depot: {where}",
        "Drivers: " + ", ".join(_driver(driver, names) for driver in drivers),
        "Capacity: 40",
        "Start: 07:00",
        "End: 19:00",
        "Speed: 30",
        "Stop: 10",
        "Cost: 15.00 per stop",
    ])  # fmt: skip


def plannable_text(t: Translator, found: Plannable) -> str:
    """`/routes` alone: the operator's campaigns and the days with purchases on the way, each
    as the command that sends its form."""
    if not found.campaigns and not found.days:
        return t.gettext(
            "Nothing to plan yet: no campaign of yours and no purchase on the way. Write "
            "/routes <campaign number> or /routes <YYYY-MM-DD>."
        )
    lines = [t.gettext("Which delivery? Send one of these to get its form:")]
    listed = t.gettext("/routes {number} — {title} (cut-off {cut_off}, delivery {delivery})")
    for number, name, cut_off, delivery in found.campaigns:
        day = format_date(delivery, format="medium", locale=t.locale)
        lines.append(
            listed.format(number=number, title=name, cut_off=t.when(cut_off), delivery=day)
        )
    lines += [f"/routes {planned.isoformat()}" for planned in found.days]
    return "\n".join(lines)
