"""Notices of every change that moves amounts after the stop (a member leaving, the supplier's
confirmation, members taken out for not paying, weights, a row completed): to each member, to
the head, and the preview the head sees first.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from domain.adjustments import Cause
from domain.events import AmountsChanged, MemberAmounts
from domain.money import Money
from domain.purchase import PaymentMode, Purchase
from texts.i18n import Translator
from texts.notices.common import (
    MAX_NAMES,
    how_to_pay,
    lines_text,
    link,
    names_text,
    title,
)  # fmt: skip
from texts.notices.rows import pack_lines, units_reason


def _minor(purchase: Purchase, minor: int) -> Money:
    return Money(minor, purchase.currency)


def _total_after(change: MemberAmounts) -> int:
    return change.goods_after + change.fee_after + change.delivery_after


def _total_before(change: MemberAmounts) -> int:
    return change.goods_before + change.fee_before + change.delivery_before


def _tier_reached(purchase: Purchase, item_id: int, price: int) -> int | None:
    """The threshold of the tier that has this price, when one has."""
    item = purchase.item(item_id)
    return next((tier.min_units for tier in item.tiers if tier.unit_price.minor == price), None)


def price_reason(t: Translator, purchase: Purchase, item_id: int, before: int, after: int) -> str:
    """Why an item's unit price moved: the supplier's price, or a price tier lost or won."""
    confirmed = purchase.supply.get(item_id)
    if confirmed is not None and confirmed.unit_price is not None:
        return t.gettext("the supplier's price")
    threshold = _tier_reached(purchase, item_id, before if after > before else after)
    if threshold is None:
        return ""
    if after > before:
        return t.gettext("the order no longer reaches {units}").format(units=t.units(threshold))
    return t.gettext("the order now reaches {units}").format(units=t.units(threshold))


def price_line(t: Translator, purchase: Purchase, item_id: int, before: int, after: int) -> str:
    line = t.gettext("{item}: {after} a unit instead of {before}").format(
        item=escape(purchase.item(item_id).label),
        after=t.money(_minor(purchase, after)),
        before=t.money(_minor(purchase, before)),
    )
    reason = price_reason(t, purchase, item_id, before, after)
    return "• " + line + (" — " + reason if reason else "")


def cause_for_members(t: Translator, cause: Cause) -> str:
    return {
        Cause.WITHDRAWAL: t.gettext("a member left the purchase"),
        Cause.SUPPLY: t.gettext("the supplier confirmed the order"),
        Cause.DROPPED: t.gettext("members who had not paid by the pay-by time were taken out"),
        Cause.WEIGHED: t.gettext("your goods sold by weight were weighed"),
        Cause.ROW_COMPLETED: t.gettext("a member took the size that fills a row"),
    }[cause]


def _units_line(
    t: Translator, purchase: Purchase, cause: Cause, item_id: int, before: int, after: int
) -> str:
    name = escape(purchase.item(item_id).label)
    why = units_reason(t, purchase, cause, item_id, before, after)
    line = t.gettext("{item}: you get {after} instead of {before}").format(
        item=name, after=after, before=before
    )
    return "• " + line + (" — " + why if why else "")


def money_after(t: Translator, purchase: Purchase, change: MemberAmounts) -> str:
    """What the member owes or is owed once the change is made, and how to pay."""
    balance = _total_after(change) - change.paid + change.refunded
    paid = change.paid - change.refunded
    if balance < 0:
        return t.gettext("You had paid {paid}: the head owes you {amount} back.").format(
            paid=t.money(_minor(purchase, paid)), amount=t.money(_minor(purchase, -balance))
        )
    if balance == 0:
        return t.gettext("You have paid everything that is due.") if paid else ""
    rest = t.money(_minor(purchase, balance))
    text = (
        t.gettext("You had paid {paid}: {rest} is still to pay.").format(
            paid=t.money(_minor(purchase, paid)), rest=rest
        )
        if paid
        else t.gettext("To pay: {rest}.").format(rest=rest)
    )
    if purchase.payment_mode is PaymentMode.POSTPAY:
        return text + " " + t.gettext("You pay the head when you pick up your goods.")
    return (
        text
        + "\n"
        + how_to_pay(t, purchase)
        + "\n"
        + t.gettext("Once you have paid, tap “I paid” in /orders.")
    )


def amounts_changed_to_member(
    t: Translator, purchase: Purchase, impact: AmountsChanged, change: MemberAmounts
) -> str:
    """One member's message: what changed in their order and amount, why, what they owe."""
    cause = Cause(impact.cause)
    if change.member_id in impact.members_out:
        if cause is Cause.DROPPED:
            out = t.gettext(
                "✂️ You were taken out of {title}: it was not paid by the pay-by time. "
                "Nothing is due from you."
            ).format(title=title(purchase))
        else:
            out = t.gettext(
                "You are no longer in {title}; nothing is due from you."
            ).format(title=title(purchase))  # fmt: skip
        back = change.paid - change.refunded
        if back > 0:
            out += "\n" + t.gettext("You paid {amount}: the head owes it back to you.").format(
                amount=t.money(_minor(purchase, back))
            )
        return out
    text = [
        t.gettext("💶 Your order in {title} has changed: {cause}.").format(
            title=title(purchase), cause=cause_for_members(t, cause)
        )
    ]
    before, after = dict(change.lines_before), dict(change.lines_after)
    for item in purchase.items:
        units_before, units_after = before.get(item.item_id, 0), after.get(item.item_id, 0)
        if units_before != units_after:
            text.append(_units_line(t, purchase, cause, item.item_id, units_before, units_after))
    for item_id, price_before, price_after in impact.prices:
        if item_id in after:
            text.append(price_line(t, purchase, item_id, price_before, price_after))
    for item_id in after:
        grams = purchase.weights.get((change.member_id, item_id))
        if cause is Cause.WEIGHED and grams is not None:
            item = purchase.item(item_id)
            text.append(
                "• "
                + t.gettext(
                    "{item}: {weight} kg at {price} per kg (about {estimate} kg ordered)"
                ).format(
                    item=escape(item.label),
                    weight=t.kilograms(grams),
                    price=t.money(item.unit_price),
                    estimate=t.kilograms(after[item_id] * (item.estimate_grams or 0)),
                )
            )
    if after and change.delivery_before != change.delivery_after:
        text.append(
            "• "
            + t.gettext("your share of the delivery: {after} instead of {before}").format(
                after=t.money(_minor(purchase, change.delivery_after)),
                before=t.money(_minor(purchase, change.delivery_before)),
            )
        )
    if after:
        you_get = lines_text(t, purchase, after, change.member_id)
        text.append(t.gettext("You get: {lines}").format(lines=you_get))
        text.append(
            t.gettext("Amount due: {after} (it was {before})").format(
                after=t.money(_minor(purchase, _total_after(change))),
                before=t.money(_minor(purchase, _total_before(change))),
            )
        )
    else:
        text.append(t.gettext("You get nothing now, so nothing is due."))
    money = money_after(t, purchase, change)
    if money:
        text.append(money)
    return "\n".join(text)


def impact_lines(
    t: Translator, purchase: Purchase, impact: AmountsChanged, names: Mapping[int, str]
) -> list[str]:
    """For the head: each member whose amount moves (before → after, and the money on
    record), each price and pack count that moves."""
    lines = []
    shown = [c for c in impact.members if c.member_id not in impact.members_out]
    for change in shown[:MAX_NAMES]:
        name = link(change.member_id, names.get(change.member_id, str(change.member_id)))
        was = t.money(_minor(purchase, _total_before(change)))
        now = t.money(_minor(purchase, _total_after(change)))
        entry = f"• {name}: {was} → {now}"
        paid = change.paid - change.refunded
        balance = _total_after(change) - paid
        if paid and balance > 0:
            entry += " · " + t.gettext("paid {paid}: {rest} to collect").format(
                paid=t.money(_minor(purchase, paid)), rest=t.money(_minor(purchase, balance))
            )
        elif paid and balance < 0:
            entry += " · " + t.gettext("paid {paid}: you owe {amount} back").format(
                paid=t.money(_minor(purchase, paid)), amount=t.money(_minor(purchase, -balance))
            )
        lines.append(entry)
    if len(shown) > MAX_NAMES:
        lines.append(t.gettext("and {count} more").format(count=len(shown) - MAX_NAMES))
    for item_id, before, after in impact.prices:
        lines.append(price_line(t, purchase, item_id, before, after))
    return lines + pack_lines(t, purchase, impact.packs)


def _out_paid(purchase: Purchase, impact: AmountsChanged, names: Mapping[int, str],
              t: Translator) -> list[str]:  # fmt: skip
    """Members leaving who had paid: the head owes them their money back."""
    lines = []
    for change in impact.members:
        back = change.paid - change.refunded
        if change.member_id in impact.members_out and back > 0:
            lines.append(
                t.gettext("{name} paid {amount}: you owe it back.").format(
                    name=link(change.member_id, names.get(change.member_id, "?")),
                    amount=t.money(_minor(purchase, back)),
                )
            )
    return lines


def amounts_changed_to_head(
    t: Translator, purchase: Purchase, impact: AmountsChanged, names: Mapping[int, str]
) -> str:
    cause = Cause(impact.cause)
    out = names_text(names, impact.members_out)
    heading = {
        Cause.WITHDRAWAL: t.gettext("💶 {names} left {title}."),
        Cause.SUPPLY: t.gettext("💶 The supplier's confirmation of {title} is saved."),
        Cause.DROPPED: t.gettext("💶 Taken out of {title} for not paying: {names}."),
        Cause.WEIGHED: t.gettext("⚖️ The weights of {title} are saved."),
        Cause.ROW_COMPLETED: t.gettext("👕 A row of sizes in {title} is full now."),
    }[cause].format(names=out, title=title(purchase))
    changed = [c for c in impact.members if c.member_id not in impact.members_out]
    text = [heading]
    if changed:
        text.append(
            t.ngettext(
                "The amount of {count} member changed; they are told what and why:",
                "The amounts of {count} members changed; each is told what and why:",
                len(changed),
            ).format(count=len(changed))
        )
    else:
        text.append(t.gettext("No other member's amount changed."))
    text += impact_lines(t, purchase, impact, names)
    text += _out_paid(purchase, impact, names, t)
    return "\n".join(text)


def change_preview(
    t: Translator,
    purchase: Purchase,
    impact: AmountsChanged,
    names: Mapping[int, str],
    heading: str,
    out_paid: Mapping[int, int],
) -> str:
    """For the head before deciding: what the change would move."""
    text = [heading]
    lines = impact_lines(t, purchase, impact, names)
    text += lines if lines else [t.gettext("No other member's amount would change.")]
    for member, back in out_paid.items():
        if back > 0:
            text.append(
                t.gettext("{name} paid {amount}: you would owe it back.").format(
                    name=link(member, names.get(member, "?")),
                    amount=t.money(_minor(purchase, back)),
                )
            )
    return "\n".join(text)
