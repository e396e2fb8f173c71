"""Pieces every notice uses: lines and amounts, progress, titles, names and links, pickup
slots as text, and the keys that make a notice once per moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape

from domain.billing import AmountDue
from domain.purchase import PaymentMode, PickupSlot, Purchase
from texts.i18n import Translator


def lines_label(
    t: Translator, purchase: Purchase, lines: Mapping[int, int], member_id: int | None = None
) -> str:
    """What a member gets, as plain text: "2 × Honey, 3 × Cheese (1.25 kg)" — goods sold by
    weight with their kilograms, which is what is weighed out and charged: `member_id`'s real
    weight once entered, else "about" the estimate (lines not hers to weigh, such as units
    short of a pack, are always the estimate)."""
    parts = []
    for item_id, units in lines.items():
        item = purchase.item(item_id)
        part = f"{units} × {item.label}"
        if item.by_weight:
            weighed = member_id is not None and (member_id, item_id) in purchase.weights
            weight = t.gettext("{weight} kg") if weighed else t.gettext("about {weight} kg")
            grams = (
                purchase.weighed_grams(member_id, item, units)
                if member_id is not None
                else units * (item.estimate_grams or 0)
            )
            part += f" ({weight.format(weight=t.kilograms(grams))})"
        parts.append(part)
    return ", ".join(parts)


def lines_text(
    t: Translator, purchase: Purchase, lines: Mapping[int, int], member_id: int | None = None
) -> str:
    """`lines_label` for a message in HTML."""
    return escape(lines_label(t, purchase, lines, member_id))


def due_text(t: Translator, due: AmountDue) -> str:
    return t.gettext("{total} (goods {goods}, fee {fee}, delivery {delivery})").format(
        total=t.money(due.total),
        goods=t.money(due.goods),
        fee=t.money(due.fee),
        delivery=t.money(due.delivery),
    )


def progress(t: Translator, purchase: Purchase) -> str:
    units = purchase.firm_units()
    if purchase.moq is not None and purchase.moq.units is not None:
        return t.ngettext("{units}/{goal} unit", "{units}/{goal} units", purchase.moq.units).format(
            units=units, goal=purchase.moq.units
        )
    if purchase.moq is not None and purchase.moq.money is not None:
        return f"{t.money(purchase.goods_total_requested())} / {t.money(purchase.moq.money)}"
    return t.ngettext("{units} unit", "{units} units", units).format(units=units)


def title(purchase: Purchase) -> str:
    return f"<b>{escape(purchase.title)}</b>"


def how_to_pay(t: Translator, purchase: Purchase) -> str:
    """Where to pay and, for a prepaid purchase, by when: the head's own words."""
    lines = []
    if purchase.pay_to:
        lines.append(t.gettext("Pay to: {details}").format(details=escape(purchase.pay_to)))
    if purchase.pay_by is not None and purchase.payment_mode is PaymentMode.PREPAY:
        lines.append(t.gettext("Pay by {when}.").format(when=t.when(purchase.pay_by)))
    return "\n".join(lines) or t.gettext("Pay the head as they tell you.")


MAX_NAMES = 40


def unreachable_text(t: Translator, names: Iterable[str]) -> str:
    return t.gettext(
        "I cannot write to these members (they never opened the bot, or blocked it): {names}. "
        "Please tell them yourself."
    ).format(names=names_joined(t, names))


def unreachable_about(t: Translator, purchase: Purchase, names: Iterable[str]) -> str:
    """For the head, after messages about a purchase met a 403."""
    return t.gettext(
        "📵 I could not reach {names} about {title}: they blocked the bot or never opened it. "
        "Please tell them yourself."
    ).format(names=names_joined(t, names), title=title(purchase))


def names_joined(t: Translator, names: Iterable[str]) -> str:
    """Names for the head, the first MAX_NAMES of them."""
    everyone = list(names)
    shown = ", ".join(escape(name) for name in everyone[:MAX_NAMES])
    if len(everyone) > MAX_NAMES:
        shown += " " + t.gettext("and {count} more").format(count=len(everyone) - MAX_NAMES)
    return shown


def slot_text(t: Translator, slot: PickupSlot) -> str:
    return t.gettext("{place}, {window}").format(
        place=escape(slot.place), window=t.window(slot.starts_at, slot.ends_at)
    )


def slot_label(t: Translator, slot: PickupSlot) -> str:
    """A slot as plain text, for buttons, toasts and sheets (`slot_text` is the HTML one)."""
    return f"{slot.place}, {t.window(slot.starts_at, slot.ends_at)}"


def member_name(purchase: Purchase, member_id: int) -> str:
    member = purchase.members.get(member_id)
    return escape(member.name) if member else str(member_id)


def link(member_id: int, name: str) -> str:
    return f'<a href="tg://user?id={member_id}">{escape(name)}</a>'


def names_text(names: Mapping[int, str], member_ids: Iterable[int]) -> str:
    everyone = [escape(names.get(m, str(m))) for m in member_ids]
    return ", ".join(everyone[:MAX_NAMES]) + ("…" if len(everyone) > MAX_NAMES else "")


def deadline_key(purchase: Purchase) -> str:
    """Reminder keys carry the deadline, so an extended purchase reminds again."""
    return str(int(purchase.deadline.timestamp()))


def stamp(instant: datetime) -> str:
    return str(int(instant.timestamp()))
