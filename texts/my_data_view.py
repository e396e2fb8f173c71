"""What a person reads about her own data: the /mydata file's message, what forgetting her
would do (asked once, since it cannot be undone), what it did, and why not yet."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.personal_data import REFUSALS, ErasurePlan, Refusal
from texts.callback_data import Action, encode
from texts.i18n import Translator

FILE_NAME = "groupbuy-my-data.json"


def in_group(t: Translator) -> str:
    return t.gettext("What I keep about you is yours only: send me /mydata in our private chat.")


def data_file(found: dict[str, Any]) -> bytes:
    """The file: JSON with plain keys, amounts in minor units beside their currency."""
    return json.dumps(found, ensure_ascii=False, indent=2, sort_keys=False).encode()


def caption(t: Translator) -> str:
    return t.gettext(
        "Here is everything I keep about you: your profile and choices, your orders, "
        "payments, pickup codes and ratings in every purchase, and what my inbox and outbox "
        "hold of you. Amounts are in minor units (cents) of each purchase's currency.\n\n"
        "To be forgotten, press the button below: I will say exactly what it does first."
    )


def ask_markup(t: Translator, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("Forget me…"),
                               callback_data=encode(Action.FORGET_ASK, user_id))]]
    )  # fmt: skip


def confirm_markup(t: Translator, user_id: int, asked_at: datetime) -> InlineKeyboardMarkup:
    """Yes carries when she was asked: a confirmation pressed much later is of another plan."""
    asked = int(asked_at.timestamp())
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(t.gettext("Yes, forget me"),
                              callback_data=encode(Action.FORGET_CONFIRM, user_id, asked))],
        [InlineKeyboardButton(t.gettext("No, keep my data"),
                              callback_data=encode(Action.FORGET_CANCEL, user_id))],
    ])  # fmt: skip


def _titles(titles: tuple[str, ...]) -> str:
    return ", ".join(f"<b>{escape(title)}</b>" for title in titles)


def refusal(t: Translator, why: Refusal) -> str:
    return t.gettext(REFUSALS[why.role]).format(titles=_titles(why.titles))


def confirmation(t: Translator, plan: ErasurePlan) -> str:
    """What pressing Yes will do, purchase by purchase, before she decides."""
    lines = [t.gettext("If you go on, I forget you:")]
    if plan.withdraw:
        lines.append(
            t.gettext(
                "• You leave these open purchases, as a withdrawal would (the head is told "
                "that a member left): {titles}"
            ).format(titles=_titles(plan.withdraw))
        )
    if plan.forget:
        lines.append(
            t.gettext(
                "• In these purchases your name and Telegram id are replaced by a number; "
                "the amounts stay, for the head's books: {titles}"
            ).format(titles=_titles(plan.forget))
        )
    if plan.at_end:
        lines.append(
            t.gettext(
                "• These purchases are past their stop, so you still pay and collect your "
                "goods; when each one ends, your name and id there are replaced too: {titles}"
            ).format(titles=_titles(plan.at_end))
        )
    if plan.at_end:  # the bot must still reach her there: the rest goes with the last one
        rest = t.gettext(
            "• Your language, reminder choice, conversations in progress, price lists and "
            "the messages I keep from and to you go when the last of those purchases ends."
        )
    else:
        rest = t.gettext(
            "• Your language, reminder choice, conversations in progress, price lists and "
            "the messages I keep from and to you go now."
        )
    lines.append(rest)
    lines.append(t.gettext("This cannot be undone."))
    return "\n".join(lines)


def done(t: Translator, plan: ErasurePlan) -> str:
    if plan.at_end:
        return t.gettext(
            "Done: I have forgotten you. {titles}: you pay and collect there as before, and "
            "I forget you there when it ends."
        ).format(titles=_titles(plan.at_end))
    return t.gettext("Done: I have forgotten you.")
