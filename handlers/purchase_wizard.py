"""Opening a purchase in the private chat: a step-by-step wizard, or the pasted template,
ending in a preview with Publish / Edit / Cancel. Both use domain.purchase_form's parsers.
Where the head is in it is kept in the database (`handlers/wizard_flow.py`); a price list, a
campaign or a finished purchase may fill it instead (`handlers/wizard_sources.py`).
"""

from __future__ import annotations

import contextlib
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

from domain.community import Community
from domain.form_fields import FormError
from domain.ports import AlreadyProcessed
from domain.purchase import PaymentMode
from domain.purchase_form import parse_template
from handlers.new_purchase import NEW_COMMAND
from handlers.runtime import BotContext, load_community, person_translator
from handlers.wizard_flow import (
    ask,
    last_community,
    last_pay_to,
    load_wizard,
    may_open,
    pay_as_last_time,
    put_question,
    save_wizard,
)
from handlers.wizard_preview import edit_menu, publish, show_preview
from handlers.wizard_sources import price_list_items
from handlers.wizard_steps import (
    PAYMENT_CHOICES,
    TYPED_CHOICES,
    Step,
    Wizard,
    is_current,
    last_added,
    saved_point_answer,
    step_after,
    step_keyboard,
)
from texts.callback_data import Action, Start, decode, is_action, parse_start
from texts.i18n import Translator


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


async def _begin(
    update: Update, context: BotContext, community: Community, photo: str = ""
) -> None:
    user = update.effective_user
    assert user is not None
    if not await may_open(update, context, community):
        return
    t = person_translator(update, context, community)
    wizard = Wizard(community, last_pay_to=await last_pay_to(context, user.id))
    if photo:
        rt = context.runtime
        wizard.answer(Step.PHOTO, photo, rt.clock(), rt.settings.max_fee_percent)
    intro = t.gettext("Let's open a purchase in {title}. I'll ask a few questions.").format(
        title=community.title
    )
    try:
        await ask(update, context, wizard, Step.TITLE, intro)
    except AlreadyProcessed:
        return


async def new_in_private(update: Update, context: BotContext) -> None:
    """/new in the private chat: the template after it, or the wizard, for the last community;
    sent as a photo's caption, the photo is the purchase's."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    text = message.text or message.caption or ""
    photo = message.photo[-1].file_id if message.photo else ""
    t = person_translator(update, context)
    community = await last_community(context, user.id)
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
    wizard = Wizard(community, template=body, last_pay_to=await last_pay_to(context, user.id))
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
    pay_as_last_time(wizard, context.runtime.clock(), context.runtime.settings.max_fee_percent)
    try:
        await ask(update, context, wizard, Step.PREVIEW)
    except AlreadyProcessed:
        return


async def answer(update: Update, context: BotContext) -> None:
    """Text in the private chat of someone in the wizard: the answer to their question, parsed
    on the spot (on error the question stays). Anyone else's text goes to the other handlers."""
    message = update.effective_message
    assert message is not None and message.text is not None
    wizard = await load_wizard(update, context)
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
            await save_wizard(update, context, wizard, wizard.community.chat_id)
            await message.reply_text(
                t.gettext("Added item {number}: {name}. Send another, or press Done.").format(
                    number=last_added(wizard.form)[0], name=last_added(wizard.form)[1]
                ),
                reply_markup=step_keyboard(t, step, wizard),
            )
        else:
            await ask(update, context, wizard, step_after(wizard, step))
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
    wizard = await load_wizard(update, context)
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
        await save_wizard(update, context, wizard, wizard.community.chat_id)
        if caption:
            said = t.gettext("Added item {number}: {name}, with its photo.").format(
                number=last_added(wizard.form)[0], name=last_added(wizard.form)[1]
            )
        else:
            said = t.gettext("This is the purchase's photo now: it comes above its card.")
        if wizard.step in (Step.ITEMS, Step.PREVIEW):
            await message.reply_text(said, reply_markup=step_keyboard(t, wizard.step, wizard))
        else:  # the question the head was answering, again
            await put_question(update, context, wizard, wizard.step, said)
    except AlreadyProcessed:
        pass
    raise ApplicationHandlerStop


async def not_a_photo(update: Update, context: BotContext) -> None:
    """A picture sent as a file, or a sticker, from someone in the wizard: Telegram keeps no
    photo of it, so it cannot go above a card."""
    message = update.effective_message
    assert message is not None
    wizard = await load_wizard(update, context)
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


async def button(update: Update, context: BotContext) -> None:
    """Skip, Done, Publish, Edit, Cancel and the field list, checked against the wizard's step."""
    query = update.callback_query
    assert query is not None
    wizard = await load_wizard(update, context)
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
        await ask(update, context, wizard, step_after(wizard, step))
    elif action is Action.WIZARD_SKIP:
        await ask(update, context, wizard, step_after(wizard, step))
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
        await ask(update, context, wizard, step_after(wizard, step))
    elif action is Action.WIZARD_EDIT:
        await edit_menu(update, context, t)
    elif action is Action.WIZARD_FIELD and args[0] == Step.PREVIEW:
        await ask(update, context, wizard, Step.PREVIEW)
    elif action is Action.WIZARD_FIELD:
        wizard.editing = True
        field_step = Step(args[0])
        if field_step is Step.ITEMS:
            wizard.items_again()
        await ask(update, context, wizard, field_step)
    elif action is Action.WIZARD_ACCESS:  # the preview, redrawn in place
        wizard.form.open_to_link = bool(args[0])
        await save_wizard(update, context, wizard, wizard.community.chat_id)
        pressed = update.callback_query.message if update.callback_query else None
        await show_preview(
            update, context, wizard, edit=pressed if isinstance(pressed, Message) else None
        )
    elif action is Action.WIZARD_PUBLISH:
        await publish(update, context, wizard, t)
    elif action is Action.WIZARD_PRICE_LIST:
        await price_list_items(update, context, wizard, args[0], t)


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
    wizard = await load_wizard(update, context)
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
        await ask(update, context, wizard, previous)
    raise ApplicationHandlerStop


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: drop the purchase being made; nothing was saved."""
    wizard = await load_wizard(update, context)
    if wizard is None:
        return
    with contextlib.suppress(AlreadyProcessed):
        await _cancel(update, context, wizard)
    raise ApplicationHandlerStop


async def _cancel(update: Update, context: BotContext, wizard: Wizard) -> None:
    await save_wizard(update, context, None, wizard.community.chat_id)
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
    ]


HANDLERS = _wizard_handlers()
