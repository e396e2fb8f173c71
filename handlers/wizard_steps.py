"""The wizard's steps: which questions a head is asked in which order, the buttons of each
(their prompts are in wizard_prompts.py), how an answer is read (with the template's own
validators) and what the wizard keeps between messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain import form_fields as fields
from domain.campaign import Campaign
from domain.community import Community
from domain.errors import N_, InvalidPurchase
from domain.item_line import parse_item_line
from domain.purchase import PaymentMode, Purchase
from domain.purchase_form import PurchaseForm, TemplateContext, parse_template
from texts.callback_data import Action, encode
from texts.i18n import Translator
from texts.notices import how_to_pay

WIZARD = "wizard"  # the conversation's kind while a head is in it


DONE = "done"  # after it: only which community they opened a purchase in last


class Step(IntEnum):
    TITLE = 0
    DESCRIPTION = 1
    SUPPLIER = 2
    ITEMS = 3
    MOQ = 4
    DEADLINE = 5
    PICKUP = 6
    FEE = 7
    DELIVERY = 8
    REGIONS = 9
    IF_SHORT = 10
    PAYMENT = 11
    PAY_TO = 12
    PAY_BY = 13
    PREVIEW = 14
    # After DELIVERY when the cost came without how to share it (numbered last: saved
    # wizards keep their step numbers).
    DELIVERY_SPLIT = 15
    # Not questions: a photo the head sent at any step, kept as an answer (its file id, and
    # for an item's photo the item line of its caption below it).
    PHOTO = 16
    ITEM_PHOTO = 17


OPTIONAL = {Step.DESCRIPTION, Step.SUPPLIER, Step.MOQ, Step.PICKUP, Step.FEE, Step.DELIVERY,
            Step.REGIONS, Step.IF_SHORT, Step.PAY_TO, Step.PAY_BY}  # fmt: skip


@dataclass
class Wizard:
    """One head's purchase in the making: where they are, and what they answered so far."""

    community: Community
    step: Step = Step.TITLE
    editing: bool = False
    # The payment details of the head's last purchase, offered again as a button.
    last_pay_to: str = ""
    # The pasted template the form started from, if any; then each answer in order: (step,
    # text), or (ITEMS, None) where the items were entered again from scratch.
    template: str = ""
    answers: list[tuple[Step, str | None]] = field(default_factory=list)
    form: PurchaseForm = field(default_factory=PurchaseForm)
    # The head's saved price lists (id, supplier) offered at the items question; not kept.
    price_lists: list[tuple[int, str]] = field(default_factory=list)
    # The platform campaign the purchase sells, when the head adopted one (`domain.campaign`):
    # its rules are checked at each answer, as the purchase's own are.
    campaign: Campaign | None = None

    @property
    def campaign_id(self) -> int | None:
        return None if self.campaign is None else self.campaign.id

    def context(self, now: datetime) -> TemplateContext:
        return TemplateContext(self.community.currency, self.community.timezone, now)

    def answer(self, step: Step, text: str, now: datetime, max_fee: Decimal) -> None:
        """Take an answer: parsed into the form and checked with what was answered before
        against every rule of a purchase (fields.FormError, and nothing changes, when it is not
        right), then kept."""
        trial = replace(self.form, items=list(self.form.items), pickups=list(self.form.pickups))
        apply_answer(trial, step, text, self.context(now))
        trial.check_so_far(self.community.currency, now, max_fee)
        if self.campaign is not None:
            try:
                self.campaign.check_part(
                    trial.items, trial.deadline, trial.moq, trial.short_policy, whole=False
                )
            except InvalidPurchase as error:
                raise fields.FormError(error.message, **error.values) from None
        self.form = trial
        self.answers.append((step, text))

    def check_items_done(self) -> None:
        """Done with items: a campaign's purchase has all of the campaign's items (each was
        checked as typed); else FormError naming the ones still to add, and nothing changes."""
        if self.campaign is not None:
            try:
                self.campaign.check_all_items(self.form.items)
            except InvalidPurchase as error:
                raise fields.FormError(error.message, **error.values) from None

    def items_again(self) -> None:
        self.form.items.clear()
        self.answers.append((Step.ITEMS, None))

    def state(self) -> dict[str, Any]:
        return {
            "community_id": self.community.chat_id,
            "step": int(self.step),
            "editing": self.editing,
            "last_pay_to": self.last_pay_to,
            "template": self.template,
            "answers": [[int(step), text] for step, text in self.answers],
            "campaign_id": self.campaign_id,
            # Switched in the preview, or as the template said: kept as it stands now.
            "open_to_link": self.form.open_to_link,
        }

    @classmethod
    def restored(
        cls,
        state: dict[str, Any],
        community: Community,
        now: datetime,
        max_fee: Decimal,
        campaign: Campaign | None = None,
    ) -> Wizard:
        """The wizard as it was saved: its answers read again, in the order they came. An
        answer that no longer reads (a deadline that has passed meanwhile) is left out; the
        preview then says what is missing."""
        wizard = cls(
            community,
            Step(int(state["step"])),
            bool(state["editing"]),
            str(state["last_pay_to"]),
            str(state["template"]),
        )
        wizard.campaign = campaign  # loaded by the caller from the state's "campaign_id"
        context = wizard.context(now)
        if wizard.template:
            try:
                wizard.form = parse_template(wizard.template, context)
            except fields.FormError:
                wizard.form = PurchaseForm()
        for raw_step, text in state["answers"]:
            step = Step(int(raw_step))
            if text is None:
                wizard.items_again()
                continue
            try:
                wizard.answer(step, str(text), now, max_fee)
            except fields.FormError:
                continue
        wizard.form.open_to_link = bool(state.get("open_to_link", wizard.form.open_to_link))
        return wizard


def last_added(form: PurchaseForm) -> tuple[int, str]:
    """The item just added, as the head wrote it: its number among the items (an item with
    variants counts once) and its name, with its variants ("Jam: cherry, plum")."""
    last = form.items[-1]
    number = len({item.group or -index for index, item in enumerate(form.items, 1)})
    if not last.group:
        return number, last.label
    variants = [item.variant for item in form.items if item.group == last.group]
    return number, f"{last.name}: {', '.join(variants)}"


Parser = Callable[[PurchaseForm, str, TemplateContext], None]


def _set(name: str, parse: Callable[[str, TemplateContext], object]) -> Parser:
    def apply(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
        setattr(form, name, parse(text, ctx))

    return apply


def _delivery(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    form.delivery_cost, form.delivery_split = fields.parse_delivery(text, ctx.currency)


def _if_short(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    form.short_policy, form.extend_by = fields.parse_if_short(text)


def _item(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    form.add_items(parse_item_line(text, ctx.currency))


def _photo(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    form.photo = text


def _item_photo(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    """ "<file id>\n<item line>": the item (each of its variants) with its photo."""
    file_id, _, line = text.partition("\n")
    form.add_items([replace(item, photo=file_id) for item in parse_item_line(line, ctx.currency)])


def _pay_by(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    pay_by = fields.parse_pay_by(text, ctx.timezone, ctx.now)
    if form.deadline is not None and pay_by <= form.deadline:
        raise fields.FormError(N_("the pay-by time must come after the deadline"))
    form.pay_by = pay_by


PARSERS: dict[Step, Parser] = {
    Step.TITLE: _set("title", lambda text, _: fields.parse_text(text, "title")),
    Step.DESCRIPTION: _set("description", lambda text, _: fields.parse_text(text, "description")),
    Step.SUPPLIER: _set("supplier", lambda text, _: fields.parse_text(text, "supplier")),
    Step.ITEMS: _item,
    Step.MOQ: _set("moq", lambda text, ctx: fields.parse_moq(text, ctx.currency)),
    Step.DEADLINE: _set(
        "deadline", lambda text, ctx: fields.parse_deadline(text, ctx.timezone, ctx.now)
    ),
    Step.PICKUP: _set(
        "pickups", lambda text, ctx: fields.parse_pickups(text, ctx.timezone, ctx.now)
    ),
    Step.FEE: _set("fee_percent", lambda text, _: fields.parse_fee(text)),
    Step.DELIVERY: _delivery,
    Step.DELIVERY_SPLIT: _set("delivery_split", lambda text, _: fields.parse_split(text)),
    Step.REGIONS: _set("regions", lambda text, _: fields.parse_regions(text)),
    Step.IF_SHORT: _if_short,
    Step.PAYMENT: _set("payment_mode", lambda text, _: fields.parse_payment(text)),
    Step.PAY_TO: _set("pay_to", lambda text, _: fields.parse_text(text, "pay_to")),
    Step.PAY_BY: _pay_by,
    Step.PHOTO: _photo,
    Step.ITEM_PHOTO: _item_photo,
}


# The choices a step offers as buttons, with the value each stands for.
PAYMENT_CHOICES = (PaymentMode.PREPAY, PaymentMode.POSTPAY)


# As the head would type them: a button is an answer typed for them.
TYPED_CHOICES = {
    Step.IF_SHORT: ("fail", "ask", "extend 24h"),
    Step.DELIVERY_SPLIT: ("by amount", "per unit", "per member"),
}


def choice_labels(t: Translator, step: Step) -> tuple[str, ...]:
    if step is Step.IF_SHORT:
        return (t.gettext("Cancel the purchase"), t.gettext("Ask me"), t.gettext("Extend by 24 h"))
    return (t.gettext("By amount"), t.gettext("Per unit"), t.gettext("Per member"))


def payment_label(t: Translator, mode: PaymentMode) -> str:
    return t.gettext("Prepay") if mode is PaymentMode.PREPAY else t.gettext("Postpay")


def saved_point_answer(wizard: Wizard, now: datetime) -> str:
    """The pickup at the community's saved point (/point), on the example's day (after the
    deadline): offered as a button at the pickup question; "" without a saved point."""
    saved = wizard.community.pickup
    if saved is None:
        return ""
    example = fields.Examples.of(wizard.community.timezone, now, wizard.form.deadline)
    return f"{example.pickup} | {saved.address or saved.point}"


def step_keyboard(
    t: Translator, step: Step, wizard: Wizard, now: datetime | None = None
) -> InlineKeyboardMarkup | None:
    """The buttons of `step`'s question (`now`: to offer the saved pickup point's day)."""
    if step is Step.PAYMENT:
        return InlineKeyboardMarkup([[
            InlineKeyboardButton(
                payment_label(t, mode), callback_data=encode(Action.WIZARD_CHOICE, step, index)
            )
            for index, mode in enumerate(PAYMENT_CHOICES)
        ]])  # fmt: skip
    buttons = []
    if step in TYPED_CHOICES:
        buttons += [
            InlineKeyboardButton(label, callback_data=encode(Action.WIZARD_CHOICE, step, index))
            for index, label in enumerate(choice_labels(t, step))
        ]
    point = saved_point_answer(wizard, now) if now is not None else ""
    if step is Step.PICKUP and point:
        buttons.append(
            InlineKeyboardButton(
                "📍 " + point[:56], callback_data=encode(Action.WIZARD_CHOICE, step, 0)
            )
        )
    if step is Step.PAY_TO and wizard.last_pay_to:
        label = t.gettext("As last time: {details}").format(details=wizard.last_pay_to)
        buttons.append(
            InlineKeyboardButton(label[:60], callback_data=encode(Action.WIZARD_CHOICE, step, 0))
        )
    if step is Step.ITEMS:
        buttons += [
            InlineKeyboardButton(
                t.gettext("📋 Items of {supplier}").format(supplier=supplier)[:60],
                callback_data=encode(Action.WIZARD_PRICE_LIST, list_id),
            )
            for list_id, supplier in wizard.price_lists
        ]
    if step is Step.ITEMS and wizard.form.items:
        buttons.append(
            InlineKeyboardButton(
                t.gettext("Done with items"), callback_data=encode(Action.WIZARD_DONE, step)
            )
        )
    if step in OPTIONAL:
        buttons.append(
            InlineKeyboardButton(t.gettext("Skip"), callback_data=encode(Action.WIZARD_SKIP, step))
        )
    if len(buttons) > 2:  # one a row: the labels are sentences
        return InlineKeyboardMarkup([[button] for button in buttons])
    return InlineKeyboardMarkup([buttons]) if buttons else None


def apply_answer(form: PurchaseForm, step: Step, text: str, context: TemplateContext) -> None:
    PARSERS[step](form, text, context)
    if step is Step.PAYMENT and form.payment_mode is PaymentMode.POSTPAY:
        form.pay_by = None  # paid at pickup: no pay-by time


def step_after(wizard: Wizard, step: Step) -> Step:
    if step is Step.DELIVERY and wizard.form.delivery_cost is not None:
        typed = next((text for s, text in reversed(wizard.answers) if s is Step.DELIVERY), "")
        if not fields.names_split(typed or ""):
            return Step.DELIVERY_SPLIT  # a cost alone: ask how to share it, with buttons
    if wizard.editing:
        return Step.PREVIEW
    if step is Step.DELIVERY_SPLIT:
        return Step.REGIONS
    following = Step(step + 1)
    if following is Step.PAY_BY and wizard.form.payment_mode is PaymentMode.POSTPAY:
        return Step.PREVIEW  # a postpaid purchase is paid at pickup: no pay-by time
    return following


def is_current(wizard: Wizard, action: Action, args: tuple[int, ...]) -> bool:
    """Whether a wizard button belongs to the question the wizard is on now. Skip, Done and
    the choices carry the step they were shown for, so an old Skip never skips a later
    question."""
    step = wizard.step
    if action is Action.WIZARD_CANCEL:
        return True
    if action is Action.WIZARD_SKIP:
        return args[0] == step and step in OPTIONAL
    if action is Action.WIZARD_DONE:
        return args[0] == step and step is Step.ITEMS and bool(wizard.form.items)
    if action is Action.WIZARD_CHOICE:
        if args[0] != step:
            return False
        if step is Step.PAYMENT:
            return 0 <= args[1] < len(PAYMENT_CHOICES)
        if step in TYPED_CHOICES:
            return 0 <= args[1] < len(TYPED_CHOICES[step])
        if step is Step.PICKUP:
            return args[1] == 0 and wizard.community.pickup is not None
        return step is Step.PAY_TO and args[1] == 0 and bool(wizard.last_pay_to)
    if action is Action.WIZARD_FIELD:
        return step is Step.PREVIEW and 0 <= args[0] <= Step.PREVIEW  # PREVIEW: back to it
    if action is Action.WIZARD_PRICE_LIST:
        return step is Step.ITEMS  # whose list it is, the handler checks
    if action is Action.WIZARD_ACCESS:
        return step is Step.PREVIEW and args[0] in (0, 1)
    return step is Step.PREVIEW  # Edit and Publish


FIELD_LABELS = (Step.TITLE, Step.DESCRIPTION, Step.SUPPLIER, Step.ITEMS, Step.MOQ, Step.DEADLINE,
                Step.PICKUP, Step.FEE, Step.DELIVERY, Step.REGIONS, Step.IF_SHORT, Step.PAYMENT,
                Step.PAY_TO, Step.PAY_BY)  # fmt: skip


def field_label(t: Translator, step: Step) -> str:
    return {
        Step.TITLE: t.gettext("Title"),
        Step.DESCRIPTION: t.gettext("Description"),
        Step.SUPPLIER: t.gettext("Supplier"),
        Step.ITEMS: t.gettext("Items (enter again)"),
        Step.MOQ: t.gettext("Minimum order"),
        Step.DEADLINE: t.gettext("Deadline"),
        Step.PICKUP: t.gettext("Pickup"),
        Step.FEE: t.gettext("Fee"),
        Step.DELIVERY: t.gettext("Delivery"),
        Step.REGIONS: t.gettext("Regions"),
        Step.IF_SHORT: t.gettext("If short"),
        Step.PAYMENT: t.gettext("Payment"),
        Step.PAY_TO: t.gettext("Pay to"),
        Step.PAY_BY: t.gettext("Pay by"),
    }[step]


def payment_terms(t: Translator, purchase: Purchase) -> str:
    """For the head's preview: when members pay, and what they read privately about how."""
    when = (
        t.gettext("Prepay: members pay after the stop, before you order.")
        if purchase.payment_mode is PaymentMode.PREPAY
        else t.gettext("Postpay: members pay at pickup.")
    )
    return when + "\n" + how_to_pay(t, purchase)
