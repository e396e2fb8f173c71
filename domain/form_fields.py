"""The fields a head types to open a purchase, one by one: each `parse_*` function takes
what a person typed for one field and returns the value, or raises FormError saying what is
wrong and what is expected (in the words of each language: "pack 6", "упаковка 6", "每箱6").
The wizard asks them one at a time; the template (`domain.purchase_form`) reads them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from domain.errors import N_, InvalidPurchase, Term
from domain.errors import FormError as FormError  # the forms' error, where it always was
from domain.money import InvalidAmount, Money
from domain.purchase import (
    MAX_ESTIMATE_GRAMS,
    MAX_VARIANT_LENGTH,
    MAX_VARIANTS,
    DeliverySplit,
    Item,
    Moq,
    PaymentMode,
    PickupSlot,
    PriceTier,
    ShortPolicy,
)

MAX_FIELD_LENGTH = {
    "title": 120, "description": 2000, "supplier": 120, "regions": 200, "pay_to": 500,
}  # fmt: skip


THE_PRICE = Term(N_("the price"))


THE_MINIMUM_ORDER = Term(N_("the minimum order"))


EMPTY_FIELD = {
    "title": N_("the title cannot be empty"),
    "description": N_("the description cannot be empty"),
    "supplier": N_("the supplier cannot be empty"),
    "regions": N_("the regions cannot be empty"),
    "pay_to": N_("say where members pay you, e.g. a bank account or cash at pickup"),
}


LONG_FIELD = {
    "title": N_("the title is longer than {limit} characters"),
    "description": N_("the description is longer than {limit} characters"),
    "supplier": N_("the supplier is longer than {limit} characters"),
    "regions": N_("the regions are longer than {limit} characters"),
    "pay_to": N_("the payment details are longer than {limit} characters"),
}


def parse_text(text: str, field_name: str, required: bool = True) -> str:
    multiline = field_name in ("description", "pay_to")
    value = text.strip() if multiline else " ".join(text.split())
    if required and not value:
        raise FormError(EMPTY_FIELD[field_name])
    if field_name == "title" and not any(char.isalnum() for char in value):
        raise FormError(N_("the title needs at least one letter or digit"))
    limit = MAX_FIELD_LENGTH[field_name]
    if len(value) > limit:
        raise FormError(LONG_FIELD[field_name], limit=limit)
    return value


def _whole(text: str, what: str, minimum: int = 1) -> int:
    """`what` is a Term, or an option keyword the person typed (shown as typed)."""
    if not re.fullmatch(r"\d{1,7}", text.strip()):
        raise FormError(N_("{what} must be a whole number, e.g. 6"), what=what)
    number = int(text)
    if number < minimum:
        raise FormError(N_("{what} must be at least {minimum}"), what=what, minimum=minimum)
    return number


def _money(text: str, currency: str, what: Term = THE_PRICE) -> Money:
    try:
        amount = Money.parse(text.strip(), currency)
    except InvalidAmount as error:
        raise FormError(
            N_("{what}: {reason}; write it like 12.50"), what=what, reason=error
        ) from None
    if amount.minor <= 0:
        raise FormError(N_("{what} must be more than zero"), what=what)
    return amount


ITEM_OPTIONS = {"pack": "pack_size", "min": "member_min", "max": "member_max",
                "stock": "stock", "moq": "moq_units"}  # fmt: skip


# The words heads write for each option in English, Russian and Chinese (/help lists them).
ITEM_OPTION_ALIASES = {
    "box": "pack", "case": "pack", "minimum": "min", "maximum": "max", "limit": "max",
    "упаковка": "pack", "упак": "pack", "уп": "pack", "ящик": "pack", "коробка": "pack",
    "мин": "min", "минимум": "min", "макс": "max", "максимум": "max", "остаток": "stock",
    "наличие": "stock", "склад": "stock", "минзаказ": "moq",
    "箱": "pack", "每箱": "pack", "包": "pack", "每包": "pack", "最少": "min", "起购": "min",
    "每人最少": "min", "最多": "max", "限购": "max", "每人最多": "max", "库存": "stock",
    "起订": "moq", "起订量": "moq",
}  # fmt: skip


# An option: its word, the number, and a unit word after it if any ("每箱6个", "max 10 pcs").
ITEM_OPTION = re.compile(r"(\D+?)\s*(\d+)\s*(?:units?|pcs|шт\.?|штук|件|个|瓶|盒|袋)?")


# "variants S, M, L" (each a line of its own) and "row S, M, L" (sold only in full rows).
VARIANT_WORDS = {
    "variants": False, "variant": False, "sizes": False, "colours": False, "colors": False,
    "flavours": False, "flavors": False, "варианты": False, "размеры": False, "цвета": False,
    "вкусы": False, "规格": False, "尺码": False, "颜色": False, "口味": False,
    "row": True, "rows": True, "size row": True, "ряд": True, "ряды": True,
    "размерный ряд": True, "整手": True, "一手": True,
}  # fmt: skip
# "18.00 per kg", "18.00/kg", "18.00 за кг", "18.00 每公斤": the price is per kilogram.
PER_KG = re.compile(
    r"(.+?)\s*(?:per\s*kg|/\s*kg|за\s*кг|/\s*кг|每公斤|/\s*公斤|每千克)", re.IGNORECASE
)
# "about 0.5 kg", "~500 g", "около 0,5 кг", "约0.5公斤": what one piece weighs, about.
ESTIMATE = re.compile(
    r"(?:about|approx\.?|~|около|примерно|约|大约)\s*([\d.,]+)\s*(kg|g|кг|г|公斤|千克|克)",
    re.IGNORECASE,
)
GRAM_WORDS = ("g", "г", "克")
# "| swap" on a row: members short of a full row may take another size that completes one.
SWAP_WORDS = ("swap", "swaps", "замена", "можно заменить", "可换", "可调换")
VARIANT_SEPARATORS = re.compile(r"[,，、;；/]")


def _variant_option(option: str) -> tuple[bool, list[str]] | None:
    """(in rows, the variants) when the option lists variants; None for any other option."""
    lowered = option.lower()
    for word in sorted(VARIANT_WORDS, key=len, reverse=True):
        rest = lowered[len(word) :]
        # "sizes S" and "размеры S" need a space or a colon; "尺码S" is written without.
        if lowered.startswith(word) and (not rest or not rest[0].isalnum() or not word.isascii()):
            values = option[len(word) :].strip().lstrip(":：").strip()
            return VARIANT_WORDS[word], [v.strip() for v in VARIANT_SEPARATORS.split(values)]
    return None


# "S:5": a variant with its own stock (five of size S), the rest with the item's.
VARIANT_STOCK = re.compile(r"(.+?)\s*[:：]\s*(\d{1,7})")


def _variants(in_rows: bool, listed: list[str]) -> list[tuple[str, int | None]]:
    """The variants as named, each with its own stock when written "S:5"."""
    variants: list[tuple[str, int | None]] = []
    for text in listed:
        match = VARIANT_STOCK.fullmatch(text)
        name = match[1].strip() if match else text
        stock = _whole(match[2], Term(N_("a variant's stock"))) if match else None
        variants.append((name, stock))
    names = [name for name, _stock in variants]
    if any(not name for name in names) or len(names) < 2:
        raise FormError(
            N_("list at least two variants, separated by commas, e.g. variants S, M, L")
        )
    if len(names) > MAX_VARIANTS:
        raise FormError(N_("an item has at most {limit} variants"), limit=MAX_VARIANTS)
    for name in names:
        if len(name) > MAX_VARIANT_LENGTH:
            raise FormError(
                N_('the variant "{variant}" is longer than {limit} characters'),
                variant=name[:40], limit=MAX_VARIANT_LENGTH,
            )  # fmt: skip
    if len({name.lower() for name in names}) < len(names):
        raise FormError(N_("each variant is named once"))
    return variants


def _estimate_grams(match: re.Match[str]) -> int:
    try:
        amount = Decimal(match[1].replace(",", "."))
    except InvalidOperation:
        raise FormError(N_("write what a piece weighs like about 0.5 kg")) from None
    grams = amount if match[2].lower() in GRAM_WORDS else amount * 1000
    if (
        not grams.is_finite()
        or grams != grams.to_integral_value()
        or not 1 <= grams <= MAX_ESTIMATE_GRAMS
    ):
        raise FormError(N_("a piece weighs between 0.001 and 100 kg, e.g. about 0.5 kg"))
    return int(grams)


def parse_item(text: str, currency: str) -> Item:
    """One item line that has no variants (see `parse_item_line`)."""
    items = parse_item_line(text, currency)
    if len(items) > 1:
        raise FormError(N_("write one item without variants here"))
    return items[0]


def parse_item_line(text: str, currency: str) -> list[Item]:
    """`Honey 1 kg | 12.50 | pack 6 | max 10`, tiers as `12.50; 11.90 from 60`; an item with
    variants (`| variants S, M, L`, or `| row S, M, L` sold in full rows) is a line per
    variant; one sold by weight is priced per kg with what a piece weighs (`18.00 per kg |
    about 0.5 kg`)."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) < 2 or not parts[0]:
        raise FormError(N_("write an item as: name | price, e.g. Honey 1 kg | 12.50 | pack 6"))
    name = parse_text(parts[0], "title")
    price_parts = [p.strip() for p in parts[1].split(";") if p.strip()]
    if not price_parts:
        raise FormError(N_("give the item a price, e.g. 12.50"))
    per_kg = PER_KG.fullmatch(price_parts[0])
    price = _money(per_kg[1] if per_kg else price_parts[0], currency)
    tiers = []
    for tier_text in price_parts[1:]:
        match = re.fullmatch(r"(\S+)\s+(?:from|от|起)\s+(\S+)", tier_text, re.IGNORECASE)
        if not match:
            raise FormError(
                N_('write a price tier as: 11.90 from 60 (not "{text}")'), text=tier_text
            )
        tiers.append(
            PriceTier(_whole(match[2], Term(N_("a tier threshold")), 2), _money(match[1], currency))
        )
    options: dict[str, int] = {}
    variants: list[tuple[str, int | None]] = []
    in_rows = False
    estimate: int | None = None
    swaps = False
    for option in parts[2:]:
        if " ".join(option.lower().split()) in SWAP_WORDS:
            swaps = True
            continue
        listed = _variant_option(option)
        if listed is not None:
            if variants:
                raise FormError(N_("give the variants once"))
            in_rows, variants = listed[0], _variants(*listed)
            continue
        weighs = ESTIMATE.fullmatch(option)
        if weighs is not None:
            estimate = _estimate_grams(weighs)
            continue
        # "pack 6", "每箱6个"; else "pack six" still names the option its number is wrong for.
        match = ITEM_OPTION.fullmatch(option) or re.fullmatch(r"(\S+)\s+(\S+)", option)
        key = match[1].strip().lower() if match else ""
        key = ITEM_OPTION_ALIASES.get(key, key)
        if not match or key not in ITEM_OPTIONS:
            raise FormError(
                N_(
                    'unknown item option "{option}"; use pack N, min N, max N, stock N, moq N, '
                    "variants A, B, row A, B, swap or about 0.5 kg"
                ),
                option=option,
            )
        options[ITEM_OPTIONS[key]] = _whole(match[2], key)
    if per_kg and estimate is None:
        raise FormError(N_("say about what a piece weighs, e.g. | about 0.5 kg"))
    if estimate is not None and not per_kg:
        raise FormError(N_("a weight estimate is for an item priced per kg, e.g. 18.00 per kg"))
    item = Item(
        item_id=0,
        name=name,
        unit_price=price,
        tiers=tuple(tiers),
        pack_size=options.get("pack_size", 1),
        member_min=options.get("member_min"),
        member_max=options.get("member_max"),
        stock=options.get("stock"),
        moq_units=options.get("moq_units"),
        in_rows=in_rows,
        swaps=swaps,
        estimate_grams=estimate,
    )
    try:
        item.validate()
    except InvalidPurchase as error:
        raise FormError(error.message, **error.values) from None
    made = [
        replace(item, variant=name, stock=item.stock if stock is None else stock)
        for name, stock in variants
    ]
    for variant in made:
        try:
            variant.validate()
        except InvalidPurchase as error:
            raise FormError(error.message, **error.values) from None
    return made or [item]


def parse_moq(text: str, currency: str) -> Moq:
    """`30 units` or `500 EUR` (or just `30`)."""
    value = text.strip()
    units = re.fullmatch(r"(\d+)\s*(units?|pcs|шт\.?|штук|件|个)?", value, re.IGNORECASE)
    if units:
        return Moq(units=_whole(units[1], THE_MINIMUM_ORDER))
    money = re.fullmatch(r"([\d.,]+)\s*([A-Za-z]{3})", value)
    if money:
        if money[2].upper() != currency:
            raise FormError(
                N_("the minimum order must be in {currency}, the community's currency"),
                currency=currency,
            )
        return Moq(money=_money(money[1], currency, THE_MINIMUM_ORDER))
    raise FormError(N_("write the minimum order as 30 units or 500 {currency}"), currency=currency)


DATE_FORMATS = ("%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M")


@dataclass(frozen=True)
class Examples:
    """Dates for the examples a head reads, from today in the community's timezone (an example
    in the past would be refused if typed)."""

    deadline: str  # in three days, 18:00
    deadline_dotted: str  # the same, as 25.11.2026 18:00
    pay_by: str  # in four days, 20:00
    pickup: str  # in five days, 10:00-12:00

    @classmethod
    def of(cls, timezone: str, now: datetime, after: datetime | None = None) -> Examples:
        """`after`: the deadline the head entered; the pay-by and pickup examples follow it
        (a day and two days later), as they must to be taken."""
        today = now.astimezone(ZoneInfo(timezone))
        deadline = (today + timedelta(days=3)).replace(hour=18, minute=0)
        base = deadline if after is None else max(deadline, after.astimezone(ZoneInfo(timezone)))
        pay_by = (base + timedelta(days=1)).replace(hour=20, minute=0)
        pickup = base + timedelta(days=2)
        return cls(
            deadline=f"{deadline:%Y-%m-%d %H:%M}",
            deadline_dotted=f"{deadline:%d.%m.%Y %H:%M}",
            pay_by=f"{pay_by:%Y-%m-%d %H:%M}",
            pickup=f"{pickup:%Y-%m-%d} 10:00-12:00",
        )


def _local_instant(text: str, timezone: str, now: datetime) -> datetime:
    for pattern in DATE_FORMATS:
        try:
            naive = datetime.strptime(text.strip(), pattern)  # noqa: DTZ007 -- zone set below
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    example = Examples.of(timezone, now)
    raise FormError(
        N_("write the date and time as {example} (or {dotted})"),
        example=example.deadline,
        dotted=example.deadline_dotted,
    )


def parse_deadline(text: str, timezone: str, now: datetime) -> datetime:
    """A local date and time in the community's timezone, in the future."""
    instant = _local_instant(text, timezone, now)
    if instant <= now:
        raise FormError(N_("the deadline is in the past; give a later date and time"))
    if instant > now + timedelta(days=366):
        raise FormError(N_("the deadline is more than a year away"))
    return instant


def parse_pay_by(text: str, timezone: str, now: datetime) -> datetime:
    """By when members of a prepaid purchase pay: a local date and time, in the future."""
    instant = _local_instant(text, timezone, now)
    if instant <= now:
        raise FormError(N_("the pay-by time is in the past; give a later date and time"))
    if instant > now + timedelta(days=400):
        raise FormError(N_("the pay-by time is more than a year away"))
    return instant


# "20", "20 people", "up to 20", "до 20 человек", "限20人": one number among words.
CAPACITY = re.compile(r"\D*?(\d{1,6})\D*")


def parse_pickup(text: str, timezone: str, now: datetime) -> PickupSlot:
    """`2026-11-27 10:00-12:00 | Community hall, 5 Main St`, and optionally `| 20`: at most
    twenty members choose this slot."""
    when, place, *rest = [part.strip() for part in text.split("|")] + [""]
    match = re.fullmatch(r"(.+?)\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})", when)
    if not match or not place or len(rest) > 2:
        raise _pickup_format(timezone, now)
    starts = _local_instant(f"{match[1]} {match[2]}", timezone, now)
    ends = _local_instant(f"{match[1]} {match[3]}", timezone, now)
    capacity = None
    if rest[0]:
        found = CAPACITY.fullmatch(rest[0])
        if found is None or int(found[1]) < 1:
            raise FormError(
                N_("write how many members the slot takes at most as a number, e.g. | 20")
            )
        capacity = int(found[1])
    try:
        return PickupSlot(parse_text(place, "title"), starts, ends, capacity)
    except InvalidPurchase as error:
        raise FormError(error.message, **error.values) from None


def _pickup_format(timezone: str, now: datetime) -> FormError:
    return FormError(
        N_("write the pickup as: {example} | place"), example=Examples.of(timezone, now).pickup
    )


def parse_pickups(text: str, timezone: str, now: datetime) -> list[PickupSlot]:
    """Pickup slots, one per line (the wizard's answer, the head's /arrived)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise _pickup_format(timezone, now)
    slots: list[PickupSlot] = []
    for number, line in enumerate(lines, 1):
        try:
            slots.append(parse_pickup(line, timezone, now))
        except FormError as error:
            if len(lines) == 1:
                raise
            raise FormError(N_("slot {number}: {reason}"), number=number, reason=error) from None
    return slots


def parse_fee(text: str) -> Decimal:
    value = text.strip().removesuffix("%").strip().replace(",", ".")
    try:
        fee = Decimal(value)
    except InvalidOperation:
        raise FormError(N_("write the fee as a percentage, e.g. 5%")) from None
    if not fee.is_finite() or fee < 0 or fee.as_tuple().exponent < -2:  # type: ignore[operator]
        raise FormError(N_("write the fee as a percentage, e.g. 5% or 2.5%"))
    return fee


SPLITS = {
    "by amount": DeliverySplit.BY_AMOUNT, "per unit": DeliverySplit.PER_UNIT,
    "per member": DeliverySplit.PER_MEMBER, "evenly": DeliverySplit.PER_MEMBER,
    "по сумме": DeliverySplit.BY_AMOUNT, "по штукам": DeliverySplit.PER_UNIT,
    "за штуку": DeliverySplit.PER_UNIT, "поровну": DeliverySplit.PER_MEMBER,
    "на человека": DeliverySplit.PER_MEMBER,
    "按金额": DeliverySplit.BY_AMOUNT, "按件": DeliverySplit.PER_UNIT,
    "按人": DeliverySplit.PER_MEMBER, "按人头": DeliverySplit.PER_MEMBER,
    "平摊": DeliverySplit.PER_MEMBER, "均摊": DeliverySplit.PER_MEMBER,
}  # fmt: skip


# Around the split word: "split by amount", "разделить по сумме", "按件分摊".
SPLIT_FILLER = re.compile(r"^(?:split|разделить|делить)\s+|\s*(?:分摊|分担)$")


def parse_split(text: str) -> DeliverySplit:
    value = SPLIT_FILLER.sub("", " ".join(text.lower().split()))
    split = SPLITS.get(value or "by amount")
    if split is None:
        raise FormError(N_("split delivery by amount, per unit or per member"))
    return split


def parse_delivery(text: str, currency: str) -> tuple[Money | None, DeliverySplit]:
    """`20.00 split by amount` (or per unit, per member); `0` or `none` for no delivery cost."""
    value = " ".join(text.lower().split())
    if value in ("0", "none", "нет", "无"):
        return None, DeliverySplit.BY_AMOUNT
    match = re.fullmatch(r"([\d.,]+)\s*(\D*)", value)
    if not match:
        raise FormError(N_("write delivery as: 20.00 split by amount (or per unit, per member)"))
    return _money(match[1], currency, Term(N_("the delivery cost"))), parse_split(match[2])


def names_split(text: str) -> bool:
    """Whether a delivery answer said how to share the cost (the wizard asks, if not)."""
    return bool(re.search(r"[^\d.,\s]", text)) and not re.fullmatch(r"\s*(0|none|нет|无)\s*", text)


def parse_regions(text: str) -> tuple[str, ...]:
    regions = tuple(r.strip() for r in re.split(r"[,;]", parse_text(text, "regions")) if r.strip())
    if not regions:
        raise FormError(N_("name where you deliver, e.g. EU, or pickup only"))
    return regions


DURATION = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """`24h`, `2d`, `1d12h`, `90m`."""
    match = DURATION.fullmatch(text.strip().replace("д", "d").replace("ч", "h"))
    if not match or not any(match.groups()):
        raise FormError(N_("write a duration like 24h, 2d or 90m"))
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(minutes=1) <= duration <= timedelta(days=30):
        raise FormError(N_("extend by between 1 minute and 30 days"))
    return duration


def parse_if_short(text: str) -> tuple[ShortPolicy, timedelta | None]:
    """`fail`, `ask`, or `extend 24h`."""
    value = " ".join(text.lower().split())
    if value in ("fail", "cancel", "отменить", "отмена", "取消", "失败"):
        return ShortPolicy.FAIL, None
    if value in ("ask", "ask me", "спросить", "спросить меня", "问我", "询问"):
        return ShortPolicy.ASK, None
    for word in ("extend", "продлить", "延长"):
        if value.startswith(word):
            return ShortPolicy.EXTEND, parse_duration(value.removeprefix(word))
    raise FormError(N_("write fail, ask, or extend 24h"))


def parse_payment(text: str) -> PaymentMode:
    value = text.strip().lower()
    if value in ("prepay", "предоплата", "预付"):
        return PaymentMode.PREPAY
    if value in ("postpay", "постоплата", "到付"):
        return PaymentMode.POSTPAY
    raise FormError(N_("write prepay or postpay"))
