"""What a change after the stop does to packs and size rows, in words: a size lost because
its row broke is told as the row it is, not as a pack, and the head sees the rows that
break as well as the packs.
"""

from __future__ import annotations

from html import escape

from domain.adjustments import Cause
from domain.purchase import Purchase
from texts.i18n import Translator


def units_reason(
    t: Translator, purchase: Purchase, cause: Cause, item_id: int, before: int, after: int
) -> str:
    """Why a member's units of an item moved ("" when the cause says it all)."""
    in_rows = purchase.item(item_id).in_rows
    if cause is Cause.SUPPLY:
        if after >= before:
            return ""
        return (
            t.gettext("the supplier sends fewer rows")
            if in_rows
            else t.gettext("the supplier sends fewer packs")
        )
    if cause is Cause.ROW_COMPLETED:
        return t.gettext("its row of sizes is full now") if after > before else ""
    if after < before:
        if in_rows:
            return t.gettext("without the sizes that left, its row of sizes is no longer full")
        return t.gettext("without the units that left, a pack is no longer full")
    return t.gettext("its row of sizes is full now") if in_rows else t.gettext("a pack is full now")


def pack_lines(
    t: Translator, purchase: Purchase, packs: tuple[tuple[int, int, int], ...]
) -> list[str]:
    """For the head: each item whose packs move, and each group of sizes whose full rows move
    (once for the group: every size of it has as many rows)."""
    lines, groups = [], set()
    for item_id, before, after in packs:
        item = purchase.item(item_id)
        if item.in_rows:
            if item.group in groups:
                continue
            groups.add(item.group)
            line = t.ngettext(
                "{item}: {count} full row of sizes instead of {before}",
                "{item}: {count} full rows of sizes instead of {before}",
                after,
            ).format(item=escape(item.name), count=after, before=before)
        else:
            line = t.ngettext(
                "{item}: {count} pack instead of {before}",
                "{item}: {count} packs instead of {before}",
                after,
            ).format(item=escape(item.label), count=after, before=before)
        lines.append("• " + line)
    return lines
