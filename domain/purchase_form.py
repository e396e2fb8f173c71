"""The purchase a head types: the form the wizard fills step by step and the one-message
template (and the edit form) read at once, with the same validators (`domain.form_fields`).
`parse_template` reads the whole template and names the line of the first problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from domain.errors import N_, InvalidPurchase, Term
from domain.form_fields import (
    FormError,
    parse_deadline,
    parse_delivery,
    parse_fee,
    parse_if_short,
    parse_moq,
    parse_pay_by,
    parse_payment,
    parse_pickup,
    parse_regions,
    parse_text,
)
from domain.item_identity import ensure_new
from domain.item_line import parse_item_line
from domain.membership import WHO_CAN_JOIN_KEYS, parse_who_can_join
from domain.money import Money
from domain.purchase import (
    DeliverySplit,
    Item,
    Moq,
    PaymentMode,
    PickupSlot,
    Purchase,
    ShortPolicy,
    numbered_slots,
)

MAX_TEMPLATE_LENGTH = 8000


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
    # A Telegram file id: the purchase's photo (its items' are on them).
    photo: str = ""
    open_to_link: bool = False

    def add_items(self, items: list[Item]) -> None:
        """One item line's items; its variants are a group named by the first one's number
        (items are numbered by their place). An item listed already is refused, naming it."""
        ensure_new(self.items, items)
        first = len(self.items) + 1
        self.items.extend(replace(item, group=first) if item.variant else item for item in items)

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
            photo=self.photo,
            open_to_link=self.open_to_link,
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
    "photo": "photo", "фото": "photo", "图片": "photo", "照片": "photo",
    **WHO_CAN_JOIN_KEYS,
}  # fmt: skip


@dataclass(frozen=True)
class TemplateContext:
    currency: str
    timezone: str
    now: datetime


# Keys a template may give on several lines: one item, one pickup slot per line.
REPEATABLE = ("item", "pickup")


def key_values(
    text: str,
    first_line: int,
    keys: dict[str, str] = KEYS,
    repeatable: tuple[str, ...] = REPEATABLE,
) -> Iterator[tuple[int, str, str, str]]:
    """(line number, key, the key as typed, value) for each `Key: value` line; the lines are
    numbered as the person sees them in their message, whose line `first_line` the text
    starts on (the `/new` line above it counts). `keys` maps what may be typed to the key."""
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
        key = keys.get(" ".join(key_text.lower().split()))
        if not colon or key is None:
            raise FormError(
                N_('line {number}: "{key}" is not a known key'),
                number=number,
                key=key_text.strip()[:40],
            )
        if key not in repeatable and key in seen:
            raise FormError(
                N_("line {number}: {key} is given twice"), number=number, key=key_text.strip()
            )
        seen.add(key)
        yield number, key, key_text.strip(), value.strip()


def in_line(number: int, key_text: str, error: FormError) -> FormError:
    return FormError(
        N_("line {number} ({key}): {reason}"), number=number, key=key_text, reason=error
    )


def parse_template(text: str, context: TemplateContext, first_line: int = 1) -> PurchaseForm:
    """Read `Key: value` lines (keys in English, Russian or Chinese, any case)."""
    form = PurchaseForm()
    seen: set[str] = set()
    for number, key, key_text, value in key_values(text, first_line):
        seen.add(key)
        try:
            _apply(form, key, value, context)
        except FormError as error:
            raise in_line(number, key_text, error) from None
    for key, name in (("title", N_("Title")), ("item", N_("Item")), ("deadline", N_("Deadline"))):
        if key not in seen:
            raise FormError(N_("the {key}: line is missing"), key=Term(name))
    return form


# What can change once members may have joined: the rest (fee, minimum, delivery, payment...)
# are what people joined for.
EDITABLE = ("title", "description", "deadline", "pickup", "item", "pay to", "pay by", "photo")


@dataclass
class PurchaseEdit:
    title: str | None = None
    description: str | None = None
    deadline: datetime | None = None
    pickups: list[PickupSlot] | None = None
    items: list[Item] = field(default_factory=list)
    pay_to: str | None = None
    pay_by: datetime | None = None
    # "Photo: Honey" under a photo's caption: whose photo it is (empty: the purchase's); the
    # file id comes with the message (`with_photo`).
    photo_of: str | None = None
    photo: tuple[str, str] | None = None  # (whose, file id)

    def with_photo(self, file_id: str) -> PurchaseEdit:
        return replace(self, photo=(self.photo_of or "", file_id))


def parse_edit(text: str, context: TemplateContext, first_line: int = 1) -> PurchaseEdit:
    """The `Key: value` lines of an edit: only the keys of EDITABLE."""
    edit = PurchaseEdit()
    for number, key, key_text, value in key_values(text, first_line):
        if key == "photo":
            edit.photo_of = " ".join(value.split())
            continue
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
            raise in_line(number, key_text, error) from None
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
            try:
                ensure_new(edit.items, form.items)
            except FormError as error:
                raise in_line(number, key_text, error) from None
            edit.items.extend(form.items)
    if edit == PurchaseEdit(photo_of=edit.photo_of) and edit.photo_of is None:
        raise FormError(N_("write at least one line to change, e.g. Title: Walnuts"))
    return edit


def _apply(form: PurchaseForm, key: str, value: str, context: TemplateContext) -> None:
    if key == "title":
        form.title = parse_text(value, "title")
    elif key == "description":
        form.description = parse_text(value, "description", required=False)
    elif key == "supplier":
        form.supplier = parse_text(value, "supplier", required=False)
    elif key == "item":
        form.add_items(parse_item_line(value, context.currency))
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
    elif key == "who can join":
        form.open_to_link = parse_who_can_join(value)
    elif key == "pay by":
        form.pay_by = parse_pay_by(value, context.timezone, context.now)
    else:
        form.payment_mode = parse_payment(value)
