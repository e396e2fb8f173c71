"""Where a head is in the purchase wizard, and asking on from there; and what every way of
opening a purchase checks and fills in first (who may open one in the community, where members
paid last time).

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

from telegram import Update

from domain.community import Community
from domain.form_fields import FormError
from handlers.runtime import (
    BotContext,
    head_community,
    is_chat_admin,
    is_chat_member,
    person_translator,
)
from handlers.wizard_preview import show_preview
from handlers.wizard_prompts import prompt
from handlers.wizard_steps import DONE, WIZARD, Step, Wizard, step_keyboard

# The head's latest price lists offered at the items question, at most.
OFFERED_PRICE_LISTS = 3


async def load_wizard(update: Update, context: BotContext) -> Wizard | None:
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


async def save_wizard(
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


async def ask(
    update: Update, context: BotContext, wizard: Wizard, step: Step, intro: str = ""
) -> None:
    """Go to `step`, keep that, and ask its question (or show the preview), after `intro`."""
    wizard.step = step
    if step is Step.PREVIEW:
        wizard.editing = False
    await save_wizard(update, context, wizard, wizard.community.chat_id)
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
    await put_question(update, context, wizard, step, intro)


async def put_question(
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


async def may_open(update: Update, context: BotContext, community: Community) -> bool:
    """Whether the person may open a purchase in `community`; when not, they are told why."""
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


async def last_pay_to(context: BotContext, head_id: int) -> str:
    """Where the head's members paid last time, offered again in the wizard."""
    async with context.runtime.database.unit_of_work() as uow:
        return await uow.purchases.last_pay_to(head_id)


def pay_as_last_time(wizard: Wizard, now: datetime, max_fee: Decimal) -> None:
    """A purchase made whole at once (a template, a campaign) without where members pay takes
    the head's details of last time, shown in the preview (*Edit* → *Pay to* changes them)."""
    if not wizard.form.pay_to and wizard.last_pay_to:
        # A template that breaks a rule is shown with its problem in the preview.
        with contextlib.suppress(FormError):
            wizard.answer(Step.PAY_TO, wizard.last_pay_to, now, max_fee)


async def last_community(context: BotContext, user_id: int) -> Community | None:
    """The community the person last opened (or began to open) a purchase in."""
    async with context.runtime.database.unit_of_work() as uow:
        return await head_community(uow, user_id)
