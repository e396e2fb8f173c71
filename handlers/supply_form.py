"""What the supplier confirmed: the head gets a form of the order to copy, change and send
back with /supply; the domain re-allocates and members are told."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ContextTypes,
)

from domain import services
from domain.errors import DomainError
from domain.permissions import Actor
from domain.ports import AlreadyProcessed
from domain.purchase import Purchase
from handlers.purchase_card import not_done
from handlers.runtime import (
    Registration,
    actor_for,
    in_private,
    managed_purchase,
    person_translator,
    purchase_command,
    runtime,
)
from texts.i18n import Translator


def supply_form(t: Translator, purchase: Purchase) -> str:
    """The head's form: the command and one line per item with what is in the order now."""
    lines = [f"/supply {purchase.id}"]
    for item in purchase.items:
        confirmed = purchase.supply.get(item.item_id)
        ordered = purchase.ordered_units(item.item_id)
        units = ordered if confirmed is None else confirmed.units
        note = (
            t.gettext("ordered {units}, packs of {size}").format(units=ordered, size=item.pack_size)
            if item.pack_size > 1
            else t.gettext("ordered {units}").format(units=ordered)
        )
        lines.append(f"{item.item_id}. {item.name}: {units} ({note})")
    return "\n".join(lines)


async def send_supply_form(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    purchase = await managed_purchase(context, purchase_id, actor)
    await context.bot.send_message(
        chat.id,
        t.gettext(
            "What did the supplier confirm? Copy the next message, change the units (whole "
            "packs), add @ and the new unit price where it changed (1. Honey: 6 @ 13.00), and "
            "send it back. Members who get less are told, and the amounts follow."
        ),
    )
    await context.bot.send_message(chat.id, supply_form(t, purchase))


async def supplier_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/supply <purchase> with one line per item: what the supplier confirmed."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = runtime(context)
    purchase_id, rest = purchase_command(message.text)
    if purchase_id is None:
        await message.reply_text(
            t.gettext("Press “What the supplier confirmed” on the purchase's panel (/purchases).")
        )
        return
    actor = actor_for(update, context)
    try:
        if not rest:
            await send_supply_form(update, context, purchase_id, actor, t)
            return
        changed = await services.confirm_supply(
            rt.database.unit_of_work(update.update_id), purchase_id, actor, rest
        )
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    await message.reply_text(
        t.ngettext(
            "Saved. {count} member gets their new lines and amount.",
            "Saved. {count} members get their new lines and amounts.",
            len(changed),
        ).format(count=len(changed))
        if changed
        else t.gettext("Saved. No member's lines or amount changed.")
    )


HANDLERS: list[Registration] = [in_private("supply", supplier_confirmed)]
