"""The purchase card in the community chat, rendered from the database: aggregates only."""

from __future__ import annotations

from datetime import datetime
from html import escape
from html.parser import HTMLParser

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain import countdown
from domain.errors import N_, InvalidPurchase
from domain.money import Money
from domain.purchase import (
    DeliverySplit,
    Item,
    PaymentMode,
    Purchase,
    PurchaseStatus,
    ShortPolicy,
)
from domain.rows import RowsState
from domain.views import CardSummary, ItemProgress, card_summary
from texts.callback_data import Action, Start, deep_link, encode
from texts.i18n import SUPPORTED_LANGUAGES, Translator

MAX_PLUS_ONE_BUTTONS = 4
PROGRESS_CELLS = 10
# Telegram's limits for a message's text and a photo's caption, counted after the HTML is
# parsed (visible_length).
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
# The card grows as people join (counts, totals, what is left in stock): room for that.
CARD_GROWTH_ROOM = 120


class CardTooLong(InvalidPurchase):
    """The card would not fit in one Telegram message."""


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_length(html_text: str) -> int:
    """What Telegram counts against its limit: the text without tags, in UTF-16 code units
    (an emoji or a rare CJK character counts twice)."""
    parser = _Text()
    parser.feed(html_text)
    parser.close()
    return len("".join(parser.parts).encode("utf-16-le")) // 2


def check_card_fits(purchase: Purchase, timezone: str, now: datetime) -> None:
    """Refuse, before anything is saved, a purchase whose card would not fit in a message in
    any language it may be shown in (the chat's, and each reader's with Details)."""
    limit = MAX_MESSAGE_LENGTH - CARD_GROWTH_ROOM
    summary = card_summary(purchase)
    for language in SUPPORTED_LANGUAGES:
        length = visible_length(card_text(Translator(language, timezone), purchase, summary, now))
        if length > limit:
            raise CardTooLong(
                N_(
                    "the card would be {length} characters long, {over} more than fits in a "
                    "Telegram message; shorten the description or the item names"
                ),
                length=length,
                over=length - limit,
            )


def time_left(t: Translator, deadline: datetime, now: datetime) -> str:
    """The card's countdown, as precise as the timeline keeps it (see domain.countdown)."""
    left = countdown.shown(deadline, now)
    if not left:
        return t.gettext("the deadline has passed")
    days, rest = divmod(int(left.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return t.gettext("stops in {days} d {hours} h").format(days=days, hours=hours)
    if hours and minutes:
        return t.gettext("stops in {hours} h {minutes} min").format(hours=hours, minutes=minutes)
    if hours:
        return t.gettext("stops in {hours} h").format(hours=hours)
    return t.gettext("stops in {minutes} min").format(minutes=minutes)


def progress_bar(percent: int) -> str:
    filled = min(PROGRESS_CELLS, percent * PROGRESS_CELLS // 100)
    return "▓" * filled + "░" * (PROGRESS_CELLS - filled)


def delivery_line(t: Translator, purchase: Purchase) -> str:
    if purchase.delivery_cost is None:
        return t.gettext("Delivery: included")
    split = {
        DeliverySplit.BY_AMOUNT: t.gettext("split by amount"),
        DeliverySplit.PER_UNIT: t.gettext("split per unit"),
        DeliverySplit.PER_MEMBER: t.gettext("split per member"),
    }[purchase.delivery_split]
    return t.gettext("Delivery: {cost}, {split}").format(
        cost=t.money(purchase.delivery_cost), split=split
    )


def status_line(t: Translator, purchase: Purchase, now: datetime) -> str:
    if purchase.status is PurchaseStatus.DRAFT:  # the head's preview: when it would stop
        return (
            t.gettext("Draft, not published yet")
            + "\n⏰ "
            + t.gettext("{left} — {when}").format(
                left=time_left(t, purchase.deadline, now), when=t.when(purchase.deadline)
            )
        )
    if purchase.status is PurchaseStatus.OPEN:
        if purchase.awaiting_head_decision or now >= purchase.deadline:
            return t.gettext("⏳ Orders are closed; the head decides what happens next")
        return "⏰ " + t.gettext("{left} — {when}").format(
            left=time_left(t, purchase.deadline, now), when=t.when(purchase.deadline)
        )
    return {
        PurchaseStatus.DRAFT: t.gettext("Draft, not published yet"),
        PurchaseStatus.STOPPED: t.gettext("🛑 Stopped — orders are closed"),
        PurchaseStatus.ORDERED: t.gettext("📦 Ordered from the supplier"),
        PurchaseStatus.ARRIVED: t.gettext("✅ Arrived — check your private messages for pickup"),
        PurchaseStatus.COMPLETED: t.gettext("Completed"),
        PurchaseStatus.FAILED: t.gettext("❌ Failed — the minimum order was not reached"),
        PurchaseStatus.CANCELLED: t.gettext("❌ Cancelled by the head"),
    }[purchase.status]


def card_text(t: Translator, purchase: Purchase, summary: CardSummary, now: datetime) -> str:
    """The card as Telegram HTML; every text a person typed is escaped."""
    lines = [f"🛒 <b>{escape(purchase.title)}</b>"]
    if purchase.description:
        lines.append(escape(purchase.description))
    if purchase.supplier:
        lines.append(t.gettext("Supplier: {supplier}").format(supplier=escape(purchase.supplier)))
    if purchase.campaign_id is not None:
        lines.append(
            t.gettext("🤝 Part of {campaign}: packs fill across all its communities").format(
                campaign=escape(purchase.campaign_title)
            )
        )
    if purchase.open_to_link:
        lines.append(t.gettext("🔓 Open to anyone with the link, in this chat or not"))
    lines.append("")
    for progress in summary.items:
        item = progress.item
        if item.group and item.item_id != item.group:
            continue  # a variant: its item's line below names them all
        if item.group:
            lines += group_lines(t, purchase, summary, item.group)
            continue
        line = f"• {escape(item.label)} — {price_text(t, item, progress.unit_price)}"
        if item.pack_size > 1:
            line += " " + t.gettext("(pack of {size})").format(size=item.pack_size)
        if progress.next_tier is not None:
            line += " · " + t.gettext("{price} from {units}").format(
                price=t.money(progress.next_tier.unit_price),
                units=t.units(progress.next_tier.min_units),
            )
        if item.stock is not None:
            line += " · " + t.gettext("{left} left").format(left=item.stock - progress.units)
        lines.append(line)
        rules = item_rules(
            t, progress, purchase.status is PurchaseStatus.OPEN, purchase.campaign_id is None
        )
        if rules:
            lines.append("   " + " · ".join(rules))
    lines.append("")
    terms = [t.gettext("Organizer fee: {fee}%").format(fee=purchase.fee_percent)]
    terms.append(delivery_line(t, purchase))
    if purchase.regions:
        terms.append(
            t.gettext("Regions: {regions}").format(regions=escape(", ".join(purchase.regions)))
        )
    terms.append(
        t.gettext("Prepay") if purchase.payment_mode is PaymentMode.PREPAY else t.gettext("Postpay")
    )
    lines.append(" · ".join(terms))
    lines.append(status_line(t, purchase, now))
    for slot in purchase.pickup_slots:
        lines.append(
            "📍 "
            + t.gettext("Pickup: {window}, {place}").format(
                window=t.window(slot.starts_at, slot.ends_at), place=escape(slot.place)
            )
        )
    lines.append("")
    goal: str | None
    if summary.moq is not None and summary.moq.units is not None:
        goal = t.ngettext("{units}/{goal} unit", "{units}/{goal} units", summary.moq.units).format(
            units=summary.units, goal=summary.moq.units
        )
    elif summary.moq is not None and summary.moq.money is not None:
        goal = f"{t.money(summary.goods_total)} / {t.money(summary.moq.money)}"
    else:
        goal = None
    if goal is not None:
        lines.append(
            f"{progress_bar(summary.progress_percent)} {goal} ({summary.progress_percent}%)"
        )
    else:  # no minimum: a bar would fill up towards nothing
        lines.append(
            "📦 "
            + t.ngettext("{units} unit", "{units} units", summary.units).format(units=summary.units)
        )
    lines.append("👥 " + members_count(t, summary.members_count))
    if purchase.short_policy is ShortPolicy.EXTEND and purchase.extend_by:
        hours = int(purchase.extend_by.total_seconds() // 3600)
        lines.append(
            t.gettext("If short at the deadline: extended once by {hours} h").format(hours=hours)
        )
    elif purchase.moq is not None and purchase.short_policy is ShortPolicy.ASK:
        lines.append(t.gettext("If short at the deadline: the head decides"))
    elif purchase.moq is not None:
        lines.append(t.gettext("If short at the deadline: the purchase is cancelled"))
    return "\n".join(lines)


def price_text(t: Translator, item: Item, price: Money) -> str:
    """ "9.90", or for goods sold by weight "18.00 per kg, a piece about 0.5 kg"."""
    if item.estimate_grams is None:
        return t.money(price)
    return t.gettext("{price} per kg, a piece about {weight} kg").format(
        price=t.money(price), weight=t.kilograms(item.estimate_grams)
    )


def rows_line(t: Translator, purchase: Purchase, state: RowsState) -> str:
    """ "2 full rows · row 3: S ✓ M ✓ L — XL —": what the next row still needs."""
    marks = " ".join(
        f"{escape(purchase.item(item_id).variant)} {'✓' if taken else '—'}"
        for item_id, taken in state.next_row.items()
    )
    full = t.ngettext("{count} full row", "{count} full rows", state.full).format(count=state.full)
    row = t.gettext("row {number}: {marks}").format(number=state.next_row_number, marks=marks)
    return f"{full} · {row}"


def group_lines(t: Translator, purchase: Purchase, summary: CardSummary, group: int) -> list[str]:
    """An item with variants: one line with its price and variants (what is left of each in
    stock), and for goods sold in rows how the rows are being filled."""
    variants = [p for p in summary.items if p.item.group == group]
    first = variants[0].item
    names = []
    for progress in variants:
        name = escape(progress.item.variant)
        if progress.item.stock is not None:
            left = progress.item.stock - progress.units
            name += (
                " ("
                + (
                    t.gettext("sold out")
                    if left <= 0
                    else t.gettext("{left} left").format(left=left)
                )
                + ")"
            )
        names.append(name)
    prices = {p.unit_price for p in variants}
    price = (
        price_text(t, first, variants[0].unit_price)
        if len(prices) == 1
        else t.gettext("from {price}").format(price=t.money(min(prices, key=lambda m: m.minor)))
    )
    lines = [f"• {escape(first.name)} — {price}"]
    if first.in_rows:
        lines.append(
            "   " + t.gettext("in full rows of {variants}").format(variants=", ".join(names))
        )
        state = summary.rows.get(group)
        if state is not None and purchase.status is PurchaseStatus.OPEN:
            if state.full or state.started:
                lines.append("   " + rows_line(t, purchase, state))
        elif purchase.status is not PurchaseStatus.DRAFT:
            ordered = summary.rows_ordered.get(group, 0)
            lines.append(
                "   "
                + t.ngettext("{count} full row", "{count} full rows", ordered).format(count=ordered)
            )
    else:
        lines.append("   " + ", ".join(names))
    rules = item_rules(
        t, variants[0], purchase.status is PurchaseStatus.OPEN, purchase.campaign_id is None
    )
    if rules:
        lines.append("   " + " · ".join(rules))
    return lines


def item_rules(
    t: Translator, progress: ItemProgress, open_orders: bool, own_packs: bool = True
) -> list[str]:
    """What a member must know before tapping: their limits, the item's own minimum, and
    while orders are open how far the next pack and the next price are (a campaign's packs,
    `own_packs` False, fill across its communities: this one's units alone do not say)."""
    item = progress.item
    rules = []
    if item.member_min is not None:
        rules.append(t.gettext("at least {count} each").format(count=item.member_min))
    if item.member_max is not None:
        rules.append(t.gettext("at most {count} each").format(count=item.member_max))
    if item.moq_units is not None:
        rules.append(t.gettext("needs {count} in total").format(count=item.moq_units))
    if own_packs and open_orders and item.pack_size > 1 and progress.units % item.pack_size:
        more = progress.units_to_next_pack
        rules.append(
            t.ngettext(
                "{count} more fills the next pack", "{count} more fill the next pack", more
            ).format(count=more)
        )
    tier = progress.next_tier
    if open_orders and tier is not None and progress.units:
        more = tier.min_units - progress.units
        rules.append(
            t.ngettext("{count} more for {price}", "{count} more for {price}", more).format(
                count=more, price=t.money(tier.unit_price)
            )
        )
    return rules


def card_keyboard(
    t: Translator, purchase: Purchase, bot_username: str
) -> InlineKeyboardMarkup | None:
    """`+1 <item>` for the first items, `My order` and `Details`; none once orders close.
    While the head decides what happens short of the minimum, orders are closed: no +1."""
    if purchase.status is not PurchaseStatus.OPEN:
        return None
    rows = [
        [
            InlineKeyboardButton(
                f"+1 {item.label}"[:60],
                callback_data=encode(Action.JOIN, purchase.id, item.item_id),
            )
        ]
        # a variant is chosen in the order editor: +1 cannot know which
        for item in [item for item in purchase.items if not item.group][:MAX_PLUS_ONE_BUTTONS]
        if not purchase.awaiting_head_decision
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("My order"), url=deep_link(bot_username, Start.MY_ORDER, purchase.id)
            ),
            InlineKeyboardButton(
                t.gettext("Details"), url=deep_link(bot_username, Start.DETAILS, purchase.id)
            ),
        ]
    )
    return InlineKeyboardMarkup(rows)


# Telegram's album takes 10 photos at most; the card's own text says the rest.
MAX_ALBUM = 10


def photo_album(
    t: Translator, purchase: Purchase, items_only: bool = False
) -> list[tuple[str, str]]:
    """The photos above a card (the purchase's, then its items'), each with its caption as
    Telegram HTML: (file id, caption). An item's variants share their item's photo."""
    album: list[tuple[str, str]] = []
    if purchase.photo and not items_only:
        album.append((purchase.photo, f"🛒 <b>{escape(purchase.title)}</b>"))
    seen = {file_id for file_id, _caption in album}
    for item in purchase.items:
        if item.photo and item.photo not in seen:
            seen.add(item.photo)
            name = item.name if item.group else item.label
            album.append((item.photo, f"{escape(name)} — {price_text(t, item, item.unit_price)}"))
    return album[:MAX_ALBUM]


def members_count(t: Translator, count: int) -> str:
    """ "12 members", for the card, the head's panel and the lists of purchases."""
    return t.ngettext("{count} member", "{count} members", count).format(count=count)
