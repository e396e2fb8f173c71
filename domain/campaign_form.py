"""The campaign an operator types: one `Key: value` message, read with the purchase
template's validators (`domain.form_fields`), naming the line of the first problem.

    Title: Autumn honey
    Supplier: Altai Bee Farm
    Cut-off: 2026-12-10 18:00
    Delivery: 2026-12-12
    Regions: North, River
    Commission: 10%            (or: margin)
    Item: Honey 0.5 kg | 8.00 | pack 6 | supply 5.00 | range 7.00-9.00
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from domain.campaign import Campaign, CampaignItem, CommissionKind, CommissionRule
from domain.errors import N_, DomainError
from domain.form_fields import FormError, parse_deadline, parse_regions, parse_text
from domain.item_identity import ensure_new
from domain.item_line import parse_item_line
from domain.membership import WHO_CAN_JOIN_KEYS, parse_who_can_join
from domain.money import Money
from domain.purchase_form import in_line, key_values
from domain.template_lines import item_template

KEYS = {
    "title": "title", "название": "title", "标题": "title",
    "supplier": "supplier", "поставщик": "supplier", "供应商": "supplier",
    "cut-off": "cut-off", "cutoff": "cut-off", "стоп": "cut-off", "截单": "cut-off",
    "delivery": "delivery", "доставка": "delivery", "送达": "delivery",
    "regions": "regions", "регионы": "regions", "地区": "regions",
    "commission": "commission", "комиссия": "commission", "佣金": "commission",
    "item": "item", "товар": "item", "商品": "item",
    **WHO_CAN_JOIN_KEYS,
}  # fmt: skip
SUPPLY_WORDS = ("supply", "закупка", "供货")
RANGE_WORDS = ("range", "диапазон", "价格区间")
MARGIN_WORDS = ("margin", "наценка", "差价")


def _money(text: str, currency: str) -> Money:
    return Money.parse(text.strip(), currency)


def parse_campaign_item(text: str, currency: str, item_id: int) -> CampaignItem:
    """An item line as the purchase template writes it, plus `supply <price>` and an optional
    `range <low>-<high>` (without one, a head sells at the suggested price only)."""
    parts = [part.strip() for part in text.split("|")]
    supply: Money | None = None
    low = high = None
    rest = []
    for part in parts:
        word, _, value = part.partition(" ")
        if word.lower() in SUPPLY_WORDS:
            supply = _money(value, currency)
        elif word.lower() in RANGE_WORDS:
            bounds = re.split(r"\s*[-–—]\s*", value.strip())
            if len(bounds) != 2:
                raise FormError(N_("write the range of the heads' price as range 7.00-9.00"))
            low, high = (_money(bound, currency) for bound in bounds)
        else:
            rest.append(part)
    items = parse_item_line(" | ".join(rest), currency)
    if len(items) != 1:
        raise FormError(N_("a campaign's item is one line, without variants"))
    if supply is None:
        raise FormError(N_("give the supply price, e.g. | supply 5.00"))
    (item,) = items
    return CampaignItem(
        replace(item, item_id=item_id),
        supply,
        low or item.unit_price,
        high or item.unit_price,
    )


def _commission(text: str) -> CommissionRule:
    value = " ".join(text.lower().split())
    if value in MARGIN_WORDS:
        return CommissionRule(CommissionKind.MARGIN)
    try:
        return CommissionRule(CommissionKind.PERCENT, Decimal(value.rstrip("%").strip()))
    except InvalidOperation:
        raise FormError(N_("write the commission as 10% or margin")) from None


def _delivery(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FormError(N_("write the delivery date as 2026-12-12")) from None


def parse_campaign(
    text: str, currency: str, timezone: str, now: datetime, first_line: int = 2
) -> Campaign:
    """The whole form, each line read as it comes (a wrong one is named), then checked as a
    whole (`Campaign.validate`)."""
    readers: dict[str, Callable[[str], object]] = {
        "title": lambda value: parse_text(value, "title"),
        "supplier": lambda value: " ".join(value.split()),
        "cut-off": lambda value: parse_deadline(value, timezone, now),
        "delivery": _delivery,
        "regions": parse_regions,
        "commission": _commission,
        "who can join": parse_who_can_join,
    }
    found: dict[str, Any] = {}
    items: list[CampaignItem] = []
    for number, key, key_text, value in key_values(text, first_line, KEYS, ("item",)):
        try:
            if key == "item":
                line = parse_campaign_item(value, currency, len(items) + 1)
                ensure_new([listed.item for listed in items], [line.item])
                items.append(line)
            else:
                found[key] = readers[key](value)
        except FormError as error:
            raise in_line(number, key_text, error) from None
        except DomainError as error:
            raise in_line(number, key_text, FormError(error.message, **error.values)) from None
    missing = [key for key in ("title", "cut-off", "delivery", "regions", "commission")
               if key not in found]  # fmt: skip
    if missing:
        raise FormError(N_("the campaign needs a line {key}: ..."), key=missing[0].capitalize())
    campaign = Campaign(
        operator_id=0,
        title=found["title"],
        supplier=found.get("supplier", ""),
        currency=currency,
        timezone=timezone,
        items=items,
        cut_off=found["cut-off"],
        delivery=found["delivery"],
        regions=found["regions"],
        commission=found["commission"],
        created_at=now,
        open_to_link=found.get("who can join", False),
    )
    campaign.validate(now)
    return campaign


def campaign_template(campaign: Campaign, timezone: str) -> str:
    """The purchase that sells a campaign, as the template writes it: the campaign's items at
    the suggested prices, stopping at its cut-off; the head adds the pickup and may change
    their prices within the campaign's range and their fee."""
    cut_off = campaign.cut_off.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    lines = [f"Title: {campaign.title}"]
    if campaign.supplier:
        lines.append(f"Supplier: {campaign.supplier}")
    lines += [f"Item: {item_template(line.item)}" for line in campaign.items]
    if campaign.open_to_link:
        lines.append("Who can join: anyone with the link")
    lines.append(f"Deadline: {cut_off}")
    return "\n".join(lines)
