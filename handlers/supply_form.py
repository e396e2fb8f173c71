"""What the supplier confirmed, and what goods sold by weight weigh: the head gets a form to
copy, fill in and send back with /supply (or /weights); the domain re-allocates or re-prices and
members are told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from domain import services, weights
from domain.errors import N_, DomainError, NotFound
from domain.permissions import Actor
from domain.ports import AlreadyProcessed, UnitOfWork
from domain.purchase import Purchase
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Registration,
    actor_for,
    in_private,
    managed_purchase,
    person_translator,
    purchase_command,
)
from texts.i18n import Translator

FormSender = Callable[[Update, BotContext, int, Actor, Translator], Awaitable[None]]


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
        lines.append(f"{item.item_id}. {item.label}: {units} ({note})")
    return "\n".join(lines)


async def _send_form(update: Update, context: BotContext, how: str, form: str) -> None:
    """How to fill the form in, then the form to copy: two messages."""
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, how)
    await context.bot.send_message(chat.id, form)


async def send_supply_form(
    update: Update,
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    purchase = await managed_purchase(context, purchase_id, actor)
    how = t.gettext(
        "What did the supplier confirm? Copy the next message, change the units (whole "
        "packs), add @ and the new unit price where it changed (1. Honey: 6 @ 13.00), and "
        "send it back. Members who get less are told, and the amounts follow."
    )
    await _send_form(update, context, how, supply_form(t, purchase))


def weights_form(t: Translator, purchase: Purchase) -> str:
    """The head's form: one numbered line per member's goods sold by weight, the estimate (or
    the weight entered) after the colon, to be overwritten with what the scale says."""
    lines = [f"/weights {purchase.id}"]
    for line in weights.weighing_lines(purchase):
        name = purchase.members[line.member_id].name if line.member_id in purchase.members else ""
        item = purchase.item(line.item_id)
        grams = line.grams if line.grams is not None else line.estimate_grams
        note = t.ngettext("{count} piece", "{count} pieces", line.units).format(count=line.units)
        lines.append(f"{line.number}. {name} — {item.label}, {note}: {t.kilograms(grams)}")
    return "\n".join(lines)


async def send_weights_form(
    update: Update,
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    t: Translator,
) -> None:
    purchase = await managed_purchase(context, purchase_id, actor)
    if not weights.weighing_lines(purchase):
        raise NotFound(N_("nobody gets goods sold by weight in this purchase"))
    how = t.gettext(
        "What do the goods weigh? Copy the next message, write each member's weight in kg "
        "after the colon (3: 1.04), delete the lines you have not weighed yet, and send it "
        "back. Each member is told their amount, and what they paid is settled against it."
    )
    await _send_form(update, context, how, weights_form(t, purchase))


async def _form_answer(
    update: Update,
    context: BotContext,
    usage: str,
    send_form: FormSender,
    save: Callable[[UnitOfWork, int, Actor, str], Awaitable[list[int]]],
) -> None:
    """/supply or /weights <purchase> with the form's lines: saved, and who it moved."""
    message = update.effective_message
    assert message is not None and message.text is not None
    t = person_translator(update, context)
    rt = context.runtime
    purchase_id, rest = purchase_command(message.text)
    if purchase_id is None:
        await message.reply_text(t.gettext(usage))
        return
    actor = actor_for(update, context)
    try:
        if not rest:
            await send_form(update, context, purchase_id, actor, t)
            return
        changed = await save(rt.database.unit_of_work(update.update_id), purchase_id, actor, rest)
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


async def supplier_confirmed(update: Update, context: BotContext) -> None:
    """/supply <purchase> with one line per item: what the supplier confirmed."""
    usage = N_("Press “What the supplier confirmed” on the purchase's panel (/purchases).")
    await _form_answer(update, context, usage, send_supply_form, services.confirm_supply)


async def weighed(update: Update, context: BotContext) -> None:
    """/weights <purchase> with numbered lines: what members' goods sold by weight weigh."""
    usage = N_("Press “⚖️ Enter weights” on the purchase's panel (/purchases).")
    await _form_answer(update, context, usage, send_weights_form, services.enter_weights)


HANDLERS: list[Registration] = [
    in_private("supply", supplier_confirmed),
    in_private("weights", weighed),
]
