"""The fields a head types to open a purchase, one by one: each `parse_*` function takes
what a person typed for one field and returns the value, or raises FormError saying what is
wrong and what is expected (in the words of each language: "pack 6", "упаковка 6", "每箱6").
The wizard asks them one at a time; the template (`domain.purchase_form`) reads them all.
Item lines, the longest of them, are read in `domain.item_line`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from domain.errors import N_, InvalidPurchase, Term
from domain.errors import FormError as FormError  # the forms' error, where it always was
from domain.money import InvalidAmount, Money
from domain.purchase import (
    DeliverySplit,
    Moq,
    PaymentMode,
    PickupSlot,
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


def parse_whole(text: str, what: str, minimum: int = 1) -> int:
    """`what` is a Term, or an option keyword the person typed (shown as typed)."""
    if not re.fullmatch(r"\d{1,7}", text.strip()):
        raise FormError(N_("{what} must be a whole number, e.g. 6"), what=what)
    number = int(text)
    if number < minimum:
        raise FormError(N_("{what} must be at least {minimum}"), what=what, minimum=minimum)
    return number


def parse_amount(text: str, currency: str, what: Term = THE_PRICE) -> Money:
    """An amount above zero in `currency`; `what` names the field in the error."""
    try:
        amount = Money.parse(text.strip(), currency)
    except InvalidAmount as error:
        raise FormError(
            N_("{what}: {reason}; write it like 12.50"), what=what, reason=error
        ) from None
    if amount.minor <= 0:
        raise FormError(N_("{what} must be more than zero"), what=what)
    return amount


def parse_moq(text: str, currency: str) -> Moq:
    """`30 units` or `500 EUR` (or just `30`)."""
    value = text.strip()
    units = re.fullmatch(r"(\d+)\s*(units?|pcs|шт\.?|штук|件|个)?", value, re.IGNORECASE)
    if units:
        return Moq(units=parse_whole(units[1], THE_MINIMUM_ORDER))
    money = re.fullmatch(r"([\d.,]+)\s*([A-Za-z]{3})", value)
    if money:
        if money[2].upper() != currency:
            raise FormError(
                N_("the minimum order must be in {currency}, the community's currency"),
                currency=currency,
            )
        return Moq(money=parse_amount(money[1], currency, THE_MINIMUM_ORDER))
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
    return parse_amount(match[1], currency, Term(N_("the delivery cost"))), parse_split(match[2])


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
