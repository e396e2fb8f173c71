"""The order editor on a phone: when every item's +/− would make more than COMPACT_ABOVE
buttons (seven items in sizes made 22), the editor lists the member's lines as ever but offers
one button per item, which opens that item's +/− (its sizes) with Back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.purchase import Item, Purchase
from domain.views import MemberOrderView
from texts.callback_data import Action
from texts.i18n import Translator
from texts.order_view import (
    button,
    catalog_rows,
    editor_keyboard,
    editor_text,
    item_rows,
    rows_after_items,
)

# About what a phone shows under a message without scrolling.
COMPACT_ABOVE = 12
# Item buttons on one page of a compact editor, two a row; with ◀ ▶ below when there are more.
# With the catalog, Withdraw and Refresh that is 11 buttons at most.
PICKS_ALONE = 8
PICKS_PER_PAGE = 6
PICKS_A_ROW = 2


@dataclass(frozen=True)
class EditorFocus:
    """Which part of a compact editor to show: a page of its items, or one item's +/−."""

    page: int = 0
    item_id: int | None = None


WHOLE = EditorFocus()


def button_count(markup: InlineKeyboardMarkup) -> int:
    return sum(len(row) for row in markup.inline_keyboard)


def item_groups(purchase: Purchase) -> list[list[Item]]:
    """The price list as a person picks from it: an item with its sizes (variants) is one."""
    groups: dict[int, list[Item]] = {}
    for item in purchase.items:
        groups.setdefault(item.group or -item.item_id, []).append(item)
    return list(groups.values())


def pages(groups: list[list[Item]]) -> list[list[list[Item]]]:
    per_page = PICKS_ALONE if len(groups) <= PICKS_ALONE else PICKS_PER_PAGE
    return [groups[start : start + per_page] for start in range(0, len(groups), per_page)]


def editor_message(
    t: Translator,
    purchase: Purchase,
    view: MemberOrderView,
    now: datetime,
    mini_app_url: str | None = None,
    pay_in_telegram: bool = False,
    focus: EditorFocus = WHOLE,
    taken_out: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """A member's editor of one purchase as it stands at `now`: its text and buttons
    (`taken_out`: the head took her out for not paying)."""
    markup, hint = order_keyboard(t, purchase, view, now, mini_app_url, pay_in_telegram, focus)
    text = editor_text(t, purchase, view, now, taken_out)
    return (f"{text}\n\n{hint}" if hint else text), markup


def order_keyboard(
    t: Translator,
    purchase: Purchase,
    view: MemberOrderView,
    now: datetime,
    mini_app_url: str | None = None,
    pay_in_telegram: bool = False,
    focus: EditorFocus = WHOLE,
) -> tuple[InlineKeyboardMarkup, str]:
    """The editor's buttons, and the line that says how to use them when they are the
    compact ones ("" under the whole editor)."""
    whole = editor_keyboard(t, purchase, view, now, mini_app_url, pay_in_telegram)
    if not purchase.accepts_orders(now) or button_count(whole) <= COMPACT_ABOVE:
        return whole, ""
    paged = pages(item_groups(purchase))
    for number, page in enumerate(paged):
        for group in page:
            if any(item.item_id == focus.item_id for item in group):
                return _item_page(t, purchase, view, group, number), t.gettext(
                    "👇 {item}: +1 or −1, then Back to the other items."
                ).format(item=escape(group[0].name))  # the editor is HTML
    number = min(max(focus.page, 0), len(paged) - 1)
    rows = catalog_rows(t, purchase, now, mini_app_url)
    picks = [_pick(purchase, view, group) for group in paged[number]]
    rows += [picks[start : start + PICKS_A_ROW] for start in range(0, len(picks), PICKS_A_ROW)]
    turns = []
    if number > 0:
        turns.append(button("◀", Action.ORDER_PAGE, purchase.id, number - 1))
    if number < len(paged) - 1:
        turns.append(button("▶", Action.ORDER_PAGE, purchase.id, number + 1))
    if turns:
        rows.append(turns)
    rows += rows_after_items(t, purchase, view, now, pay_in_telegram)
    hint = t.gettext("👇 Tap an item to change how many you take.")
    return InlineKeyboardMarkup(rows), hint


def _pick(purchase: Purchase, view: MemberOrderView, group: list[Item]) -> InlineKeyboardButton:
    """ "T-shirt · 3": the item, and how many of it (all sizes) the member takes."""
    ids = {item.item_id for item in group}
    units = sum(line.quantity for line in view.lines if line.item.item_id in ids)
    name = group[0].name[:28]
    label = f"{name} · {units}" if units else name
    return button(label, Action.ORDER_PICK, purchase.id, group[0].item_id)


def _item_page(
    t: Translator, purchase: Purchase, view: MemberOrderView, group: list[Item], page: int
) -> InlineKeyboardMarkup:
    rows = [row for item in group for row in item_rows(t, purchase, view, item)]
    rows.append([button(t.gettext("↩️ Back"), Action.ORDER_PAGE, purchase.id, page)])
    return InlineKeyboardMarkup(rows)
