"""Items that come into the wizard from something the head saved — a supplier's price list,
an earlier purchase opened again — each line taken as if typed. Meeting an item again there is
no mistake (the list's button pressed twice): one listed already as it is is left out and
named; one listed at another price is refused, naming both (`domain.item_identity`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain.errors import N_
from domain.form_fields import FormError
from domain.item_identity import already_listed
from domain.item_line import parse_item_line
from domain.price_list import PriceList, split_line
from handlers.wizard_steps import Step, Wizard
from texts.i18n import Translator


def add_lines(
    wizard: Wizard, lines: Sequence[tuple[str, str]], now: datetime, max_fee: Decimal
) -> list[str]:
    """Each (item line, photo or "") as the head would type it, but those listed already as
    they are; returns the names of those left out. A refusal (FormError) adds nothing."""
    trial = replace(wizard, answers=list(wizard.answers))  # each answer makes a form anew
    left_out: list[str] = []
    for line, photo in lines:
        items = parse_item_line(line, wizard.community.currency)
        if already_listed(trial.form.items, items):
            left_out.append(items[0].name if items[0].variant else items[0].label)
        elif photo:
            trial.answer(Step.ITEM_PHOTO, f"{photo}\n{line}", now, max_fee)
        else:
            trial.answer(Step.ITEMS, line, now, max_fee)
    wizard.form, wizard.answers = trial.form, trial.answers
    return left_out


def add_price_list(
    wizard: Wizard, price_list: PriceList, now: datetime, max_fee: Decimal
) -> list[str]:
    """The list's supplier (unless one is given) and items, as if the head typed them."""
    if price_list.currency != wizard.community.currency:
        raise FormError(
            N_("this price list is in {currency}; the community pays in {community}"),
            currency=price_list.currency, community=wizard.community.currency,
        )  # fmt: skip
    lines = [(line, photo) for photo, line in map(split_line, price_list.lines)]
    left_out = add_lines(wizard, lines, now, max_fee)
    if not wizard.form.supplier:
        wizard.answer(Step.SUPPLIER, price_list.supplier, now, max_fee)
    return left_out


def left_out_note(t: Translator, left_out: Sequence[str]) -> str:
    """What the head is told of the items that were in the list already ("" for none)."""
    if not left_out:
        return ""
    return t.ngettext(
        "{count} item was in the list already, as it is, and is not added again: {items}.",
        "{count} items were in the list already, as they are, and are not added again: {items}.",
        len(left_out),
    ).format(count=len(left_out), items=", ".join(left_out))
