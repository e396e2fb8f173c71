"""The participant list as the head reads it: names with links, lines, amounts, payment and
pickup codes, in messages that fit Telegram's length.
"""

from __future__ import annotations

from html import escape

from domain.purchase import (
    Purchase,
)
from domain.reports import Report
from texts.i18n import Translator
from texts.payments_view import payment_mark

PARTICIPANTS_PER_MESSAGE = 30


def participant_messages(t: Translator, purchase: Purchase, report: Report) -> list[str]:
    """The private participant list, split so each message stays under Telegram's limit."""
    entries = []
    for member in report.members:
        if not member.lines:
            continue  # left after paying: the payments list shows what they are owed
        lines = ", ".join(
            f"{units} × {escape(purchase.item(item_id).label)}"
            for item_id, units in member.lines.items()
        )
        entry = (
            f'• <a href="tg://user?id={member.member_id}">{escape(member.name)}</a>: {lines} — '
            f"{t.money(member.due.total)}"
        )
        paid = payment_mark(t, member.account.status) if member.account else ""
        if paid:
            entry += f" · {paid}"
        if member.pickup_code:
            entry += f" · {member.pickup_code}" + (" ✓" if member.handed_over else "")
        entries.append(entry)
    header = t.gettext("Participants of <b>{title}</b> (only you see this):").format(
        title=escape(purchase.title)
    )
    chunks = [
        entries[i : i + PARTICIPANTS_PER_MESSAGE]
        for i in range(0, len(entries), PARTICIPANTS_PER_MESSAGE)
    ]
    return [header + "\n" + "\n".join(chunk) for chunk in chunks] or [header]
