"""The words of a receipt photo: its caption for the head (warning of a picture sent to her
before, the strongest evidence first), and the member's answer when it went, or why not."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from domain.money import Money
from domain.payments import PaymentClaim
from domain.purchase import Purchase
from domain.receipts import Receipt, ReceiptPicture
from domain.services.money import ReceiptGoal
from texts import notices
from texts.card_view import MAX_CAPTION_LENGTH, visible_length
from texts.i18n import Translator

# Earlier receipts of the same picture named under the strongest one; the rest are counted.
ALSO_NAMED = 2


def receipt_caption(
    t: Translator,
    purchase: Purchase,
    name: str,
    amount: Money,
    picture: ReceiptPicture,
    copies: Sequence[Receipt],
    number: int = 1,
) -> str:
    """What the head reads under a receipt photo, above Received / Not received: first, when
    the picture was sent to her before (the same file) or looks the same as one that was, by
    whom, for which purchase and when — the strongest evidence first (`copies`, as
    receipts.earlier_copies ranks them), then the others, as many as the caption holds. A
    `number` past 1 is one more receipt of a claim that waits for her."""
    receipt = (
        t.gettext("🧾 Receipt from {name} for {title}: {amount}")
        if number == 1
        else t.gettext(
            "🧾 Another receipt from {name} for {title}, for the same payment of {amount}"
        )
    )
    caption = receipt.format(
        name=escape(name), title=f"<b>{escape(purchase.title)}</b>", amount=t.money(amount)
    )
    if not copies:
        return caption
    first, *others = copies
    warning = _named(
        t,
        first,
        t.gettext(
            "⚠️ This picture was already sent as a receipt by {name} for {title} on {date}. "
            "Check that the money really came before you confirm."
        )
        if picture.same_file(first.picture)
        else t.gettext(
            "⚠️ This picture looks the same as the receipt {name} sent for {title} on {date}. "
            "Compare them, and check that the money really came, before you confirm."
        ),
    )
    # Long names and titles may not leave room for every one: fewer are named, the rest
    # counted, rather than a caption Telegram refuses.
    for shown in range(min(len(others), ALSO_NAMED), -1, -1):
        lines = [warning, *(_also(t, picture, copy) for copy in others[:shown])]
        if rest := len(others) - shown:
            lines.append(t.ngettext(
                "⚠️ And {count} more receipt like it.", "⚠️ And {count} more receipts like it.",
                rest,
            ).format(count=rest))  # fmt: skip
        text = "\n".join(lines) + "\n\n" + caption
        if visible_length(text) <= MAX_CAPTION_LENGTH:
            break
    return text


def _also(t: Translator, picture: ReceiptPicture, copy: Receipt) -> str:
    """Another earlier receipt of the same picture, under the first one named."""
    return _named(
        t,
        copy,
        t.gettext("⚠️ It was also sent as a receipt by {name} for {title} on {date}.")
        if picture.same_file(copy.picture)
        else t.gettext(
            "⚠️ It also looks the same as the receipt {name} sent for {title} on {date}."
        ),
    )


def _named(t: Translator, copy: Receipt, words: str) -> str:
    return words.format(
        name=escape(copy.member_name),
        title=f"<b>{escape(copy.purchase_title)}</b>",
        date=t.when(copy.sent_at),
    )


def receipt_message(
    t: Translator,
    purchase: Purchase,
    name: str,
    claim: PaymentClaim,
    amount: Money,
    photo_file_id: str,
    picture: ReceiptPicture,
    copies: Sequence[Receipt],
    number: int = 1,
) -> dict[str, Any]:
    """The head's message about a claim with a receipt (its `number`th), for the outbox: the
    photo again (by Telegram's file id), its caption, and Received / Not received."""
    return {
        "photo": photo_file_id,
        "caption": receipt_caption(t, purchase, name, amount, picture, copies, number),
        "parse_mode": "HTML",
        "reply_markup": notices.payment_buttons(t, purchase.id, claim.member_id, claim.number),
    }


def receipt_sent(t: Translator, title: str, number: int) -> str:
    """The member's answer once her `number`th receipt of a claim is on its way to the head."""
    if number == 1:
        text = t.gettext("Thanks! The receipt went to the head of {title}, who will confirm it.")
    elif number == 2:
        text = t.gettext("Thanks! Your second receipt for {title} went to the head too.")
    else:  # the last of RECEIPTS_PER_CLAIM (3): she knows not to send another
        text = t.gettext(
            "Thanks! Your third receipt for {title} went to the head too: the last one that "
            "goes before the head answers."
        )
    return text.format(title=title)


def receipt_refusal(t: Translator, goal: ReceiptGoal) -> str:
    """Why the photo goes to no head, read before it is fetched ("": it goes)."""
    titles = ", ".join(p.title for p in goal.purchases)
    if not goal.purchases:
        return t.gettext("Thanks, but none of your purchases is waiting for a payment from you.")
    if len(goal.purchases) > 1 and not goal.waiting:
        return t.gettext(
            "You are paying for several purchases. Tap “I paid” under the right one in "
            "/orders; the head confirms it there."
        )
    if len(goal.purchases) > 1:
        return t.gettext(
            "Not sent: your payments for {titles} are all waiting for their heads, and a photo "
            "does not say which one it is for. Send it to that head yourself."
        ).format(titles=titles)
    if goal.full:
        return t.ngettext(
            "Not sent: the head of {title} has {count} receipt from you for this payment "
            "already, as many as go before an answer. Wait for it, or write to the head.",
            "Not sent: the head of {title} has {count} receipts from you for this payment "
            "already, as many as go before an answer. Wait for it, or write to the head.",
            goal.sent,
        ).format(title=goal.purchases[0].title, count=goal.sent)
    return ""
