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
from datetime import datetime
from decimal import Decimal
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from domain import services
from domain.campaign_form import campaign_template
from domain.community import Community
from domain.errors import N_, DomainError, IllegalTransition, NotFound
from domain.form_fields import (
    FormError,
)
from domain.ports import AlreadyProcessed
from domain.purchase import FINISHED, PaymentMode
from domain.purchase_form import parse_template
from domain.template_lines import again_of
from handlers.new_purchase import NEW_COMMAND
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Press,
    head_community,
    is_chat_admin,
    is_chat_member,
    load_community,
    managed_purchase,
    on_buttons,
    on_press,
    person_translator,
)
from handlers.wizard_items import add_lines, add_price_list, left_out_note
from handlers.wizard_preview import edit_menu, publish, show_preview
from handlers.wizard_prompts import prompt
from handlers.wizard_steps import (
    DONE,
    PAYMENT_CHOICES,
    TYPED_CHOICES,
    WIZARD,
    Step,
    Wizard,
    is_current,
    last_added,
    saved_point_answer,
    step_after,
    step_keyboard,
)
from texts.callback_data import Action, Start, decode, is_action, parse_start
from texts.catalog_view import goods_count
from texts.i18n import Translator


async def _load(update: Update, context: BotContext) -> Wizard | None:
    """The wizard of the person behind the update, if they are in one."""
    user = update.effective_user
    if user is None:
        return None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(user.id)
        if found is None or found[0] != WIZARD:
            return None
        state = found[1]
        community = await uow.communities.get(int(state["community_id"]))
        campaign_id = state.get("campaign_id")
        campaign = None if campaign_id is None else await uow.campaigns.get(int(campaign_id))
    if community is None:
        return None
    return Wizard.restored(state, community, rt.clock(), rt.settings.max_fee_percent, campaign)


async def _save(
    update: Update, context: BotContext, wizard: Wizard | None, community_id: int
) -> None:
    """Keep where the person is (None: out of the wizard), with this update's claim: raises
    AlreadyProcessed when this update was taken before (a redelivery after a crash)."""
    user = update.effective_user
    assert user is not None
    rt = context.runtime
    async with rt.database.unit_of_work(update.update_id) as uow:
        if wizard is None:
            state: dict[str, Any] = {"community_id": community_id}
            await uow.telegram.save_conversation(user.id, DONE, state, rt.clock())
        else:
            await uow.telegram.save_conversation(user.id, WIZARD, wizard.state(), rt.clock())
        await uow.commit()


async def _ask(
    update: Update, context: BotContext, wizard: Wizard, step: Step, intro: str = ""
) -> None:
    """Go to `step`, keep that, and ask its question (or show the preview), after `intro`."""
    wizard.step = step
    if step is Step.PREVIEW:
        wizard.editing = False
    await _save(update, context, wizard, wizard.community.chat_id)
    if step is Step.ITEMS and update.effective_user is not None:
        async with context.runtime.database.unit_of_work() as uow:
            saved = await uow.price_lists.of_head(update.effective_user.id, OFFERED_PRICE_LISTS)
        wizard.price_lists = [
            (p.id, p.supplier) for p in saved if p.currency == wizard.community.currency
        ]
    if step is Step.PREVIEW:
        if intro and update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, intro)
        await show_preview(update, context, wizard)
        return
    await _question(update, context, wizard, step, intro)


async def _question(
    update: Update, context: BotContext, wizard: Wizard, step: Step, intro: str
) -> None:
    """Ask the question of `step` (after `intro`), with its buttons."""
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
            str(context.runtime.settings.max_fee_percent),
            context.runtime.clock(),
        )
        + "\n"
        + hint,
        reply_markup=step_keyboard(t, step, wizard, context.runtime.clock()),
    )


async def begin_from_link(update: Update, context: BotContext) -> None:
    """/start n<chat id>: the deep link from /new in a community chat."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.text is not None
    parsed = parse_start(message.text.partition(" ")[2].strip())
    t = person_translator(update, context)
    community = None
    if parsed is not None and parsed[0] is Start.NEW_PURCHASE:
        community = await load_community(context, parsed[1])
    rt = context.runtime
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


async def _may_open(update: Update, context: BotContext, community: Community) -> bool:
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


async def _begin(
    update: Update, context: BotContext, community: Community, photo: str = ""
) -> None:
    user = update.effective_user
    assert user is not None
    if not await _may_open(update, context, community):
        return
    t = person_translator(update, context, community)
    wizard = Wizard(community, last_pay_to=await _last_pay_to(context, user.id))
    if photo:
        rt = context.runtime
        wizard.answer(Step.PHOTO, photo, rt.clock(), rt.settings.max_fee_percent)
    intro = t.gettext("Let's open a purchase in {title}. I'll ask a few questions.").format(
        title=community.title
    )
    try:
        await _ask(update, context, wizard, Step.TITLE, intro)
    except AlreadyProcessed:
        return


async def _last_pay_to(context: BotContext, head_id: int) -> str:
    async with context.runtime.database.unit_of_work() as uow:
        return await uow.purchases.last_pay_to(head_id)


def _pay_as_last_time(wizard: Wizard, now: datetime, max_fee: Decimal) -> None:
    """A purchase made whole at once (a template, a campaign) without where members pay takes
    the head's details of last time, shown in the preview (*Edit* → *Pay to* changes them)."""
    if not wizard.form.pay_to and wizard.last_pay_to:
        # A template that breaks a rule is shown with its problem in the preview.
        with contextlib.suppress(FormError):
            wizard.answer(Step.PAY_TO, wizard.last_pay_to, now, max_fee)


async def _last_community(context: BotContext, user_id: int) -> Community | None:
    """The community the person last opened (or began to open) a purchase in."""
    async with context.runtime.database.unit_of_work() as uow:
        return await head_community(uow, user_id)


async def new_in_private(update: Update, context: BotContext) -> None:
    """/new in the private chat: the template after it, or the wizard, for the last community;
    sent as a photo's caption, the photo is the purchase's."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    text = message.text or message.caption or ""
    photo = message.photo[-1].file_id if message.photo else ""
    t = person_translator(update, context)
    community = await _last_community(context, user.id)
    if community is None:
        await message.reply_text(
            t.gettext("First send /new in your community chat, then tap the button I answer with.")
        )
        return
    body = text.partition("\n")[2]
    if not body.strip():
        await _begin(update, context, community, photo)
        return
    t = person_translator(update, context, community)
    wizard = Wizard(community, template=body, last_pay_to=await _last_pay_to(context, user.id))
    try:
        wizard.form = parse_template(body, wizard.context(context.runtime.clock()), first_line=2)
        if photo:
            rt = context.runtime
            wizard.answer(Step.PHOTO, photo, rt.clock(), rt.settings.max_fee_percent)
    except FormError as error:
        await message.reply_text(
            t.gettext("The template has a problem, nothing was saved: {reason}").format(
                reason=t.reason(error)
            )
        )
        return
    _pay_as_last_time(wizard, context.runtime.clock(), context.runtime.settings.max_fee_percent)
    try:
        await _ask(update, context, wizard, Step.PREVIEW)
    except AlreadyProcessed:
        return


async def answer(update: Update, context: BotContext) -> None:
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
        rt = context.runtime
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
                    number=last_added(wizard.form)[0], name=last_added(wizard.form)[1]
                ),
                reply_markup=step_keyboard(t, step, wizard),
            )
        else:
            await _ask(update, context, wizard, step_after(wizard, step))
    except AlreadyProcessed:
        pass
    raise ApplicationHandlerStop


async def photo_answer(update: Update, context: BotContext) -> None:
    """A photo from someone in the wizard: with an item line as its caption, that item with
    its picture; without a caption, the purchase's picture. Anyone else's photo goes on to
    the other handlers (a payment receipt)."""
    message = update.effective_message
    assert message is not None and message.photo
    caption = (message.caption or "").strip()
    if caption.startswith("/"):
        return  # a command's photo (/edit 12 with a new photo)
    wizard = await _load(update, context)
    if wizard is None:
        return
    t = person_translator(update, context, wizard.community)
    rt = context.runtime
    file_id = message.photo[-1].file_id
    try:
        if caption:
            wizard.answer(Step.ITEM_PHOTO, f"{file_id}\n{caption}", rt.clock(),
                          rt.settings.max_fee_percent)  # fmt: skip
        else:
            wizard.answer(Step.PHOTO, file_id, rt.clock(), rt.settings.max_fee_percent)
    except FormError as error:
        await message.reply_text(
            t.gettext(
                "That doesn't work: {reason}. Send the photo again with the item as its caption, "
                "e.g. Honey 1 kg | 12.50"
            ).format(reason=t.reason(error))
        )
        raise ApplicationHandlerStop from None
    try:
        await _save(update, context, wizard, wizard.community.chat_id)
        if caption:
            said = t.gettext("Added item {number}: {name}, with its photo.").format(
                number=last_added(wizard.form)[0], name=last_added(wizard.form)[1]
            )
        else:
            said = t.gettext("This is the purchase's photo now: it comes above its card.")
        if wizard.step in (Step.ITEMS, Step.PREVIEW):
            await message.reply_text(said, reply_markup=step_keyboard(t, wizard.step, wizard))
        else:  # the question the head was answering, again
            await _question(update, context, wizard, wizard.step, said)
    except AlreadyProcessed:
        pass
    raise ApplicationHandlerStop


async def not_a_photo(update: Update, context: BotContext) -> None:
    """A picture sent as a file, or a sticker, from someone in the wizard: Telegram keeps no
    photo of it, so it cannot go above a card."""
    message = update.effective_message
    assert message is not None
    wizard = await _load(update, context)
    if wizard is None:
        return
    t = person_translator(update, context, wizard.community)
    await message.reply_text(
        t.gettext(
            "That is not a photo (a file or a sticker): nothing was added. Send the picture as "
            "a photo, with the item as its caption for an item's picture."
        )
    )
    raise ApplicationHandlerStop


# The head's latest price lists offered at the items question, at most.
OFFERED_PRICE_LISTS = 3


async def _price_list_items(
    update: Update, context: BotContext, wizard: Wizard, list_id: int, t: Translator
) -> None:
    """📋 Items of <supplier> at the items question: that price list's items, added."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        price_list = await uow.price_lists.get(list_id, user.id)
    if price_list is None:
        await context.bot.send_message(chat.id, t.gettext("This button is no longer valid."))
        return
    try:
        left_out = add_price_list(wizard, price_list, rt.clock(), rt.settings.max_fee_percent)
    except FormError as error:
        await context.bot.send_message(
            chat.id, t.gettext("Nothing was added: {reason}").format(reason=t.reason(error))
        )
        return
    await _save(update, context, wizard, wizard.community.chat_id)
    count = t.ngettext(
        "{count} item now. Send another, or press Done.",
        "{count} items now. Send another, or press Done.",
        goods_count(wizard.form.items),
    ).format(count=goods_count(wizard.form.items))
    await context.bot.send_message(
        chat.id, " ".join(filter(None, (left_out_note(t, left_out), count))),
        reply_markup=step_keyboard(t, Step.ITEMS, wizard),
    )  # fmt: skip


@on_press
async def use_price_list(press: Press) -> None:
    """Open a purchase with these items, under a price list's preview: the list's supplier
    and items added to the purchase the head is making in that community (what they typed
    is kept, and they go on where they were), or to a new one, asked the rest."""
    user_id = press.actor.user_id
    async with press.rt.database.unit_of_work() as uow:
        price_list = await uow.price_lists.get(press.callback.args[0], user_id)
    community = await _last_community(press.context, user_id)
    if price_list is None or community is None:
        await press.query.answer(press.t.gettext("This button is no longer valid."))
        return
    await press.query.answer()
    if not await _may_open(press.update, press.context, community):
        return
    wizard = await _load(press.update, press.context)
    if wizard is None or wizard.community.chat_id != community.chat_id:
        wizard = Wizard(community, last_pay_to=await _last_pay_to(press.context, user_id))
    try:
        left_out = add_price_list(
            wizard, price_list, press.rt.clock(), press.rt.settings.max_fee_percent
        )
    except FormError as error:
        await press.context.bot.send_message(
            user_id, press.t.gettext("Nothing was added: {reason}").format(
                reason=press.t.reason(error)
            ),
        )  # fmt: skip
        return
    intro = _items_in(press.t, wizard).format(supplier=price_list.supplier, title=community.title)
    intro = "\n".join(filter(None, (intro, left_out_note(press.t, left_out))))
    with contextlib.suppress(AlreadyProcessed):
        await _ask(press.update, press.context, wizard, wizard.step, intro)


def _items_in(t: Translator, wizard: Wizard) -> str:
    """What the head hears of a price list's items added where her wizard is: at its preview
    she sees it again, changing one answer she goes on with it, else the questions go on."""
    if wizard.step is Step.PREVIEW:
        return t.gettext("The items of {supplier} are in. Here is your purchase in {title} now.")
    if wizard.editing:
        return t.gettext(
            "The items of {supplier} are in. Go on with the answer you were changing in "
            "{title}; the preview follows."
        )
    return t.gettext("The items of {supplier} are in. Now the rest of the purchase in {title}.")


@on_press
async def open_again(press: Press) -> None:
    """🔁 Open again on a finished purchase's panel: a new purchase in the making with its
    terms, items and photos and its dates a whole number of weeks later, shown as the preview
    to publish, or to change first."""
    try:
        purchase = await managed_purchase(press.context, press.callback.args[0], press.actor)
        if purchase.status not in FINISHED:
            raise IllegalTransition(N_("a purchase is opened again once it is finished"))
        community = await load_community(press.context, purchase.community_id)
        if community is None:
            raise NotFound(N_("no such community"))
    except DomainError as error:
        await press.query.answer(not_done(press.t, error))
        return
    await press.query.answer()
    if not await _may_open(press.update, press.context, community):
        return
    now, max_fee = press.rt.clock(), press.rt.settings.max_fee_percent
    again = again_of(purchase, community.timezone, now)
    last_pay_to = await _last_pay_to(press.context, press.actor.user_id)
    wizard = Wizard(community, template=again.template, last_pay_to=last_pay_to)
    try:
        wizard.form = parse_template(again.template, wizard.context(now))
        wizard.items_again()
        left_out = add_lines(wizard, again.items, now, max_fee)  # an old purchase's twins
        if again.photo:
            wizard.answer(Step.PHOTO, again.photo, now, max_fee)
    except FormError as error:  # a rule that changed since (a lower fee cap)
        await press.context.bot.send_message(
            press.query.from_user.id,
            press.t.gettext("It cannot be opened again as it was: {reason}").format(
                reason=press.t.reason(error)
            ),
        )
        return
    with contextlib.suppress(AlreadyProcessed):
        await _ask(
            press.update, press.context, wizard, Step.PREVIEW, left_out_note(press.t, left_out)
        )


@on_press
async def adopt_campaign(press: Press) -> None:
    """🤝 Sell <campaign> in <community> (from /campaigns in the private chat): a purchase in
    the making with the campaign's items and cut-off, shown as the preview to complete."""
    campaign_id, community_id = press.callback.args
    now = press.rt.clock()
    try:
        community = await load_community(press.context, community_id)
        if community is None:
            raise NotFound(N_("no such community"))
        campaign = await services.campaign_to_adopt(
            press.rt.database.unit_of_work(), campaign_id, community, now
        )
    except DomainError as error:
        await press.query.answer(not_done(press.t, error), show_alert=True)
        return
    await press.query.answer()
    if not await _may_open(press.update, press.context, community):
        return
    template = campaign_template(campaign, community.timezone)
    last_pay_to = await _last_pay_to(press.context, press.actor.user_id)
    wizard = Wizard(community, template=template, campaign=campaign, last_pay_to=last_pay_to)
    wizard.form = parse_template(template, wizard.context(now))
    _pay_as_last_time(wizard, now, press.rt.settings.max_fee_percent)
    intro = press.t.gettext(
        "{campaign} in {title}: add where and when members pick up (Edit → Pickup; or later, "
        "with /arrived, when the goods come), change your prices within the campaign's range "
        "or your fee if you like, then publish."
    ).format(campaign=campaign.title, title=community.title)
    await press.context.bot.send_message(press.query.from_user.id, intro)
    with contextlib.suppress(AlreadyProcessed):
        await _ask(press.update, press.context, wizard, Step.PREVIEW)


async def button(update: Update, context: BotContext) -> None:
    """Skip, Done, Publish, Edit, Cancel and the field list, checked against the wizard's step."""
    query = update.callback_query
    assert query is not None
    wizard = await _load(update, context)
    callback = decode(query.data)
    t = person_translator(update, context, wizard.community if wizard else None)
    if wizard is None or callback is None or not is_current(wizard, callback.action, callback.args):
        # A button of an earlier question, or of a wizard that ended: it changes nothing.
        await query.answer(t.gettext("This button is no longer valid."))
        return
    await query.answer()
    try:
        await _pressed(update, context, wizard, callback.action, callback.args, t)
    except AlreadyProcessed:
        return


async def _pressed(
    update: Update,
    context: BotContext,
    wizard: Wizard,
    action: Action,
    args: tuple[int, ...],
    t: Translator,
) -> None:
    """What a current button does (`is_current` said it belongs to this question)."""
    step, now = wizard.step, context.runtime.clock()
    if action is Action.WIZARD_CANCEL:
        await _cancel(update, context, wizard)
    elif action is Action.WIZARD_DONE:
        try:
            wizard.check_items_done()
        except FormError as error:
            await _items_not_done(update, context, wizard, t, error)
            return
        await _ask(update, context, wizard, step_after(wizard, step))
    elif action is Action.WIZARD_SKIP:
        await _ask(update, context, wizard, step_after(wizard, step))
    elif action is Action.WIZARD_CHOICE:
        if step is Step.PAYMENT:
            value = PAYMENT_CHOICES[args[1]].value
        elif step in TYPED_CHOICES:
            value = TYPED_CHOICES[step][args[1]]
        elif step is Step.PICKUP:
            value = saved_point_answer(wizard, now)
        else:
            value = wizard.last_pay_to
        wizard.answer(step, value, now, context.runtime.settings.max_fee_percent)
        await _ask(update, context, wizard, step_after(wizard, step))
    elif action is Action.WIZARD_EDIT:
        await edit_menu(update, context, t)
    elif action is Action.WIZARD_FIELD and args[0] == Step.PREVIEW:
        await _ask(update, context, wizard, Step.PREVIEW)
    elif action is Action.WIZARD_FIELD:
        wizard.editing = True
        field_step = Step(args[0])
        if field_step is Step.ITEMS:
            wizard.items_again()
        await _ask(update, context, wizard, field_step)
    elif action is Action.WIZARD_ACCESS:  # the preview, redrawn in place
        wizard.form.open_to_link = bool(args[0])
        await _save(update, context, wizard, wizard.community.chat_id)
        pressed = update.callback_query.message if update.callback_query else None
        await show_preview(
            update, context, wizard, edit=pressed if isinstance(pressed, Message) else None
        )
    elif action is Action.WIZARD_PUBLISH:
        await publish(update, context, wizard, t)
    elif action is Action.WIZARD_PRICE_LIST:
        await _price_list_items(update, context, wizard, args[0], t)


async def _items_not_done(
    update: Update,
    context: BotContext,
    wizard: Wizard,
    t: Translator,
    error: FormError,
) -> None:
    """Done refused: why, with the items question's buttons; what was typed stays."""
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id,
        t.gettext("Not yet: {reason}. The items you sent are kept: send the rest, then press "
                  "Done.").format(reason=t.reason(error)),
        reply_markup=step_keyboard(t, Step.ITEMS, wizard),
    )  # fmt: skip


async def back(update: Update, context: BotContext) -> None:
    """/back: the previous question."""
    wizard = await _load(update, context)
    if wizard is None:
        return
    step = wizard.step
    if wizard.editing:  # one field changed from the preview: back to the preview
        previous = Step.PREVIEW
        if wizard.answers and wizard.answers[-1] == (Step.ITEMS, None):
            # Items (enter again), and none sent yet: the items as they were.
            state = wizard.state()
            state["answers"].pop()
            rt = context.runtime
            wizard = Wizard.restored(
                state, wizard.community, rt.clock(), rt.settings.max_fee_percent, wizard.campaign
            )
    elif step is Step.PREVIEW:
        previous = Step.PAY_BY if wizard.form.payment_mode is PaymentMode.PREPAY else Step.PAY_TO
    elif step is Step.DELIVERY_SPLIT:
        previous = Step.DELIVERY
    else:
        previous = Step(max(step - 1, Step.TITLE))
    with contextlib.suppress(AlreadyProcessed):  # a redelivered /back was taken before
        await _ask(update, context, wizard, previous)
    raise ApplicationHandlerStop


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: drop the purchase being made; nothing was saved."""
    wizard = await _load(update, context)
    if wizard is None:
        return
    with contextlib.suppress(AlreadyProcessed):
        await _cancel(update, context, wizard)
    raise ApplicationHandlerStop


async def _cancel(update: Update, context: BotContext, wizard: Wizard) -> None:
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
                       Action.WIZARD_CHOICE, Action.WIZARD_PRICE_LIST, Action.WIZARD_ACCESS)
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
        (
            MessageHandler(
                private & filters.PHOTO & filters.CaptionRegex(NEW_COMMAND), new_in_private
            ),
            WIZARD_GROUP,
        ),
        (MessageHandler(private & filters.PHOTO, photo_answer), WIZARD_GROUP),
        (
            MessageHandler(private & (filters.Document.IMAGE | filters.Sticker.ALL), not_a_photo),
            WIZARD_GROUP,
        ),
        *buttons,
        *on_buttons(open_again, Action.HEAD_AGAIN),
        *on_buttons(use_price_list, Action.PRICE_LIST_USE),
        *on_buttons(adopt_campaign, Action.CAMPAIGN_ADOPT),
    ]


HANDLERS = _wizard_handlers()
