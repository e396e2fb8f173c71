"""Editing an open purchase: the head gets its editable terms as a form to copy, change and
send back with /edit; members whose deadline or pickup moved are told."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import (
    MessageHandler,
    filters,
)

from domain import services
from domain.community import Community
from domain.errors import N_, DomainError, NotFound
from domain.form_fields import FormError
from domain.permissions import Actor, ensure_can_manage
from domain.ports import AlreadyProcessed
from domain.purchase import PaymentMode, Purchase
from domain.purchase_form import PurchaseEdit, TemplateContext, parse_edit
from domain.template_lines import item_template, slot_template
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Registration,
    actor_for,
    in_private,
    person_translator,
    purchase_command,
)
from texts.card_view import check_card_fits
from texts.i18n import Translator

LOCAL_FORMAT = "%Y-%m-%d %H:%M"


def edit_form(t: Translator, purchase: Purchase, community: Community, now: datetime) -> str:
    """The terms that may change, as template lines in the reader's language: while orders
    are open everything members did not join for (items only while nobody ordered them),
    after the stop where and by when to pay."""
    zone = ZoneInfo(community.timezone)
    # Each key is looked up outside the f-strings, where the catalogs' extractor finds it.
    key = {
        "title": t.gettext("Title"), "description": t.gettext("Description"),
        "deadline": t.gettext("Deadline"), "pickup": t.gettext("Pickup"),
        "item": t.gettext("Item"), "pay_to": t.gettext("Pay to"), "pay_by": t.gettext("Pay by"),
    }  # fmt: skip
    lines = [f"/edit {purchase.id}"]
    if purchase.accepts_orders(now):
        lines += [
            f"{key['title']}: {purchase.title}",
            f"{key['description']}: {purchase.description}",
            f"{key['deadline']}: {purchase.deadline.astimezone(zone).strftime(LOCAL_FORMAT)}",
        ]
        lines += [
            f"{key['pickup']}: {slot_template(slot, community.timezone)}"
            for slot in purchase.pickup_slots
        ]
        ordered = {request.item_id for request in purchase.requests}
        lines += [
            f"{key['item']}: {item_template(item)}"
            for item in purchase.items
            if item.item_id not in ordered
        ]
    lines.append(f"{key['pay_to']}: {purchase.pay_to}")
    if purchase.payment_mode is PaymentMode.PREPAY:
        pay_by = purchase.pay_by.astimezone(zone).strftime(LOCAL_FORMAT) if purchase.pay_by else ""
        lines.append(f"{key['pay_by']}: {pay_by}")
    return "\n".join(lines)


async def send_edit_form(
    update: Update,
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    async with context.runtime.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is None or community is None:
        raise NotFound(N_("no such purchase"))
    ensure_can_manage(purchase, actor)
    await context.bot.send_message(
        chat.id,
        t.gettext(
            "Copy the next message, change what you need, delete the lines you keep as they "
            "are, and send it back. Items appear only while nobody has ordered them; the fee, "
            "minimum and delivery stay as members joined for them. After the stop only where "
            "and by when to pay can change."
        )
        + "\n"
        + t.gettext(
            "A new photo: send it with the form's first line as its caption, and a line "
            "Photo: <item> under it for an item's photo."
        ),
    )
    await context.bot.send_message(
        chat.id, edit_form(t, purchase, community, context.runtime.clock())
    )


async def edit_command(update: Update, context: BotContext) -> None:
    """/edit <purchase> with `Key: value` lines: change the terms while orders are open."""
    message = update.effective_message
    assert message is not None
    text = message.text or message.caption or ""
    photo = message.photo[-1].file_id if message.photo else None
    t = person_translator(update, context)
    rt = context.runtime
    purchase_id, rest = purchase_command(text)
    if purchase_id is None:
        await message.reply_text(t.gettext("Press “Edit” on the purchase's panel (/purchases)."))
        return
    actor = actor_for(update, context)
    now = rt.clock()
    try:
        if not rest and photo is None:
            await send_edit_form(update, context, purchase_id, actor, t)
            return
        async with rt.database.unit_of_work() as uow:
            purchase, community = await uow.purchase_and_community(purchase_id)
        if purchase is None or community is None:
            raise NotFound(N_("no such purchase"))
        edit = (
            parse_edit(
                rest,
                TemplateContext(purchase.currency, community.timezone, now),
                first_line=text[: text.find(rest)].count("\n") + 1,  # the /edit line counts
            )
            if rest
            else PurchaseEdit()
        )
        if photo is not None:
            edit = edit.with_photo(photo)
        elif edit.photo_of is not None:
            raise FormError(N_("send the photo with the Photo: line as its caption"))
        timezone = community.timezone
        changed = await services.edit_purchase(
            rt.database.unit_of_work(update.update_id), purchase_id, actor, edit, now,
            check=lambda edited: check_card_fits(edited, timezone, now),
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    if not changed:
        await message.reply_text(t.gettext("Nothing changed: those are the terms already."))
        return
    rt.cards.request(purchase_id)
    rt.timeline.plan(purchase_id)  # the deadline and pickup timers, at once
    if changed == ("photo",) or (photo is not None and changed == ("items",)):
        await message.reply_text(
            t.gettext(
                "Saved. Members see the new photo in Details and in their order; the chat keeps "
                "the photos the card was published with."
            )
        )
        return
    await message.reply_text(t.gettext("Saved. The card shows the new terms."))


HANDLERS: list[Registration] = [
    in_private("edit", edit_command),
    # A photo with "/edit 12" as its caption: the purchase's photo, or "Photo: Honey" an item's.
    (
        MessageHandler(
            filters.ChatType.PRIVATE & filters.PHOTO & filters.CaptionRegex(r"^/edit(@\w+)?(\s|$)"),
            edit_command,
        ),
        0,
    ),
]
