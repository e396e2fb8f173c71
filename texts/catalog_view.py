"""The catalog's texts: a price list's preview with its bad rows, in the head's language."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from domain.price_list import MAX_PROBLEMS_SHOWN, BadRow
from domain.purchase import Item
from texts.card_view import price_text
from texts.i18n import Translator


def goods_count(items: Sequence[Item]) -> int:
    """The items as people count them: a T-shirt in S, M and L is one item (three lines of
    the price list, one a variant), as the preview and the card list it."""
    goods: set[tuple[str, bool] | int] = {
        (item.name, item.in_rows) if item.variant else index for index, item in enumerate(items)
    }
    return len(goods)


def price_list_preview(t: Translator, supplier: str, items: list[Item], photos: int) -> str:
    """What the file made, item by item as the card will show them."""
    lines = [
        t.ngettext(
            "📋 The price list of {supplier}: {count} item, saved.",
            "📋 The price list of {supplier}: {count} items, saved.",
            goods_count(items),
        ).format(supplier=f"<b>{escape(supplier)}</b>", count=goods_count(items))
    ]
    shown: set[tuple[str, bool]] = set()
    for item in items:
        if item.variant and (item.name, item.in_rows) in shown:
            continue  # the variants are on their item's line
        variants = [
            v.variant
            for v in items
            if v.variant and (v.name, v.in_rows) == (item.name, item.in_rows)
        ]
        name = item.name if item.variant else item.label
        line = f"• {escape(name)} — {price_text(t, item, item.unit_price)}"
        terms = []
        if item.pack_size > 1:
            line += " " + t.gettext("(pack of {size})").format(size=item.pack_size)
        if item.stock is not None:
            terms.append(t.gettext("{left} left").format(left=item.stock))
        if item.variant:
            shown.add((item.name, item.in_rows))
            listed = escape(", ".join(variants))
            terms.append(
                t.gettext("in full rows of {variants}").format(variants=listed)
                if item.in_rows
                else listed
            )
        lines.append(" · ".join([line, *terms]))
    if photos:
        lines.append(t.ngettext("{count} with a photo", "{count} with photos", photos).format(
            count=photos
        ))  # fmt: skip
    lines.append("")
    lines.append(
        t.gettext(
            "Open a purchase with these items below; the next time you open one, I offer this "
            "list at the items question. A new file from the same supplier replaces it."
        )
    )
    return "\n".join(lines)


def bad_rows_text(t: Translator, problems: tuple[BadRow, ...]) -> str:
    """Every bad row with what is wrong in it (the first ones, when there are many)."""
    shown = [
        t.gettext("row {row}: {reason}").format(row=problem.row, reason=t.reason(problem.reason))
        for problem in problems[:MAX_PROBLEMS_SHOWN]
    ]
    more = len(problems) - len(shown)
    if more > 0:
        shown.append(t.ngettext("and {count} more row", "and {count} more rows", more).format(
            count=more
        ))  # fmt: skip
    return (
        t.gettext("The price list was not saved: fix these rows and send it again.")
        + "\n"
        + "\n".join(shown)
    )
