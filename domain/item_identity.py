"""When two item lines are one item: the same name and variant, whatever their case, spacing,
Unicode form or the space before a unit ("Honey 1 kg", "honey  1 KG", "Ｈｏｎｅｙ 1kg"). One
rule for every way items come in — the template, the wizard, a price list, a campaign, Open
again, an edit — so that a line entered twice is caught, and said so, instead of selling the
same goods twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from domain.errors import N_, FormError
from domain.terms import Item


class DuplicateItem(FormError):
    """An item is listed twice; the message names it (and both prices when they differ)."""


# A number and the unit after it are one thing however they are typed: "1kg" is "1 kg",
# "0,5 l" is "0.5 l" (a decimal comma is how most of our heads write it).
_NUMBER_THEN_UNIT = re.compile(r"(\d)\s+(?=[^\W\d_])")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")


def normal_name(text: str) -> str:
    """A name as compared: Unicode compatibility form, case folded, spaces collapsed, a
    quantity written with or without a space before its unit and with either decimal mark."""
    name = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return _DECIMAL_COMMA.sub(".", _NUMBER_THEN_UNIT.sub(r"\1", name))


def identity(item: Item) -> str:
    """What makes two lines one item: its name with its variant (a size, a colour), as people
    read it — a line "T-shirt, M" is the M of "T-shirt | variants S, M"."""
    return normal_name(item.label)


def _terms(item: Item) -> Item:
    """The item as sold, without where it stands in a list or its picture."""
    return replace(item, item_id=0, group=0, photo="", name=identity(item), variant="")


def same_item(one: Item, other: Item) -> bool:
    """The same item on the same terms: a line entered twice."""
    return _terms(one) == _terms(other)


def twin_refused(listed: Item, incoming: Item) -> DuplicateItem:
    """Why `incoming` is not taken, `listed` being the same item: at the same price it is
    there already; at another, both prices are named and the head is asked which."""
    if _terms(listed) == _terms(incoming):
        return DuplicateItem(N_("{item} is in the list already"), item=listed.label)
    if listed.unit_price != incoming.unit_price:
        return DuplicateItem(
            N_("{item} is in the list already at {first}, and this line says {second}: which "
               "price is right? List it once, at that price"),
            item=listed.label, first=listed.unit_price, second=incoming.unit_price,
        )  # fmt: skip
    return DuplicateItem(
        N_("{item} is in the list already, with other terms: list it once, as it should be"),
        item=listed.label,
    )


def ensure_new(listed: Sequence[Item], incoming: Sequence[Item]) -> None:
    """Refuse `incoming` when any of it is listed already (or twice within it)."""
    seen = {identity(item): item for item in listed}
    for item in incoming:
        twin = seen.get(identity(item))
        if twin is not None:
            raise twin_refused(twin, item)
        seen[identity(item)] = item


def ensure_listed_once(items: Sequence[Item]) -> None:
    ensure_new([], items)


def already_listed(listed: Sequence[Item], incoming: Sequence[Item]) -> bool:
    """For lines taken from something the head saved (a price list, an earlier purchase),
    where meeting them again is no mistake: True when all of `incoming` is listed already as
    it is (nothing to add), False when none of it is; a twin on other terms, or a line only
    partly there, is refused with the reason."""
    seen = {identity(item): item for item in listed}
    twins = [(seen[identity(item)], item) for item in incoming if identity(item) in seen]
    if not twins:
        return False
    for twin, item in twins:
        if _terms(twin) != _terms(item):
            raise twin_refused(twin, item)
    if len(twins) < len(incoming):
        raise twin_refused(*twins[0])
    return True
