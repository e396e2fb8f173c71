"""The fields a head types to open a purchase: one parser and validator for the step-by-step
wizard and for the one-message template.

Each `parse_*` function takes what a person typed for one field and returns the value, or
raises FormError saying what is wrong and what is expected. `parse_template` reads the whole
template and names the line of the first problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from domain.errors import N_, DomainError, InvalidPurchase, Term
from domain.money import InvalidAmount, Money
from domain.purchase import (
    DeliverySplit,
    Item,
    Moq,
    PaymentMode,
    PickupSlot,
    PriceTier,
    Purchase,
    ShortPolicy,
    numbered_slots,
)

MAX_TEMPLATE_LENGTH = 8000
MAX_FIELD_LENGTH = {
    "title": 120, "description": 2000, "supplier": 120, "regions": 200, "pay_to": 500,
}  # fmt: skip


class FormError(DomainError):
    """What a person typed for a field is not valid; the message says what is expected."""


THE_PRICE = Term(N_("the price"))
THE_MINIMUM_ORDER = Term(N_("the minimum order"))


@dataclass
class PurchaseForm:
    """A purchase as it is being filled in; `to_purchase` makes the draft aggregate."""

    title: str = ""
    description: str = ""
    supplier: str = ""
    # Items as parsed, numbered 0; `to_purchase` numbers them 1, 2, 3... in order.
    items: list[Item] = field(default_factory=list)
    moq: Moq | None = None
    deadline: datetime | None = None
    # One per `Pickup:` line (a point with two windows is two lines); numbered by the purchase.
    pickups: list[PickupSlot] = field(default_factory=list)
    fee_percent: Decimal = Decimal(0)
    delivery_cost: Money | None = None
    delivery_split: DeliverySplit = DeliverySplit.BY_AMOUNT
    regions: tuple[str, ...] = ()
    short_policy: ShortPolicy = ShortPolicy.FAIL
    extend_by: timedelta | None = None
    payment_mode: PaymentMode = PaymentMode.PREPAY
    pay_to: str = ""
    pay_by: datetime | None = None

    def to_purchase(
        self, community_id: int, head_id: int, currency: str, now: datetime, max_fee: Decimal
    ) -> Purchase:
        """The draft purchase, validated as a whole (deadline before pickup, fee cap...)."""
        if not self.title:
            raise FormError(N_("the purchase needs a title"))
        if not self.items:
            raise FormError(N_("add at least one item"))
        if self.deadline is None:
            raise FormError(N_("the purchase needs a deadline"))
        purchase = Purchase(
            community_id=community_id,
            head_id=head_id,
            title=self.title,
            description=self.description,
            supplier=self.supplier,
            currency=currency,
            items=[replace(item, item_id=number) for number, item in enumerate(self.items, 1)],
            deadline=self.deadline,
            created_at=now,
            moq=self.moq,
            pickup_slots=numbered_slots([], self.pickups),
            fee_percent=self.fee_percent,
            delivery_cost=self.delivery_cost,
            delivery_split=self.delivery_split,
            regions=self.regions,
            payment_mode=self.payment_mode,
            short_policy=self.short_policy,
            extend_by=self.extend_by,
            pay_to=self.pay_to,
            pay_by=self.pay_by,
        )
        try:
            purchase.validate(now, max_fee)
        except InvalidPurchase as error:
            raise FormError(error.message, **error.values) from None
        return purchase

    def check_so_far(self, currency: str, now: datetime, max_fee: Decimal) -> None:
        """What the wizard asks after each answer: every rule the whole purchase must meet,
        on what is filled in so far (the fee cap at the fee, the pickup after the deadline at
        the pickup), by the same validator the template goes through. What is not given yet
        stands in as something that meets the rules."""
        deadline = self.deadline or now + timedelta(minutes=1)
        stand_in = replace(
            self,
            title=self.title or "-",
            items=self.items or [Item(0, "-", Money(1, currency))],
            deadline=deadline,
            pickups=self.pickups or [],
            pay_by=self.pay_by if self.pay_by is None or self.deadline else None,
        )
        stand_in.to_purchase(0, 0, currency, now, max_fee)


# --- single fields ---------------------------------------------------------------------------


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


def parse_item(text: str, currency: str) -> Item:
    """`Honey 1 kg | 12.50 | pack 6 | max 10`, tiers as `12.50; 11.90 from 60`."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) < 2 or not parts[0]:
        raise FormError(N_("write an item as: name | price, e.g. Honey 1 kg | 12.50 | pack 6"))
    name = parse_text(parts[0], "title")
    price_parts = [p.strip() for p in parts[1].split(";") if p.strip()]
    if not price_parts:
        raise FormError(N_("give the item a price, e.g. 12.50"))
    price = _money(price_parts[0], currency)
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
    for option in parts[2:]:
        # "pack 6", "每箱6个"; else "pack six" still names the option its number is wrong for.
        match = ITEM_OPTION.fullmatch(option) or re.fullmatch(r"(\S+)\s+(\S+)", option)
        key = match[1].strip().lower() if match else ""
        key = ITEM_OPTION_ALIASES.get(key, key)
        if not match or key not in ITEM_OPTIONS:
            raise FormError(
                N_('unknown item option "{option}"; use pack N, min N, max N, stock N or moq N'),
                option=option,
            )
        options[ITEM_OPTIONS[key]] = _whole(match[2], key)
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
    )
    try:
        item.validate()
    except InvalidPurchase as error:
        raise FormError(error.message, **error.values) from None
    return item


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
    def of(cls, timezone: str, now: datetime) -> Examples:
        today = now.astimezone(ZoneInfo(timezone))
        deadline = (today + timedelta(days=3)).replace(hour=18, minute=0)
        pay_by = (today + timedelta(days=4)).replace(hour=20, minute=0)
        pickup = today + timedelta(days=5)
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


# --- the whole template ----------------------------------------------------------------------

KEYS = {
    "title": "title", "название": "title", "标题": "title",
    "description": "description", "описание": "description", "描述": "description",
    "介绍": "description",
    "supplier": "supplier", "поставщик": "supplier", "供应商": "supplier",
    "item": "item", "товар": "item", "позиция": "item", "商品": "item",
    "min order": "moq", "минимальный заказ": "moq", "мин. заказ": "moq", "起订量": "moq",
    "deadline": "deadline", "стоп": "deadline", "срок": "deadline", "截止": "deadline",
    "截单": "deadline", "截单时间": "deadline",
    "pickup": "pickup", "выдача": "pickup", "取货": "pickup",
    "fee": "fee", "орг. сбор": "fee", "оргсбор": "fee", "комиссия": "fee", "服务费": "fee",
    "delivery": "delivery", "доставка": "delivery", "运费": "delivery",
    "regions": "regions", "регионы": "regions", "地区": "regions",
    "if short": "if short", "если не набрали": "if short", "未成团": "if short",
    "payment": "payment", "оплата": "payment", "付款": "payment",
    "pay to": "pay to", "оплата на": "pay to", "реквизиты": "pay to", "куда платить": "pay to",
    "收款": "pay to", "收款方式": "pay to",
    "pay by": "pay by", "оплатить до": "pay by", "срок оплаты": "pay by", "付款截止": "pay by",
}  # fmt: skip


@dataclass(frozen=True)
class TemplateContext:
    currency: str
    timezone: str
    now: datetime


# Keys a template may give on several lines: one item, one pickup slot per line.
REPEATABLE = ("item", "pickup")


def _key_values(text: str, first_line: int) -> Iterator[tuple[int, str, str, str]]:
    """(line number, key, the key as typed, value) for each `Key: value` line; the lines are
    numbered as the person sees them in their message, whose line `first_line` the text
    starts on (the `/new` line above it counts)."""
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise FormError(
            N_("the message is longer than {limit} characters"), limit=MAX_TEMPLATE_LENGTH
        )
    seen: set[str] = set()
    for number, raw_line in enumerate(text.splitlines(), first_line):
        line = raw_line.strip()
        if not line:
            continue
        key_text, colon, value = line.replace("：", ":").partition(":")
        key = KEYS.get(" ".join(key_text.lower().split()))
        if not colon or key is None:
            raise FormError(
                N_('line {number}: "{key}" is not a known key'),
                number=number,
                key=key_text.strip()[:40],
            )
        if key not in REPEATABLE and key in seen:
            raise FormError(
                N_("line {number}: {key} is given twice"), number=number, key=key_text.strip()
            )
        seen.add(key)
        yield number, key, key_text.strip(), value.strip()


def _in_line(number: int, key_text: str, error: FormError) -> FormError:
    return FormError(
        N_("line {number} ({key}): {reason}"), number=number, key=key_text, reason=error
    )


def parse_template(text: str, context: TemplateContext, first_line: int = 1) -> PurchaseForm:
    """Read `Key: value` lines (keys in English, Russian or Chinese, any case)."""
    form = PurchaseForm()
    seen: set[str] = set()
    for number, key, key_text, value in _key_values(text, first_line):
        seen.add(key)
        try:
            _apply(form, key, value, context)
        except FormError as error:
            raise _in_line(number, key_text, error) from None
    for key, name in (("title", N_("Title")), ("item", N_("Item")), ("deadline", N_("Deadline"))):
        if key not in seen:
            raise FormError(N_("the {key}: line is missing"), key=Term(name))
    return form


# What can change once members may have joined: the rest (fee, minimum, delivery, payment...)
# are what people joined for.
EDITABLE = ("title", "description", "deadline", "pickup", "item", "pay to", "pay by")


@dataclass
class PurchaseEdit:
    title: str | None = None
    description: str | None = None
    deadline: datetime | None = None
    pickups: list[PickupSlot] | None = None
    items: list[Item] = field(default_factory=list)
    pay_to: str | None = None
    pay_by: datetime | None = None


def parse_edit(text: str, context: TemplateContext, first_line: int = 1) -> PurchaseEdit:
    """The `Key: value` lines of an edit: only the keys of EDITABLE."""
    edit = PurchaseEdit()
    for number, key, key_text, value in _key_values(text, first_line):
        if key in ("pay to", "pay by") and not value:
            continue  # the form shows them empty when there are none yet: nothing to change
        if key not in EDITABLE:
            raise FormError(
                N_("line {number}: {key} cannot change once the purchase is open"),
                number=number,
                key=key_text,
            )
        form = PurchaseForm()
        try:
            _apply(form, key, value, context)
        except FormError as error:
            raise _in_line(number, key_text, error) from None
        if key == "title":
            edit.title = form.title
        elif key == "description":
            edit.description = form.description
        elif key == "deadline":
            edit.deadline = form.deadline
        elif key == "pickup":
            edit.pickups = (edit.pickups or []) + form.pickups
        elif key == "pay to":
            edit.pay_to = form.pay_to
        elif key == "pay by":
            edit.pay_by = form.pay_by
        else:
            edit.items.extend(form.items)
    if edit == PurchaseEdit():
        raise FormError(N_("write at least one line to change, e.g. Title: Walnuts"))
    return edit


def slot_template(slot: PickupSlot, timezone: str) -> str:
    """A pickup slot as a `Pickup:` line writes it (local time), for a head to copy and change."""
    zone = ZoneInfo(timezone)
    starts, ends = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    parts = [f"{starts:%Y-%m-%d %H:%M}-{ends:%H:%M}", slot.place]
    if slot.capacity is not None:
        parts.append(str(slot.capacity))
    return " | ".join(parts)


def item_template(item: Item) -> str:
    """An item as the template writes it, for a head to copy and change."""
    prices = "; ".join(
        [str(item.unit_price.amount)]
        + [f"{tier.unit_price.amount} from {tier.min_units}" for tier in item.tiers]
    )
    options = [
        f"{name} {value}"
        for name, value in (
            ("pack", item.pack_size if item.pack_size > 1 else None),
            ("min", item.member_min),
            ("max", item.member_max),
            ("stock", item.stock),
            ("moq", item.moq_units),
        )
        if value is not None
    ]
    return " | ".join([item.name, prices, *options])


def _apply(form: PurchaseForm, key: str, value: str, context: TemplateContext) -> None:
    if key == "title":
        form.title = parse_text(value, "title")
    elif key == "description":
        form.description = parse_text(value, "description", required=False)
    elif key == "supplier":
        form.supplier = parse_text(value, "supplier", required=False)
    elif key == "item":
        form.items.append(parse_item(value, context.currency))
    elif key == "moq":
        form.moq = parse_moq(value, context.currency)
    elif key == "deadline":
        form.deadline = parse_deadline(value, context.timezone, context.now)
    elif key == "pickup":
        form.pickups.append(parse_pickup(value, context.timezone, context.now))
    elif key == "fee":
        form.fee_percent = parse_fee(value)
    elif key == "delivery":
        form.delivery_cost, form.delivery_split = parse_delivery(value, context.currency)
    elif key == "regions":
        form.regions = parse_regions(value)
    elif key == "if short":
        form.short_policy, form.extend_by = parse_if_short(value)
    elif key == "pay to":
        form.pay_to = parse_text(value, "pay_to")
    elif key == "pay by":
        form.pay_by = parse_pay_by(value, context.timezone, context.now)
    else:
        form.payment_mode = parse_payment(value)
