"""Opening a purchase in the private chat: a step-by-step wizard, or the pasted template,
ending in a preview with Publish / Edit / Cancel. Both use domain.purchase_form's parsers.

Where a head is in the wizard lives in the database (the conversations table), not in memory:
a restart resumes the question they were on, and any bot process can take their next answer.
What is kept is what they answered, in order; the form is those answers read again by the same
parsers, so it is never out of step with them. Each answer is saved with its update's claim,
so a redelivered message is not taken twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from domain.community import Community
from domain.errors import N_, DomainError
from domain.form_fields import (
    Examples,
    FormError,
    names_split,
    parse_deadline,
    parse_delivery,
    parse_fee,
    parse_if_short,
    parse_item,
    parse_moq,
    parse_pay_by,
    parse_payment,
    parse_pickups,
    parse_regions,
    parse_split,
    parse_text,
)
from domain.ports import AlreadyProcessed
from domain.purchase import PaymentMode, Purchase
from domain.purchase_form import PurchaseForm, TemplateContext, parse_template
from domain.views import card_summary
from handlers.purchase_card import publish_and_post
from handlers.runtime import (
    is_chat_admin,
    is_chat_member,
    load_community,
    person_translator,
    runtime,
)
from texts.callback_data import Action, Start, decode, encode, is_action, parse_start
from texts.card_view import MAX_MESSAGE_LENGTH, card_text, check_card_fits, visible_length
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

    def context(self, now: datetime) -> TemplateContext:
        return TemplateContext(self.community.currency, self.community.timezone, now)

    def answer(self, step: Step, text: str, now: datetime, max_fee: Decimal) -> None:
        """Take an answer: parsed into the form and checked with what was answered before
        against every rule of a purchase (FormError, and nothing changes, when it is not
        right), then kept."""
        trial = replace(self.form, items=list(self.form.items), pickups=list(self.form.pickups))
        _apply_answer(trial, step, text, self.context(now))
        trial.check_so_far(self.community.currency, now, max_fee)
        self.form = trial
        self.answers.append((step, text))

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
        }

    @classmethod
    def restored(
        cls, state: dict[str, Any], community: Community, now: datetime, max_fee: Decimal
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
        context = wizard.context(now)
        if wizard.template:
            try:
                wizard.form = parse_template(wizard.template, context)
            except FormError:
                wizard.form = PurchaseForm()
        for raw_step, text in state["answers"]:
            step = Step(int(raw_step))
            if text is None:
                wizard.items_again()
                continue
            try:
                wizard.answer(step, str(text), now, max_fee)
            except FormError:
                continue
        return wizard


def prompt(t: Translator, step: Step, wizard: Wizard, max_fee: str, now: datetime) -> str:
    community = wizard.community
    example = Examples.of(community.timezone, now)
    return {
        Step.TITLE: t.gettext(
            "What are you buying? Send a short title, e.g. Wildflower honey from Altai"
        ),
        Step.DESCRIPTION: t.gettext("Describe it in a few lines for your neighbours."),
        Step.SUPPLIER: t.gettext("Who is the supplier? e.g. Altai Bee Farm"),
        Step.ITEMS: t.gettext(
            "Send the items one message each, as: name | price\n"
            "e.g. Honey 1 kg | 12.50 | pack 6 | max 10\n"
            "Options: pack N, min N, max N, stock N, moq N. "
            "Cheaper from a quantity: 12.50; 11.90 from 60"
        ),
        Step.MOQ: t.gettext(
            "The minimum order for the whole purchase, e.g. 30 units or 500 {currency}"
        ).format(currency=community.currency),
        Step.DEADLINE: t.gettext("When do orders stop? e.g. {example} (time in {timezone})").format(
            example=example.deadline, timezone=community.timezone
        ),
        Step.PICKUP: t.gettext(
            "Where and when do members pick up? e.g. {example} | Community hall"
        ).format(example=example.pickup)
        + "\n"
        + t.gettext(
            "Several places or times: one line each, and members choose. Add | 20 to let at "
            "most 20 members choose a slot."
        ),
        Step.FEE: t.gettext("Your organizer fee in percent (at most {max}%), e.g. 5%").format(
            max=max_fee
        ),
        Step.DELIVERY: t.gettext(
            "The delivery cost and how to share it, e.g. 20.00 split by amount "
            "(or per unit, per member)"
        ),
        Step.DELIVERY_SPLIT: t.gettext("How do members share the delivery cost of {cost}?").format(
            cost=t.money(wizard.form.delivery_cost) if wizard.form.delivery_cost else ""
        ),
        Step.REGIONS: t.gettext("Where do you deliver? e.g. EU, or pickup only"),
        Step.IF_SHORT: t.gettext(
            "If the minimum is not reached by the deadline: fail, ask (I ask you), or extend 24h"
        ),
        Step.PAYMENT: t.gettext(
            "When do members pay? Prepay: after the stop, before you order from the supplier. "
            "Postpay: when they pick up their goods."
        ),
        Step.PAY_TO: t.gettext(
            "Where do members pay you? Members read it privately. "
            "e.g. IBAN DE12 3456 7890 1234, or cash at pickup"
        ),
        Step.PAY_BY: t.gettext(
            "By when must members pay? e.g. {example} (time in {timezone}). "
            "Then I remind those who have not paid, and you may take them out."
        ).format(example=example.pay_by, timezone=community.timezone),
        Step.PREVIEW: "",
    }[step]


Parser = Callable[[PurchaseForm, str, TemplateContext], None]


def _set(name: str, parse: Callable[[str, TemplateContext], object]) -> Parser:
    def apply(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
        setattr(form, name, parse(text, ctx))

    return apply


def _delivery(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    form.delivery_cost, form.delivery_split = parse_delivery(text, ctx.currency)


def _if_short(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    form.short_policy, form.extend_by = parse_if_short(text)


def _item(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    form.items.append(parse_item(text, ctx.currency))


def _pay_by(form: PurchaseForm, text: str, ctx: TemplateContext) -> None:
    pay_by = parse_pay_by(text, ctx.timezone, ctx.now)
    if form.deadline is not None and pay_by <= form.deadline:
        raise FormError(N_("the pay-by time must come after the deadline"))
    form.pay_by = pay_by


PARSERS: dict[Step, Parser] = {
    Step.TITLE: _set("title", lambda text, _: parse_text(text, "title")),
    Step.DESCRIPTION: _set("description", lambda text, _: parse_text(text, "description")),
    Step.SUPPLIER: _set("supplier", lambda text, _: parse_text(text, "supplier")),
    Step.ITEMS: _item,
    Step.MOQ: _set("moq", lambda text, ctx: parse_moq(text, ctx.currency)),
    Step.DEADLINE: _set("deadline", lambda text, ctx: parse_deadline(text, ctx.timezone, ctx.now)),
    Step.PICKUP: _set("pickups", lambda text, ctx: parse_pickups(text, ctx.timezone, ctx.now)),
    Step.FEE: _set("fee_percent", lambda text, _: parse_fee(text)),
    Step.DELIVERY: _delivery,
    Step.DELIVERY_SPLIT: _set("delivery_split", lambda text, _: parse_split(text)),
    Step.REGIONS: _set("regions", lambda text, _: parse_regions(text)),
    Step.IF_SHORT: _if_short,
    Step.PAYMENT: _set("payment_mode", lambda text, _: parse_payment(text)),
    Step.PAY_TO: _set("pay_to", lambda text, _: parse_text(text, "pay_to")),
    Step.PAY_BY: _pay_by,
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


def _keyboard(t: Translator, step: Step, wizard: Wizard) -> InlineKeyboardMarkup | None:
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
    if step is Step.PAY_TO and wizard.last_pay_to:
        label = t.gettext("As last time: {details}").format(details=wizard.last_pay_to)
        buttons.append(
            InlineKeyboardButton(label[:60], callback_data=encode(Action.WIZARD_CHOICE, step, 0))
        )
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


def _apply_answer(form: PurchaseForm, step: Step, text: str, context: TemplateContext) -> None:
    PARSERS[step](form, text, context)
    if step is Step.PAYMENT and form.payment_mode is PaymentMode.POSTPAY:
        form.pay_by = None  # paid at pickup: no pay-by time


async def _load(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Wizard | None:
    """The wizard of the person behind the update, if they are in one."""
    user = update.effective_user
    if user is None:
        return None
    rt = runtime(context)
    async with rt.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(user.id)
        if found is None or found[0] != WIZARD:
            return None
        state = found[1]
        community = await uow.communities.get(int(state["community_id"]))
    if community is None:
        return None
    return Wizard.restored(state, community, rt.clock(), rt.settings.max_fee_percent)


async def _save(
    update: Update, context: ContextTypes.DEFAULT_TYPE, wizard: Wizard | None, community_id: int
) -> None:
    """Keep where the person is (None: out of the wizard), with this update's claim: raises
    AlreadyProcessed when this update was taken before (a redelivery after a crash)."""
    user = update.effective_user
    assert user is not None
    rt = runtime(context)
    async with rt.database.unit_of_work(update.update_id) as uow:
        if wizard is None:
            state: dict[str, Any] = {"community_id": community_id}
            await uow.telegram.save_conversation(user.id, DONE, state, rt.clock())
        else:
            await uow.telegram.save_conversation(user.id, WIZARD, wizard.state(), rt.clock())
        await uow.commit()


async def _ask(
    update: Update, context: ContextTypes.DEFAULT_TYPE, wizard: Wizard, step: Step, intro: str = ""
) -> None:
    """Go to `step`, keep that, and ask its question (or show the preview), after `intro`."""
    wizard.step = step
    if step is Step.PREVIEW:
        wizard.editing = False
    await _save(update, context, wizard, wizard.community.chat_id)
    if step is Step.PREVIEW:
        await _preview(update, context, wizard)
        return
    t = person_translator(update, context, wizard.community)
    chat = update.effective_chat
    assert chat is not None
    hint = t.gettext("(/back: previous question, /cancel: stop)")
    await context.bot.send_message(
        chat.id,
        (intro + "\n\n" if intro else "")
        + prompt(
            t,
            step,
            wizard,
            str(runtime(context).settings.max_fee_percent),
            runtime(context).clock(),
        )
        + "\n"
        + hint,
        reply_markup=_keyboard(t, step, wizard),
    )


def _after(wizard: Wizard, step: Step) -> Step:
    if step is Step.DELIVERY and wizard.form.delivery_cost is not None:
        typed = next((text for s, text in reversed(wizard.answers) if s is Step.DELIVERY), "")
        if not names_split(typed or ""):
            return Step.DELIVERY_SPLIT  # a cost alone: ask how to share it, with buttons
    if wizard.editing:
        return Step.PREVIEW
    if step is Step.DELIVERY_SPLIT:
        return Step.REGIONS
    following = Step(step + 1)
    if following is Step.PAY_BY and wizard.form.payment_mode is PaymentMode.POSTPAY:
        return Step.PREVIEW  # a postpaid purchase is paid at pickup: no pay-by time
    return following


async def begin_from_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start n<chat id>: the deep link from /new in a community chat."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.text is not None
    parsed = parse_start(message.text.partition(" ")[2].strip())
    t = person_translator(update, context)
    community = None
    if parsed is not None and parsed[0] is Start.NEW_PURCHASE:
        community = await load_community(context, parsed[1])
    rt = runtime(context)
    async with rt.database.unit_of_work() as uow:  # this is how the head opened the bot
        await uow.telegram.mark_started(user.id, rt.clock(), user.language_code)
        await uow.commit()
    if community is None:
        await message.reply_text(
            t.gettext("This link is not valid. Send /new in your community chat.")
        )
    else:
        await _begin(update, context, community)
    raise ApplicationHandlerStop  # not also the greeting of a plain /start


async def _may_open(
    update: Update, context: ContextTypes.DEFAULT_TYPE, community: Community
) -> bool:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    t = person_translator(update, context, community)
    if not await is_chat_member(context, community.chat_id, user.id):
        await message.reply_text(t.gettext("You are not a member of that community chat."))
        return False
    if not community.may_open_purchases(await is_chat_admin(context, community.chat_id, user.id)):
        await message.reply_text(t.gettext("In this community only chat admins open purchases."))
        return False
    return True


async def _begin(update: Update, context: ContextTypes.DEFAULT_TYPE, community: Community) -> None:
    user = update.effective_user
    assert user is not None
    if not await _may_open(update, context, community):
        return
    t = person_translator(update, context, community)
    wizard = Wizard(community, last_pay_to=await _last_pay_to(context, user.id))
    intro = t.gettext("Let's open a purchase in {title}. I'll ask a few questions.").format(
        title=community.title
    )
    try:
        await _ask(update, context, wizard, Step.TITLE, intro)
    except AlreadyProcessed:
        return


async def _last_pay_to(context: ContextTypes.DEFAULT_TYPE, head_id: int) -> str:
    async with runtime(context).database.unit_of_work() as uow:
        return await uow.purchases.last_pay_to(head_id)


async def _last_community(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> Community | None:
    """The community the person last opened (or began to open) a purchase in."""
    async with runtime(context).database.unit_of_work() as uow:
        found = await uow.telegram.conversation(user_id)
        if found is None:
            return None
        return await uow.communities.get(int(found[1]["community_id"]))


async def new_in_private(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/new in the private chat: the template after it, or the wizard, for the last community."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and message.text is not None and user is not None
    t = person_translator(update, context)
    community = await _last_community(context, user.id)
    if community is None:
        await message.reply_text(
            t.gettext("First send /new in your community chat, then tap the button I answer with.")
        )
        return
    body = message.text.partition("\n")[2]
    if not body.strip():
        await _begin(update, context, community)
        return
    t = person_translator(update, context, community)
    wizard = Wizard(community, template=body)
    try:
        wizard.form = parse_template(body, wizard.context(runtime(context).clock()), first_line=2)
    except FormError as error:
        await message.reply_text(
            t.gettext("The template has a problem, nothing was saved: {reason}").format(
                reason=t.reason(error)
            )
        )
        return
    if not wizard.form.pay_to:  # the head's usual details, shown in the preview
        last = await _last_pay_to(context, user.id)
        if last:
            rt = runtime(context)
            # A template that breaks a rule is shown with its problem in the preview.
            with contextlib.suppress(FormError):
                wizard.answer(Step.PAY_TO, last, rt.clock(), rt.settings.max_fee_percent)
    try:
        await _ask(update, context, wizard, Step.PREVIEW)
    except AlreadyProcessed:
        return


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text in the private chat of someone in the wizard: the answer to their question, parsed
    on the spot (on error the question stays). Anyone else's text goes to the other handlers."""
    message = update.effective_message
    assert message is not None and message.text is not None
    wizard = await _load(update, context)
    if wizard is None or wizard.step is Step.PREVIEW:
        return  # not answering a question: the other handlers may want it (a pickup code)
    t = person_translator(update, context, wizard.community)
    step = wizard.step
    try:
        rt = runtime(context)
        wizard.answer(step, message.text, rt.clock(), rt.settings.max_fee_percent)
    except FormError as error:
        await message.reply_text(
            t.gettext("That doesn't work: {reason}. Please try again.").format(
                reason=t.reason(error)
            )
        )
        raise ApplicationHandlerStop from None
    try:
        if step is Step.ITEMS:
            await _save(update, context, wizard, wizard.community.chat_id)
            await message.reply_text(
                t.gettext("Added item {number}: {name}. Send another, or press Done.").format(
                    number=len(wizard.form.items), name=wizard.form.items[-1].name
                ),
                reply_markup=_keyboard(t, step, wizard),
            )
        else:
            await _ask(update, context, wizard, _after(wizard, step))
    except AlreadyProcessed:
        pass
    raise ApplicationHandlerStop


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Skip, Done, Publish, Edit, Cancel and the field list, checked against the wizard's step."""
    query = update.callback_query
    assert query is not None
    wizard = await _load(update, context)
    callback = decode(query.data)
    t = person_translator(update, context, wizard.community if wizard else None)
    if wizard is None or callback is None or not _current(wizard, callback.action, callback.args):
        # A button of an earlier question, or of a wizard that ended: it changes nothing.
        await query.answer(t.gettext("This button is no longer valid."))
        return
    await query.answer()
    try:
        await _pressed(update, context, wizard, callback.action, callback.args, t)
    except AlreadyProcessed:
        return


def _current(wizard: Wizard, action: Action, args: tuple[int, ...]) -> bool:
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
        return step is Step.PAY_TO and args[1] == 0 and bool(wizard.last_pay_to)
    if action is Action.WIZARD_FIELD:
        return step is Step.PREVIEW and 0 <= args[0] <= Step.PREVIEW  # PREVIEW: back to it
    return step is Step.PREVIEW  # Edit and Publish


async def _pressed(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    wizard: Wizard,
    action: Action,
    args: tuple[int, ...],
    t: Translator,
) -> None:
    """What a current button does (`_current` said it belongs to this question)."""
    step, now = wizard.step, runtime(context).clock()
    if action is Action.WIZARD_CANCEL:
        await _cancel(update, context, wizard)
    elif action in (Action.WIZARD_SKIP, Action.WIZARD_DONE):
        await _ask(update, context, wizard, _after(wizard, step))
    elif action is Action.WIZARD_CHOICE:
        if step is Step.PAYMENT:
            value = PAYMENT_CHOICES[args[1]].value
        elif step in TYPED_CHOICES:
            value = TYPED_CHOICES[step][args[1]]
        else:
            value = wizard.last_pay_to
        wizard.answer(step, value, now, runtime(context).settings.max_fee_percent)
        await _ask(update, context, wizard, _after(wizard, step))
    elif action is Action.WIZARD_EDIT:
        await _edit_menu(update, context, t)
    elif action is Action.WIZARD_FIELD and args[0] == Step.PREVIEW:
        await _ask(update, context, wizard, Step.PREVIEW)
    elif action is Action.WIZARD_FIELD:
        wizard.editing = True
        field_step = Step(args[0])
        if field_step is Step.ITEMS:
            wizard.items_again()
        await _ask(update, context, wizard, field_step)
    elif action is Action.WIZARD_PUBLISH:
        await _publish(update, context, wizard, t)


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


async def _edit_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, t: Translator) -> None:
    chat = update.effective_chat
    assert chat is not None
    buttons = [
        InlineKeyboardButton(field_label(t, step), callback_data=encode(Action.WIZARD_FIELD, step))
        for step in FIELD_LABELS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    back = t.gettext("↩️ Back to the preview")
    to_preview = encode(Action.WIZARD_FIELD, Step.PREVIEW)
    rows.append([InlineKeyboardButton(back, callback_data=to_preview)])
    await context.bot.send_message(
        chat.id, t.gettext("What do you want to change?"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def _preview(update: Update, context: ContextTypes.DEFAULT_TYPE, wizard: Wizard) -> None:
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None and user is not None
    rt = runtime(context)
    t = person_translator(update, context, wizard.community)
    edit_button = InlineKeyboardButton(t.gettext("Edit"), callback_data=encode(Action.WIZARD_EDIT))
    cancel_button = InlineKeyboardButton(
        t.gettext("Cancel"), callback_data=encode(Action.WIZARD_CANCEL)
    )
    try:
        purchase = wizard.form.to_purchase(
            wizard.community.chat_id, user.id, wizard.community.currency, rt.clock(),
            rt.settings.max_fee_percent,
        )  # fmt: skip
        check_card_fits(purchase, wizard.community.timezone, rt.clock())
    except DomainError as error:
        await context.bot.send_message(
            chat.id,
            t.gettext("Almost there, but: {reason}. Press Edit to fix it.").format(
                reason=escape(t.reason(error))
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[edit_button, cancel_button]]),
        )
        return
    heading = t.gettext("Preview of the card for {title}:").format(
        title=escape(wizard.community.title)
    )
    preview = heading + "\n\n" + card_text(t, purchase, card_summary(purchase), rt.clock())
    terms = payment_terms(t, purchase)
    if visible_length(preview + "\n\n" + terms) <= MAX_MESSAGE_LENGTH:
        preview += "\n\n" + terms
    else:  # a card near the limit: its payment terms go first, in a message of their own
        await context.bot.send_message(chat.id, terms, parse_mode=ParseMode.HTML)
    publish_button = InlineKeyboardButton(
        t.gettext("Publish"), callback_data=encode(Action.WIZARD_PUBLISH)
    )
    await context.bot.send_message(
        chat.id,
        preview,
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[publish_button], [edit_button, cancel_button]]),
    )


async def _publish(
    update: Update, context: ContextTypes.DEFAULT_TYPE, wizard: Wizard, t: Translator
) -> None:
    rt = runtime(context)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    try:
        purchase = wizard.form.to_purchase(
            wizard.community.chat_id, user.id, wizard.community.currency, rt.clock(),
            rt.settings.max_fee_percent,
        )  # fmt: skip
        # The head answered "where do members pay": an empty answer means none.
        await publish_and_post(
            context, purchase, wizard.community, update.update_id, reuse_pay_to=False,
            saved=lambda: _end(update, context, wizard.community.chat_id),
        )  # fmt: skip
    except DomainError as error:
        await context.bot.send_message(
            chat.id, t.gettext("Not published: {reason}").format(reason=t.reason(error))
        )
        return
    await context.bot.send_message(
        chat.id,
        t.gettext("Published in {title}. Members can join from the card there.").format(
            title=wizard.community.title
        ),
    )


async def _end(update: Update, context: ContextTypes.DEFAULT_TYPE, community_id: int) -> None:
    """Out of the wizard (the purchase is saved, or dropped): only the community is kept."""
    user = update.effective_user
    assert user is not None
    rt = runtime(context)
    async with rt.database.unit_of_work() as uow:
        state: dict[str, Any] = {"community_id": community_id}
        await uow.telegram.save_conversation(user.id, DONE, state, rt.clock())
        await uow.commit()


async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/back: the previous question."""
    wizard = await _load(update, context)
    if wizard is None:
        return
    step = wizard.step
    if step is Step.PREVIEW:
        previous = Step.PAY_BY if wizard.form.payment_mode is PaymentMode.PREPAY else Step.PAY_TO
    elif step is Step.DELIVERY_SPLIT:
        previous = Step.DELIVERY
    else:
        previous = Step(max(step - 1, Step.TITLE))
    with contextlib.suppress(AlreadyProcessed):  # a redelivered /back was taken before
        await _ask(update, context, wizard, previous)
    raise ApplicationHandlerStop


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: drop the purchase being made; nothing was saved."""
    wizard = await _load(update, context)
    if wizard is None:
        return
    with contextlib.suppress(AlreadyProcessed):
        await _cancel(update, context, wizard)
    raise ApplicationHandlerStop


async def _cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, wizard: Wizard) -> None:
    await _save(update, context, None, wizard.community.chat_id)
    chat = update.effective_chat
    assert chat is not None
    t = person_translator(update, context, wizard.community)
    await context.bot.send_message(chat.id, t.gettext("Cancelled. Nothing was saved."))


# The wizard's text and commands are looked at before everything else (a head's answer "ABCD"
# is not a pickup code); a person who is not in the wizard passes on to the other handlers.
WIZARD_GROUP = -1


def _wizard_handlers() -> list[tuple[BaseHandler[Any, Any, Any], int]]:
    """The wizard's handlers with their groups, private chats only."""
    private = filters.ChatType.PRIVATE
    buttons: list[tuple[BaseHandler[Any, Any, Any], int]] = [
        (CallbackQueryHandler(button, pattern=is_action(action)), 0)
        for action in (Action.WIZARD_SKIP, Action.WIZARD_DONE, Action.WIZARD_PUBLISH,
                       Action.WIZARD_EDIT, Action.WIZARD_CANCEL, Action.WIZARD_FIELD,
                       Action.WIZARD_CHOICE)
    ]  # fmt: skip
    return [
        (MessageHandler(private & filters.TEXT & ~filters.COMMAND, answer), WIZARD_GROUP),
        (CommandHandler("cancel", cancel, filters=private), WIZARD_GROUP),
        (CommandHandler("back", back, filters=private), WIZARD_GROUP),
        (
            CommandHandler(
                "start", begin_from_link, filters=private & filters.Regex(r"^/start n-?\d+$")
            ),
            WIZARD_GROUP,
        ),
        (CommandHandler("new", new_in_private, filters=private), WIZARD_GROUP),
        *buttons,
    ]


HANDLERS = _wizard_handlers()
