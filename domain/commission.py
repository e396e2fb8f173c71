"""The head's commission on a campaign they sold: accrued as goods are handed over, reduced
by refunds of goods, computed once per campaign and community and rounded once (half a cent
up), then spread over the months of the handovers so that the months add up to it.

A refund counts against the commission only where it gives back goods: money a member paid
beyond what was due (a supplier's cut already lowered the goods) is not goods refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from domain.billing import amounts_due
from domain.campaign import Campaign, CommissionKind
from domain.ledger import accounts
from domain.money import Money, split_minor
from domain.purchase import Purchase

# Exact shares are spread over months in whole millionths of a minor unit.
SHARE_SCALE = Decimal(1_000_000)


@dataclass(frozen=True)
class CommissionLine:
    """One community's part of a campaign in one month (of the handovers, local time)."""

    campaign_id: int
    purchase_id: int
    community_id: int
    head_id: int
    month: str  # YYYY-MM
    goods: Money  # the goods handed over
    refunds: Money  # of those goods, given back
    commission: Money

    @property
    def base(self) -> Money:
        return self.goods - self.refunds


def month_of(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def _supply_cost_minor(campaign: Campaign, purchase: Purchase, member_id: int) -> int:
    lines = purchase.final_lines().get(member_id, {})
    return sum(
        purchase.line_goods_minor(
            member_id,
            purchase.item(item_id),
            units,
            campaign.item(item_id).supply_price.minor,
        )
        for item_id, units in lines.items()
    )


def commission_lines(campaign: Campaign, purchase: Purchase, timezone: str) -> list[CommissionLine]:
    """The commission of `purchase` (a part of `campaign`), a line per month of handovers."""
    currency = purchase.currency
    dues = amounts_due(purchase)
    every = accounts(purchase, dues)
    # month → [goods, refunds, exact commission]
    months: dict[str, list[Decimal]] = {}
    for member_id, handover in purchase.handed_over.items():
        due = dues.get(member_id)
        account = every.get(member_id)
        if due is None or account is None:
            continue
        goods = due.goods.minor
        overpaid = max(0, account.paid.minor - due.total.minor)
        refunds = min(goods, max(0, account.refunded.minor - overpaid))
        if campaign.commission.kind is CommissionKind.PERCENT:
            exact = Decimal(goods - refunds) * campaign.commission.percent / 100
        else:
            margin = goods - _supply_cost_minor(campaign, purchase, member_id)
            exact = (
                Decimal(margin) * Decimal(goods - refunds) / Decimal(goods) if goods else Decimal(0)
            )
        month = months.setdefault(month_of(handover.at, timezone), [Decimal(0)] * 3)
        month[0] += goods
        month[1] += refunds
        month[2] += exact
    total = int(sum((m[2] for m in months.values()), Decimal(0)).quantize(1, ROUND_HALF_UP))
    ordered = sorted(months)
    weights = [max(0, int(months[m][2] * SHARE_SCALE)) for m in ordered]
    shares = split_minor(total, weights) if ordered else []
    return [
        CommissionLine(
            campaign.id,
            purchase.id,
            purchase.community_id,
            purchase.head_id,
            month,
            Money(int(months[month][0]), currency),
            Money(int(months[month][1]), currency),
            Money(share, currency),
        )
        for month, share in zip(ordered, shares, strict=True)
    ]
