"""A purchase in the making filled from something the head has rather than typed: a saved
price list (its items at the items question, or "Open a purchase with these items" under its
preview), a campaign adopted in her community, a finished purchase opened again."""

from __future__ import annotations

import contextlib

from telegram import Update

from domain import services
from domain.campaign_form import campaign_template
from domain.errors import N_, DomainError, IllegalTransition, NotFound
from domain.form_fields import FormError
from domain.ports import AlreadyProcessed
from domain.purchase import FINISHED
from domain.purchase_form import parse_template
from domain.template_lines import again_of
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    load_community,
    managed_purchase,
    on_buttons,
    on_press,
)
from handlers.wizard_flow import (
    ask,
    last_community,
    last_pay_to,
    load_wizard,
    may_open,
    pay_as_last_time,
    save_wizard,
)
from handlers.wizard_items import add_lines, add_price_list, left_out_note
from handlers.wizard_steps import Step, Wizard, step_keyboard
from texts.callback_data import Action
from texts.catalog_view import goods_count
from texts.i18n import Translator


async def price_list_items(
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
    await save_wizard(update, context, wizard, wizard.community.chat_id)
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
    community = await last_community(press.context, user_id)
    if price_list is None or community is None:
        await press.query.answer(press.t.gettext("This button is no longer valid."))
        return
    await press.query.answer()
    if not await may_open(press.update, press.context, community):
        return
    wizard = await load_wizard(press.update, press.context)
    if wizard is None or wizard.community.chat_id != community.chat_id:
        wizard = Wizard(community, last_pay_to=await last_pay_to(press.context, user_id))
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
        await ask(press.update, press.context, wizard, wizard.step, intro)


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
    if not await may_open(press.update, press.context, community):
        return
    now, max_fee = press.rt.clock(), press.rt.settings.max_fee_percent
    again = again_of(purchase, community.timezone, now)
    pay_to = await last_pay_to(press.context, press.actor.user_id)
    wizard = Wizard(community, template=again.template, last_pay_to=pay_to)
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
        await ask(
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
    if not await may_open(press.update, press.context, community):
        return
    template = campaign_template(campaign, community.timezone)
    pay_to = await last_pay_to(press.context, press.actor.user_id)
    wizard = Wizard(community, template=template, campaign=campaign, last_pay_to=pay_to)
    wizard.form = parse_template(template, wizard.context(now))
    pay_as_last_time(wizard, now, press.rt.settings.max_fee_percent)
    intro = press.t.gettext(
        "{campaign} in {title}: add where and when members pick up (Edit → Pickup; or later, "
        "with /arrived, when the goods come), change your prices within the campaign's range "
        "or your fee if you like, then publish."
    ).format(campaign=campaign.title, title=community.title)
    await press.context.bot.send_message(press.query.from_user.id, intro)
    with contextlib.suppress(AlreadyProcessed):
        await ask(press.update, press.context, wizard, Step.PREVIEW)


HANDLERS: list[Registration] = [
    *on_buttons(open_again, Action.HEAD_AGAIN),
    *on_buttons(use_price_list, Action.PRICE_LIST_USE),
    *on_buttons(adopt_campaign, Action.CAMPAIGN_ADOPT),
]
