"""Notices of pickup day: slots to choose, the pickup notice with its code, the chat's
announcements, reminders, helpers, handovers, and who has not collected at the end.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from domain.ledger import Account
from domain.purchase import PaymentMode, PickupSlot, Purchase
from texts.callback_data import Action, encode
from texts.card_view import MAX_CAPTION_LENGTH, visible_length
from texts.i18n import Translator
from texts.notices.common import lines_text, member_name, slot_label, slot_text, title


def slot_choice_label(t: Translator, purchase: Purchase, slot: PickupSlot, chosen: bool) -> str:
    """A slot as a button: "✅ Hall, Dec 7, 2026 10:00 AM – 12:00 PM · 3 places left"."""
    label = ("✅ " if chosen else "") + slot_label(t, slot)
    left = purchase.places_left(slot)
    if left == 0:  # the member's own place is the last one: nothing to count
        label += "" if chosen else " · " + t.gettext("full")
    elif left is not None:
        label += " · " + t.ngettext("{count} place left", "{count} places left", left).format(
            count=left
        )
    return label


def pickup_choice_markup(
    t: Translator, purchase: Purchase, member_id: int, now: datetime, in_editor: bool = False
) -> dict[str, Any] | None:
    """Buttons to choose a slot, where there is more than one still to come; `in_editor`:
    under the order editor, which a choice redraws (elsewhere only these buttons are)."""
    if len(purchase.pickup_slots) < 2:
        return None
    chosen = purchase.pickup_choices.get(member_id)
    rows = [
        [{"text": slot_choice_label(t, purchase, slot, slot.number == chosen),
          "callback_data": encode(Action.PICKUP_CHOOSE, purchase.id, slot.number, int(in_editor))}]
        for slot in purchase.pickup_slots
        if slot.ends_at > now
    ]  # fmt: skip
    return {"inline_keyboard": rows} if rows else None


def member_slots_text(t: Translator, purchase: Purchase, member_id: int) -> str:
    """Where and when this member picks up: their slot, or the slots to choose from."""
    slot = purchase.pickup_slot_of(member_id)
    if slot is not None:
        return "📍 " + slot_text(t, slot)
    listed = "\n".join("📍 " + slot_text(t, s) for s in purchase.pickup_slots)
    if not listed:
        return ""
    return listed + "\n" + t.gettext("👇 Choose when you come: tap a slot below.")


def money_at_pickup(t: Translator, purchase: Purchase, account: Account | None) -> str:
    """What changes hands at the pickup, if anything: what to bring, or what comes back."""
    if account is None:
        return ""
    if account.to_pay.minor:
        if purchase.payment_mode is PaymentMode.POSTPAY:
            return t.gettext("Please bring <b>{amount}</b>: you pay the head at pickup.").format(
                amount=t.money(account.to_pay)
            )
        return t.gettext(
            "Not paid yet: <b>{amount}</b>. Pay it as the head said, or bring it to the pickup."
        ).format(amount=t.money(account.to_pay))
    if account.owed_back.minor:
        return t.gettext("The head gives you back <b>{amount}</b> at the pickup.").format(
            amount=t.money(account.owed_back)
        )
    return ""


def pickup_notice(
    t: Translator, purchase: Purchase, member_id: int, account: Account | None
) -> str:
    lines = purchase.final_lines().get(member_id, {})
    slots = member_slots_text(t, purchase, member_id)
    text = t.gettext(
        "📦 The goods of {title} have arrived!\nYours: {lines}\n{slots}\n"
        "Your pickup code: <b>{code}</b> — show it to the head."
    ).format(
        title=title(purchase),
        lines=lines_text(t, purchase, lines, member_id),
        slots=slots,
        code=purchase.pickup_codes[member_id],
    )
    money = money_at_pickup(t, purchase, account)
    return text + ("\n" + money if money else "")


def pickup_notice_under_qr(t: Translator, notice: str) -> str | None:
    """The pickup notice as its QR code's caption, one message where it took two (Telegram
    sends about 30 a second, which bounds a pickup day); None when it does not fit."""
    caption = notice + "\n" + t.gettext("📱 Or show this QR code: the head scans it at the pickup.")
    return caption if visible_length(caption) <= MAX_CAPTION_LENGTH else None


def arrived_in_chat(t: Translator, purchase: Purchase, bot_username: str) -> str:
    slots = "\n".join("📍 " + slot_text(t, slot) for slot in purchase.pickup_slots)
    return t.gettext(
        "📦 The goods of {title} have arrived!\n{slots}\n"
        "Your pickup code is in your private chat with @{bot}. "
        "If you never opened it, open it now: https://t.me/{bot}?start=o{id}"
    ).format(title=title(purchase), slots=slots, bot=bot_username, id=purchase.id)


def pickup_open_in_chat(t: Translator, purchase: Purchase, slot: PickupSlot) -> str:
    return t.gettext("📍 Pickup of {title} is open now: {slot}").format(
        title=title(purchase), slot=slot_text(t, slot)
    )


def pickup_qr_caption(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "Your pickup QR code for {title}: show it at the pickup, or say your code <b>{code}</b>."
    ).format(title=title(purchase), code=purchase.pickup_codes[member_id])


def pickup_choose_reminder(t: Translator, purchase: Purchase, member_id: int) -> str:
    """Before the first slot, to a member who has not said in which one they come."""
    return t.gettext(
        "⏰ Pickup of {title} starts soon, and you have not chosen when you come. Tap a slot "
        "below. Your code: <b>{code}</b>"
    ).format(title=title(purchase), code=purchase.pickup_codes[member_id])


def pickup_reminder(
    t: Translator, purchase: Purchase, member_id: int, slot: PickupSlot, now: datetime
) -> str:
    """Before the slot, how long until it starts as it is now (the goods may have arrived
    ten minutes before it); once it started, that it is open."""
    code = purchase.pickup_codes[member_id]
    minutes = math.ceil((slot.starts_at - now).total_seconds() / 60)
    if minutes <= 0:
        return t.gettext(
            "📍 Pickup of {title} is open now: {slot}. Your code: <b>{code}</b>"
        ).format(title=title(purchase), slot=slot_text(t, slot), code=code)
    if minutes >= 55:  # the reminder an hour before, fired on time
        return t.gettext(
            "⏰ Pickup of {title} starts in 1 hour: {slot}. Your code: <b>{code}</b>"
        ).format(title=title(purchase), slot=slot_text(t, slot), code=code)
    return t.ngettext(
        "⏰ Pickup of {title} starts in {minutes} minute: {slot}. Your code: <b>{code}</b>",
        "⏰ Pickup of {title} starts in {minutes} minutes: {slot}. Your code: <b>{code}</b>",
        minutes,
    ).format(title=title(purchase), minutes=minutes, slot=slot_text(t, slot), code=code)


def helper_added(t: Translator, purchase: Purchase) -> str:
    return t.gettext(
        "🤝 You now help hand over the goods of {title}. When a member shows their code, send "
        "it to me here, or scan their QR code with your phone's camera: I show what they get "
        "and what to collect."
    ).format(title=title(purchase))


def helper_removed(t: Translator, purchase: Purchase) -> str:
    return t.gettext("You no longer hand over the goods of {title}. Thank you for helping!").format(
        title=title(purchase)
    )


def handover_undone_text(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "↩️ The head took back the handover of your goods of {title}: they are still waiting "
        "for you. Your code: <b>{code}</b>"
    ).format(title=title(purchase), code=purchase.pickup_codes[member_id])


# Members named in one "not collected" message; the rest are counted.
NOT_COLLECTED_SHOWN = 30


def not_collected_list(t: Translator, purchase: Purchase, waiting: list[int]) -> str:
    """One line per member who has not collected: name, code, what waits for them."""
    lines = purchase.final_lines()
    shown = [
        f"• {member_name(purchase, m)} — <b>{purchase.pickup_codes[m]}</b> — "
        f"{lines_text(t, purchase, lines.get(m, {}), m)}"
        for m in waiting[:NOT_COLLECTED_SHOWN]
    ]
    rest = len(waiting) - NOT_COLLECTED_SHOWN
    if rest > 0:  # a message holds 4096 characters; the export lists everyone
        shown.append(t.gettext("… and {count} more: the export lists everyone.").format(count=rest))
    return "\n".join(shown)


def pickup_over_to_head(t: Translator, purchase: Purchase, waiting: list[int]) -> str:
    return t.ngettext(
        "⌛ Pickup of {title} is over. {count} member has not collected yet:\n{list}",
        "⌛ Pickup of {title} is over. {count} members have not collected yet:\n{list}",
        len(waiting),
    ).format(
        title=title(purchase), count=len(waiting), list=not_collected_list(t, purchase, waiting)
    )


def pickup_over_to_member(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "⌛ Pickup of {title} is over and your goods are still waiting: {lines}. Your code: "
        "<b>{code}</b>. Please write to the head to arrange a time."
    ).format(
        title=title(purchase),
        lines=lines_text(t, purchase, purchase.final_lines().get(member_id, {}), member_id),
        code=purchase.pickup_codes[member_id],
    )


def completed_to_head(t: Translator, purchase: Purchase, waiting: list[int]) -> str:
    if not waiting:
        return t.gettext("🏁 {title} is complete: everyone collected their goods.").format(
            title=title(purchase)
        )
    return t.ngettext(
        "🏁 {title} is complete. Not collected, kept on the record as leftovers "
        "({count} member):\n{list}",
        "🏁 {title} is complete. Not collected, kept on the record as leftovers "
        "({count} members):\n{list}",
        len(waiting),
    ).format(
        title=title(purchase), count=len(waiting), list=not_collected_list(t, purchase, waiting)
    )


def completed_to_member(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "🏁 {title} is complete, and your goods were not collected: {lines}. "
        "Please write to the head."
    ).format(
        title=title(purchase),
        lines=lines_text(t, purchase, purchase.final_lines().get(member_id, {}), member_id),
    )


def handed_over_text(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext("✅ You have received your goods of {title}: {lines}. Enjoy!").format(
        title=title(purchase),
        lines=lines_text(t, purchase, purchase.final_lines().get(member_id, {}), member_id),
    )
