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
from typing import Any

from telegram import Update
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
from domain.form_fields import (
    FormError,
)
from domain.ports import AlreadyProcessed
from domain.purchase import PaymentMode
from domain.purchase_form import parse_template
from handlers.runtime import (
    is_chat_admin,
    is_chat_member,
    load_community,
    person_translator,
    runtime,
)
from handlers.wizard_preview import edit_menu, publish, show_preview
from handlers.wizard_steps import (
    DONE,
    PAYMENT_CHOICES,
    TYPED_CHOICES,
    WIZARD,
    Step,
    Wizard,
    is_current,
    prompt,
    step_after,
    step_keyboard,
)
from texts.callback_data import Action, Start, decode, is_action, parse_start
from texts.i18n import Translator


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
        await show_preview(update, context, wizard)
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
        reply_markup=step_keyboard(t, step, wizard),
    )


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
                reply_markup=step_keyboard(t, step, wizard),
            )
        else:
            await _ask(update, context, wizard, step_after(wizard, step))
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
    context: ContextTypes.DEFAULT_TYPE,
    wizard: Wizard,
    action: Action,
    args: tuple[int, ...],
    t: Translator,
) -> None:
    """What a current button does (`is_current` said it belongs to this question)."""
    step, now = wizard.step, runtime(context).clock()
    if action is Action.WIZARD_CANCEL:
        await _cancel(update, context, wizard)
    elif action in (Action.WIZARD_SKIP, Action.WIZARD_DONE):
        await _ask(update, context, wizard, step_after(wizard, step))
    elif action is Action.WIZARD_CHOICE:
        if step is Step.PAYMENT:
            value = PAYMENT_CHOICES[args[1]].value
        elif step in TYPED_CHOICES:
            value = TYPED_CHOICES[step][args[1]]
        else:
            value = wizard.last_pay_to
        wizard.answer(step, value, now, runtime(context).settings.max_fee_percent)
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
    elif action is Action.WIZARD_PUBLISH:
        await publish(update, context, wizard, t)


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
