"""Opening a purchase in the private chat: a step-by-step wizard, or the pasted template,
ending in a preview with Publish / Edit / Cancel. Both use domain.purchase_form's parsers."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.i18n import Translator
from bot.notices import how_to_pay
from domain.community import Community
from domain.errors import N_, DomainError
from domain.ports import AlreadyProcessed
from domain.purchase import PaymentMode, Purchase
from domain.purchase_form import (
    FormError,
    PurchaseForm,
    TemplateContext,
    parse_deadline,
    parse_delivery,
    parse_fee,
    parse_if_short,
    parse_item,
    parse_moq,
    parse_pay_by,
    parse_payment,
    parse_pickup,
    parse_regions,
    parse_template,
    parse_text,
)
from domain.views import card_summary
from handlers.callback_data import Action, Start, decode, encode, parse_start
from handlers.card_view import card_text
from handlers.purchase_card import publish_and_post
from handlers.runtime import (
    is_chat_admin,
    is_chat_member,
    load_community,
    person_translator,
    runtime,
)


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


OPTIONAL = {Step.DESCRIPTION, Step.SUPPLIER, Step.MOQ, Step.PICKUP, Step.FEE, Step.DELIVERY,
            Step.REGIONS, Step.IF_SHORT, Step.PAY_TO, Step.PAY_BY}  # fmt: skip


@dataclass
class Wizard:
    """One head's purchase in the making, kept in their user_data."""

    community: Community
    form: PurchaseForm = field(default_factory=PurchaseForm)
    editing: bool = False
    # The payment details of the head's last purchase, offered again as a button.
    last_pay_to: str = ""

    def context(self, now: datetime) -> TemplateContext:
        return TemplateContext(self.community.currency, self.community.timezone, now)


def prompt(t: Translator, step: Step, wizard: Wizard, max_fee: str) -> str:
    community = wizard.community
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
        Step.DEADLINE: t.gettext(
            "When do orders stop? e.g. 2026-11-25 18:00 (time in {timezone})"
        ).format(timezone=community.timezone),
        Step.PICKUP: t.gettext(
            "Where and when do members pick up? e.g. 2026-11-27 10:00-12:00 | Community hall"
        ),
        Step.FEE: t.gettext("Your organizer fee in percent (at most {max}%), e.g. 5%").format(
            max=max_fee
        ),
        Step.DELIVERY: t.gettext(
            "The delivery cost and how to share it, e.g. 20.00 split by amount "
            "(or per unit, per member)"
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
            "By when must members pay? e.g. 2026-11-26 20:00 (time in {timezone}). "
            "Then I remind those who have not paid, and you may take them out."
        ).format(timezone=community.timezone),
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
    Step.PICKUP: _set("pickup", lambda text, ctx: parse_pickup(text, ctx.timezone)),
    Step.FEE: _set("fee_percent", lambda text, _: parse_fee(text)),
    Step.DELIVERY: _delivery,
    Step.REGIONS: _set("regions", lambda text, _: parse_regions(text)),
    Step.IF_SHORT: _if_short,
    Step.PAYMENT: _set("payment_mode", lambda text, _: parse_payment(text)),
    Step.PAY_TO: _set("pay_to", lambda text, _: parse_text(text, "pay_to")),
    Step.PAY_BY: _pay_by,
}

# The choices a step offers as buttons, with the value each stands for.
PAYMENT_CHOICES = (PaymentMode.PREPAY, PaymentMode.POSTPAY)


def _wizard(context: ContextTypes.DEFAULT_TYPE) -> Wizard | None:
    assert context.user_data is not None
    value = context.user_data.get("wizard")
    return value if isinstance(value, Wizard) else None


def _step(context: ContextTypes.DEFAULT_TYPE) -> Step:
    assert context.user_data is not None
    return Step(context.user_data.get("wizard_step", Step.TITLE))


def payment_label(t: Translator, mode: PaymentMode) -> str:
    return t.gettext("Prepay") if mode is PaymentMode.PREPAY else t.gettext("Postpay")


def _keyboard(t: Translator, step: Step, wizard: Wizard) -> InlineKeyboardMarkup | None:
    if step is Step.PAYMENT:
        return InlineKeyboardMarkup([[
            InlineKeyboardButton(
                payment_label(t, mode), callback_data=encode(Action.WIZARD_CHOICE, index)
            )
            for index, mode in enumerate(PAYMENT_CHOICES)
        ]])  # fmt: skip
    buttons = []
    if step is Step.PAY_TO and wizard.last_pay_to:
        label = t.gettext("As last time: {details}").format(details=wizard.last_pay_to)
        buttons.append(
            InlineKeyboardButton(label[:60], callback_data=encode(Action.WIZARD_CHOICE, 0))
        )
    if step is Step.ITEMS and wizard.form.items:
        buttons.append(
            InlineKeyboardButton(
                t.gettext("Done with items"), callback_data=encode(Action.WIZARD_DONE)
            )
        )
    if step in OPTIONAL:
        buttons.append(
            InlineKeyboardButton(t.gettext("Skip"), callback_data=encode(Action.WIZARD_SKIP))
        )
    return InlineKeyboardMarkup([buttons]) if buttons else None


async def _ask(
    update: Update, context: ContextTypes.DEFAULT_TYPE, step: Step, intro: str = ""
) -> int:
    """Go to `step` and ask its question (or show the preview), after `intro` if any."""
    wizard = _wizard(context)
    assert wizard is not None and context.user_data is not None
    context.user_data["wizard_step"] = step
    if step is Step.PREVIEW:
        return await _preview(update, context)
    t = person_translator(update, context, wizard.community)
    chat = update.effective_chat
    assert chat is not None
    hint = t.gettext("(/back: previous question, /cancel: stop)")
    await context.bot.send_message(
        chat.id,
        (intro + "\n\n" if intro else "")
        + prompt(t, step, wizard, str(runtime(context).settings.max_fee_percent))
        + "\n"
        + hint,
        reply_markup=_keyboard(t, step, wizard),
    )
    return step


def _after(wizard: Wizard, step: Step) -> Step:
    if wizard.editing:
        return Step.PREVIEW
    following = Step(step + 1)
    if following is Step.PAY_BY and wizard.form.payment_mode is PaymentMode.POSTPAY:
        return Step.PREVIEW  # a postpaid purchase is paid at pickup: no pay-by time
    return following


async def begin_from_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/start n<chat id>: the deep link from /new in a community chat."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.text is not None
    parsed = parse_start(message.text.partition(" ")[2].strip())
    t = person_translator(update, context)
    community = None
    if parsed is not None and parsed[0] is Start.NEW_PURCHASE:
        community = await load_community(context, parsed[1])
    if community is None:
        await message.reply_text(
            t.gettext("This link is not valid. Send /new in your community chat.")
        )
        return ConversationHandler.END
    return await _begin(update, context, community)


async def _begin(update: Update, context: ContextTypes.DEFAULT_TYPE, community: Community) -> int:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and context.user_data is not None
    t = person_translator(update, context, community)
    if not await is_chat_member(context, community.chat_id, user.id):
        await message.reply_text(t.gettext("You are not a member of that community chat."))
        return ConversationHandler.END
    if not community.may_open_purchases(await is_chat_admin(context, community.chat_id, user.id)):
        await message.reply_text(t.gettext("In this community only chat admins open purchases."))
        return ConversationHandler.END
    last_pay_to = await _last_pay_to(context, user.id)
    context.user_data["wizard"] = Wizard(community, last_pay_to=last_pay_to)
    context.user_data["community_id"] = community.chat_id
    intro = t.gettext("Let's open a purchase in {title}. I'll ask a few questions.").format(
        title=community.title
    )
    return await _ask(update, context, Step.TITLE, intro)


async def _last_pay_to(context: ContextTypes.DEFAULT_TYPE, head_id: int) -> str:
    async with runtime(context).database.unit_of_work() as uow:
        return await uow.purchases.last_pay_to(head_id)


async def new_in_private(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/new in the private chat: the template after it, or the wizard, for the last community."""
    message = update.effective_message
    assert message is not None and message.text is not None and context.user_data is not None
    t = person_translator(update, context)
    community_id = context.user_data.get("community_id")
    community = await load_community(context, community_id) if community_id else None
    if community is None:
        await message.reply_text(
            t.gettext("First send /new in your community chat, then tap the button I answer with.")
        )
        return ConversationHandler.END
    body = message.text.partition("\n")[2]
    if not body.strip():
        return await _begin(update, context, community)
    t = person_translator(update, context, community)
    try:
        form = parse_template(
            body, TemplateContext(community.currency, community.timezone, runtime(context).clock())
        )
    except FormError as error:
        await message.reply_text(
            t.gettext("The template has a problem, nothing was saved: {reason}").format(
                reason=t.reason(error)
            )
        )
        return ConversationHandler.END
    if not form.pay_to:  # the head's usual details, shown in the preview before publishing
        form.pay_to = await _last_pay_to(context, message.from_user.id if message.from_user else 0)
    context.user_data["wizard"] = Wizard(community, form)
    return await _ask(update, context, Step.PREVIEW)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Text in reply to a question: parsed on the spot; on error the question stays."""
    message = update.effective_message
    wizard = _wizard(context)
    step = _step(context)
    assert message is not None and message.text is not None
    if wizard is None:
        return ConversationHandler.END
    t = person_translator(update, context, wizard.community)
    try:
        PARSERS[step](wizard.form, message.text, wizard.context(runtime(context).clock()))
    except FormError as error:
        await message.reply_text(
            t.gettext("That doesn't work: {reason}. Please try again.").format(
                reason=t.reason(error)
            )
        )
        return step
    if step is Step.ITEMS:
        await message.reply_text(
            t.gettext("Added item {number}: {name}. Send another, or press Done.").format(
                number=len(wizard.form.items), name=wizard.form.items[-1].name
            ),
            reply_markup=_keyboard(t, step, wizard),
        )
        return step
    return await _ask(update, context, _after(wizard, step))


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Skip, Done, Publish, Edit, Cancel and the field list, checked against the wizard's step."""
    query = update.callback_query
    wizard = _wizard(context)
    step = _step(context)
    assert query is not None
    callback = decode(query.data)
    t = person_translator(update, context, wizard.community if wizard else None)
    if wizard is None or callback is None:
        await query.answer(t.gettext("This button is no longer valid."))
        return ConversationHandler.END
    await query.answer()
    action = callback.action
    if action is Action.WIZARD_CANCEL:
        return await cancel(update, context)
    if action is Action.WIZARD_SKIP and step in OPTIONAL:
        return await _ask(update, context, _after(wizard, step))
    if action is Action.WIZARD_DONE and step is Step.ITEMS and wizard.form.items:
        return await _ask(update, context, _after(wizard, step))
    if action is Action.WIZARD_CHOICE and step is Step.PAYMENT:
        if not 0 <= callback.args[0] < len(PAYMENT_CHOICES):
            return step
        wizard.form.payment_mode = PAYMENT_CHOICES[callback.args[0]]
        if wizard.form.payment_mode is PaymentMode.POSTPAY:
            wizard.form.pay_by = None
        return await _ask(update, context, _after(wizard, step))
    if action is Action.WIZARD_CHOICE and step is Step.PAY_TO and wizard.last_pay_to:
        wizard.form.pay_to = wizard.last_pay_to
        return await _ask(update, context, _after(wizard, step))
    if action is Action.WIZARD_EDIT and step is Step.PREVIEW:
        await _edit_menu(update, context, t)
        return step
    if (
        action is Action.WIZARD_FIELD
        and step is Step.PREVIEW
        and 0 <= callback.args[0] < Step.PREVIEW
    ):
        wizard.editing = True
        field_step = Step(callback.args[0])
        if field_step is Step.ITEMS:
            wizard.form.items.clear()
        return await _ask(update, context, field_step)
    if action is Action.WIZARD_PUBLISH and step is Step.PREVIEW:
        return await _publish(update, context, wizard, t)
    return step  # a stale button from an earlier question: nothing to do


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


async def _edit_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, t: Translator) -> None:
    chat = update.effective_chat
    assert chat is not None
    buttons = [
        InlineKeyboardButton(field_label(t, step), callback_data=encode(Action.WIZARD_FIELD, step))
        for step in FIELD_LABELS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await context.bot.send_message(
        chat.id, t.gettext("What do you want to change?"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def _preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    wizard = _wizard(context)
    chat = update.effective_chat
    assert wizard is not None and chat is not None
    wizard.editing = False
    rt = runtime(context)
    t = person_translator(update, context, wizard.community)
    user = update.effective_user
    assert user is not None
    edit_button = InlineKeyboardButton(t.gettext("Edit"), callback_data=encode(Action.WIZARD_EDIT))
    cancel_button = InlineKeyboardButton(
        t.gettext("Cancel"), callback_data=encode(Action.WIZARD_CANCEL)
    )
    try:
        purchase = wizard.form.to_purchase(
            wizard.community.chat_id, user.id, wizard.community.currency, rt.clock(),
            rt.settings.max_fee_percent,
        )  # fmt: skip
    except FormError as error:
        await context.bot.send_message(
            chat.id,
            t.gettext("Almost there, but: {reason}. Press Edit to fix it.").format(
                reason=escape(t.reason(error))
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[edit_button, cancel_button]]),
        )
        return Step.PREVIEW
    preview = card_text(t, purchase, card_summary(purchase), rt.clock())
    preview += "\n\n" + payment_terms(t, purchase)
    publish_button = InlineKeyboardButton(
        t.gettext("Publish"), callback_data=encode(Action.WIZARD_PUBLISH)
    )
    await context.bot.send_message(
        chat.id,
        t.gettext("Preview of the card for {title}:").format(title=escape(wizard.community.title))
        + "\n\n"
        + preview,
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[publish_button], [edit_button, cancel_button]]),
    )
    return Step.PREVIEW


def payment_terms(t: Translator, purchase: Purchase) -> str:
    """For the head's preview: when members pay, and what they read privately about how."""
    when = (
        t.gettext("Prepay: members pay after the stop, before you order.")
        if purchase.payment_mode is PaymentMode.PREPAY
        else t.gettext("Postpay: members pay at pickup.")
    )
    return when + "\n" + how_to_pay(t, purchase)


async def _publish(
    update: Update, context: ContextTypes.DEFAULT_TYPE, wizard: Wizard, t: Translator
) -> int:
    rt = runtime(context)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None and context.user_data is not None
    try:
        purchase = wizard.form.to_purchase(
            wizard.community.chat_id, user.id, wizard.community.currency, rt.clock(),
            rt.settings.max_fee_percent,
        )  # fmt: skip
        # The head answered "where do members pay": an empty answer means none.
        await publish_and_post(
            context, purchase, wizard.community, update.update_id, reuse_pay_to=False
        )
    except AlreadyProcessed:
        return ConversationHandler.END
    except DomainError as error:
        await context.bot.send_message(
            chat.id, t.gettext("Not published: {reason}").format(reason=t.reason(error))
        )
        return Step.PREVIEW
    context.user_data.pop("wizard", None)
    await context.bot.send_message(
        chat.id,
        t.gettext("Published in {title}. Members can join from the card there.").format(
            title=wizard.community.title
        ),
    )
    return ConversationHandler.END


async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/back: the previous question."""
    wizard = _wizard(context)
    if wizard is None:
        return ConversationHandler.END
    step = _step(context)
    if step is Step.PREVIEW:
        previous = Step.PAY_BY if wizard.form.payment_mode is PaymentMode.PREPAY else Step.PAY_TO
    else:
        previous = Step(max(step - 1, Step.TITLE))
    return await _ask(update, context, previous)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/cancel: drop the purchase being made; nothing was saved."""
    assert context.user_data is not None
    wizard = context.user_data.pop("wizard", None)
    chat = update.effective_chat
    assert chat is not None
    t = person_translator(update, context, wizard.community if isinstance(wizard, Wizard) else None)
    await context.bot.send_message(chat.id, t.gettext("Cancelled. Nothing was saved."))
    return ConversationHandler.END


def wizard_handler() -> ConversationHandler:  # type: ignore[type-arg]
    """The conversation, private chats only; /cancel and /back work at every step."""
    private = filters.ChatType.PRIVATE
    step_handlers: list[object] = [
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, answer),
        CallbackQueryHandler(button),
    ]
    with warnings.catch_warnings():
        # The wizard follows the person, not each message: per_message=False is meant.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler(
                    "start", begin_from_link, filters=private & filters.Regex(r"^/start n-?\d+$")
                ),
                CommandHandler("new", new_in_private, filters=private),
            ],
            states={step: step_handlers for step in Step},  # type: ignore[misc]
            fallbacks=[
                CommandHandler("cancel", cancel, filters=private),
                CommandHandler("back", back, filters=private),
            ],
            allow_reentry=True,
            name="purchase_wizard",
        )
