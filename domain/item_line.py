"""An item line a head types, in the template, the wizard or a supplier's price list:
`Honey 1 kg | 12.50 | pack 6 | max 10`, with its price tiers, its options in the words of each
language, its variants or size rows and, for goods sold by weight, the price per kg and what a
piece weighs. The fields every form shares are in `domain.form_fields`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from domain.errors import N_, InvalidPurchase, Term
from domain.form_fields import FormError, parse_amount, parse_text, parse_whole
from domain.purchase import MAX_ESTIMATE_GRAMS, MAX_VARIANT_LENGTH, MAX_VARIANTS, Item, PriceTier

ITEM_OPTIONS = {"pack": "pack_size", "min": "member_min", "max": "member_max",
                "stock": "stock", "moq": "moq_units"}  # fmt: skip


# The words heads write for each option in English, Russian and Chinese (/help lists them).
ITEM_OPTION_ALIASES = {
    "box": "pack", "case": "pack", "minimum": "min", "maximum": "max", "limit": "max",
    "упаковка": "pack", "упак": "pack", "уп": "pack", "ящик": "pack", "коробка": "pack",
    "мин": "min", "минимум": "min", "макс": "max", "максимум": "max", "остаток": "stock",
    "наличие": "stock", "склад": "stock", "минзаказ": "moq",
    "箱": "pack", "每箱": "pack", "包": "pack", "每包": "pack", "最少": "min", "起购": "min",
    "每人最少": "min", "最多": "max", "限购": "max", "每人最多": "max", "库存": "stock",
    "起订": "moq", "起订量": "moq",
}  # fmt: skip


# An option: its word, the number, and a unit word after it if any ("每箱6个", "max 10 pcs").
ITEM_OPTION = re.compile(r"(\D+?)\s*(\d+)\s*(?:units?|pcs|шт\.?|штук|件|个|瓶|盒|袋)?")


# "variants S, M, L" (each a line of its own) and "row S, M, L" (sold only in full rows).
VARIANT_WORDS = {
    "variants": False, "variant": False, "sizes": False, "colours": False, "colors": False,
    "flavours": False, "flavors": False, "варианты": False, "размеры": False, "цвета": False,
    "вкусы": False, "规格": False, "尺码": False, "颜色": False, "口味": False,
    "row": True, "rows": True, "size row": True, "ряд": True, "ряды": True,
    "размерный ряд": True, "整手": True, "一手": True,
}  # fmt: skip
# "18.00 per kg", "18.00/kg", "18.00 за кг", "18.00 每公斤": the price is per kilogram.
PER_KG = re.compile(
    r"(.+?)\s*(?:per\s*kg|/\s*kg|за\s*кг|/\s*кг|每公斤|/\s*公斤|每千克)", re.IGNORECASE
)
# "about 0.5 kg", "~500 g", "около 0,5 кг", "约0.5公斤": what one piece weighs, about.
ESTIMATE = re.compile(
    r"(?:about|approx\.?|~|около|примерно|约|大约)\s*([\d.,]+)\s*(kg|g|кг|г|公斤|千克|克)",
    re.IGNORECASE,
)
GRAM_WORDS = ("g", "г", "克")
# "| swap" on a row: members short of a full row may take another size that completes one.
SWAP_WORDS = ("swap", "swaps", "замена", "можно заменить", "可换", "可调换")
VARIANT_SEPARATORS = re.compile(r"[,，、;；/]")


def _variant_option(option: str) -> tuple[bool, list[str]] | None:
    """(in rows, the variants) when the option lists variants; None for any other option."""
    lowered = option.lower()
    for word in sorted(VARIANT_WORDS, key=len, reverse=True):
        rest = lowered[len(word) :]
        # "sizes S" and "размеры S" need a space or a colon; "尺码S" is written without.
        if lowered.startswith(word) and (not rest or not rest[0].isalnum() or not word.isascii()):
            values = option[len(word) :].strip().lstrip(":：").strip()
            return VARIANT_WORDS[word], [v.strip() for v in VARIANT_SEPARATORS.split(values)]
    return None


# "S:5": a variant with its own stock (five of size S), the rest with the item's.
VARIANT_STOCK = re.compile(r"(.+?)\s*[:：]\s*(\d{1,7})")


def _variants(in_rows: bool, listed: list[str]) -> list[tuple[str, int | None]]:
    """The variants as named, each with its own stock when written "S:5"."""
    variants: list[tuple[str, int | None]] = []
    for text in listed:
        match = VARIANT_STOCK.fullmatch(text)
        name = match[1].strip() if match else text
        stock = parse_whole(match[2], Term(N_("a variant's stock"))) if match else None
        variants.append((name, stock))
    names = [name for name, _stock in variants]
    if any(not name for name in names) or len(names) < 2:
        raise FormError(
            N_("list at least two variants, separated by commas, e.g. variants S, M, L")
        )
    if len(names) > MAX_VARIANTS:
        raise FormError(N_("an item has at most {limit} variants"), limit=MAX_VARIANTS)
    for name in names:
        if len(name) > MAX_VARIANT_LENGTH:
            raise FormError(
                N_('the variant "{variant}" is longer than {limit} characters'),
                variant=name[:40], limit=MAX_VARIANT_LENGTH,
            )  # fmt: skip
    if len({name.lower() for name in names}) < len(names):
        raise FormError(N_("each variant is named once"))
    return variants


def _estimate_grams(match: re.Match[str]) -> int:
    try:
        amount = Decimal(match[1].replace(",", "."))
    except InvalidOperation:
        raise FormError(N_("write what a piece weighs like about 0.5 kg")) from None
    grams = amount if match[2].lower() in GRAM_WORDS else amount * 1000
    if (
        not grams.is_finite()
        or grams != grams.to_integral_value()
        or not 1 <= grams <= MAX_ESTIMATE_GRAMS
    ):
        raise FormError(N_("a piece weighs between 0.001 and 100 kg, e.g. about 0.5 kg"))
    return int(grams)


def parse_item(text: str, currency: str) -> Item:
    """One item line that has no variants (see `parse_item_line`)."""
    items = parse_item_line(text, currency)
    if len(items) > 1:
        raise FormError(N_("write one item without variants here"))
    return items[0]


def parse_item_line(text: str, currency: str) -> list[Item]:
    """`Honey 1 kg | 12.50 | pack 6 | max 10`, tiers as `12.50; 11.90 from 60`; an item with
    variants (`| variants S, M, L`, or `| row S, M, L` sold in full rows) is a line per
    variant; one sold by weight is priced per kg with what a piece weighs (`18.00 per kg |
    about 0.5 kg`)."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) < 2 or not parts[0]:
        raise FormError(N_("write an item as: name | price, e.g. Honey 1 kg | 12.50 | pack 6"))
    name = parse_text(parts[0], "title")
    price_parts = [p.strip() for p in parts[1].split(";") if p.strip()]
    if not price_parts:
        raise FormError(N_("give the item a price, e.g. 12.50"))
    per_kg = PER_KG.fullmatch(price_parts[0])
    price = parse_amount(per_kg[1] if per_kg else price_parts[0], currency)
    tiers = []
    for tier_text in price_parts[1:]:
        match = re.fullmatch(r"(\S+)\s+(?:from|от|起)\s+(\S+)", tier_text, re.IGNORECASE)
        if not match:
            raise FormError(
                N_('write a price tier as: 11.90 from 60 (not "{text}")'), text=tier_text
            )
        tiers.append(
            PriceTier(
                parse_whole(match[2], Term(N_("a tier threshold")), 2),
                parse_amount(match[1], currency),
            )
        )
    options: dict[str, int] = {}
    variants: list[tuple[str, int | None]] = []
    in_rows = False
    estimate: int | None = None
    swaps = False
    for option in parts[2:]:
        if " ".join(option.lower().split()) in SWAP_WORDS:
            swaps = True
            continue
        listed = _variant_option(option)
        if listed is not None:
            if variants:
                raise FormError(N_("give the variants once"))
            in_rows, variants = listed[0], _variants(*listed)
            continue
        weighs = ESTIMATE.fullmatch(option)
        if weighs is not None:
            estimate = _estimate_grams(weighs)
            continue
        # "pack 6", "每箱6个"; else "pack six" still names the option its number is wrong for.
        match = ITEM_OPTION.fullmatch(option) or re.fullmatch(r"(\S+)\s+(\S+)", option)
        key = match[1].strip().lower() if match else ""
        key = ITEM_OPTION_ALIASES.get(key, key)
        if not match or key not in ITEM_OPTIONS:
            raise FormError(
                N_(
                    'unknown item option "{option}"; use pack N, min N, max N, stock N, moq N, '
                    "variants A, B, row A, B, swap or about 0.5 kg"
                ),
                option=option,
            )
        options[ITEM_OPTIONS[key]] = parse_whole(match[2], key)
    if per_kg and estimate is None:
        raise FormError(N_("say about what a piece weighs, e.g. | about 0.5 kg"))
    if estimate is not None and not per_kg:
        raise FormError(N_("a weight estimate is for an item priced per kg, e.g. 18.00 per kg"))
    item = Item(
        item_id=0,
        name=name,
        unit_price=price,
        tiers=tuple(tiers),
        pack_size=options.get("pack_size", 1),
        member_min=options.get("member_min"),
        member_max=options.get("member_max"),
        stock=options.get("stock"),
        moq_units=options.get("moq_units"),
        in_rows=in_rows,
        swaps=swaps,
        estimate_grams=estimate,
    )
    try:
        item.validate()
    except InvalidPurchase as error:
        raise FormError(error.message, **error.values) from None
    made = [
        replace(item, variant=name, stock=item.stock if stock is None else stock)
        for name, stock in variants
    ]
    for variant in made:
        try:
            variant.validate()
        except InvalidPurchase as error:
            raise FormError(error.message, **error.values) from None
    return made or [item]
