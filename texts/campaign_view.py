"""What operators and heads read of a campaign: the list a head adopts from, the operator's
board (communities, units, packs, money, how close each item is to the next box), the
consolidated order as rows for CSV, XLSX and PDF, and the commission statement's rows. The
operator sees communities and totals, never members' names."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from babel.dates import format_date

from domain.allocation import CampaignAllocation
from domain.campaign import Campaign, CampaignStatus, CommissionKind
from domain.commission import CommissionLine
from domain.community import Community
from domain.ledger import accounts, totals
from domain.money import Money
from domain.purchase import Purchase
from texts.i18n import Translator


@dataclass(frozen=True)
class Part:
    """A community's part of a campaign: its purchase and the community it runs in."""

    purchase: Purchase
    community: Community


def terms_line(t: Translator, campaign: Campaign) -> str:
    cut_off = t.when(campaign.cut_off)
    if campaign.commission.kind is CommissionKind.PERCENT:
        commission = t.gettext("commission {percent}% of goods").format(
            percent=campaign.commission.percent
        )
    else:
        commission = t.gettext("commission: your price less the supply price")
    return t.gettext("cut-off {cut_off} · delivery {delivery} · {commission}").format(
        cut_off=cut_off,
        delivery=format_date(campaign.delivery, format="medium", locale=t.locale),
        commission=commission,
    )


def adoptable_text(t: Translator, community: Community, campaigns: list[Campaign]) -> str:
    if not campaigns:
        return t.gettext("No campaign is open for {region} now.").format(
            region=escape(community.region or "-")
        )
    lines = [
        t.gettext("Campaigns open for {title} ({region}):").format(
            title=escape(community.title), region=escape(community.region)
        )
    ]
    for campaign in campaigns:
        lines.append(f"\n<b>{escape(campaign.title)}</b> — {escape(campaign.supplier)}")
        lines.append(terms_line(t, campaign))
        for line in campaign.items:
            # Outside an f-string, where the catalogs' extractor finds it.
            pack = " " + t.gettext("(pack of {size})").format(size=line.item.pack_size)
            lines.append(
                "• "
                + escape(line.item.label)
                + (pack if line.item.pack_size > 1 else "")
                + ": "
                + (
                    t.gettext("{low} to {high}, suggested {price}").format(
                        low=t.money(line.min_price),
                        high=t.money(line.max_price),
                        price=t.money(line.item.unit_price),
                    )
                    if line.min_price != line.max_price
                    else t.gettext("{price}, as the campaign sets it").format(
                        price=t.money(line.item.unit_price)
                    )
                )
            )
    return "\n".join(lines)


def board_text(
    t: Translator,
    campaign: Campaign,
    parts: list[Part],
    allocation: dict[int, CampaignAllocation],
) -> str:
    """The operator's live board of one campaign."""
    status = t.gettext("open") if campaign.status is CampaignStatus.OPEN else t.gettext("closed")
    lines = [
        f"<b>#{campaign.id} {escape(campaign.title)}</b> ({status})",
        terms_line(t, campaign),
        "",
        t.gettext("Communities: {count}").format(count=len(parts)),
    ]
    zero = Money.zero(campaign.currency)
    collected_all, owed_all = zero, zero
    for part in parts:
        purchase = part.purchase
        money = totals(purchase, accounts(purchase))
        # While open, what its members asked for; after the cut-off, its share of the packs.
        units = (
            sum(purchase.item_units(line.item.item_id) for line in campaign.items)
            if campaign.status is CampaignStatus.OPEN
            else sum(found.allotted.get(purchase.id, 0) for found in allocation.values())
        )
        collected_all += money.collected
        owed_all += money.to_collect
        lines.append(
            t.gettext("• {title}: {units} · paid {paid} · to collect {owed}").format(
                title=escape(part.community.title),
                units=t.units(units),
                paid=t.money(money.collected),
                owed=t.money(money.to_collect),
            )
        )
    lines.append(
        t.gettext("Money collected: {paid} · still to collect: {owed}").format(
            paid=t.money(collected_all), owed=t.money(owed_all)
        )
    )
    lines.append("")
    lines.append(t.gettext("Boxes across the campaign:"))
    for line in campaign.items:
        found = allocation[line.item.item_id]
        text = t.gettext("• {item}: {firm} ordered (+{tolerance} tolerance) → {packs} × {size}")
        text = text.format(
            item=escape(line.item.label),
            firm=found.firm_total,
            tolerance=found.tolerance_total,
            packs=found.packs,
            size=found.pack_size,
        )
        if campaign.status is CampaignStatus.OPEN and found.pack_size > 1:
            text += " · " + t.gettext("{more} more for the next box").format(
                more=found.units_to_next_pack
            )
        if line.item.item_id in campaign.supplied:
            text += " · " + t.gettext("the supplier sends {packs}").format(
                packs=campaign.supplied[line.item.item_id]
            )
        lines.append(text)
    return "\n".join(lines)


def order_rows(
    t: Translator,
    campaign: Campaign,
    parts: list[Part],
    allocation: dict[int, CampaignAllocation],
) -> list[list[object]]:
    """The consolidated supplier order: per item its packs, units and total at the supply
    price; then per community what goes to it."""
    rows: list[list[object]] = [
        [t.gettext("Item"), t.gettext("Pack size"), t.gettext("Packs"), t.gettext("Units"),
         t.gettext("Supply price"), t.gettext("Total")],
    ]  # fmt: skip
    total = Money.zero(campaign.currency)
    for line in campaign.items:
        found = allocation[line.item.item_id]
        amount = line.supply_price * found.units
        total += amount
        rows.append([line.item.label, found.pack_size, found.packs, found.units,
                     line.supply_price.amount, amount.amount])  # fmt: skip
    rows.append([t.gettext("Total"), "", "", "", "", total.amount])
    rows.append([])
    rows.append(
        [t.gettext("Community"), t.gettext("Region"), t.gettext("Item"), t.gettext("Units")]
    )
    for part in parts:
        for line in campaign.items:
            units = allocation[line.item.item_id].allotted.get(part.purchase.id, 0)
            if units:
                rows.append([part.community.title, part.community.region, line.item.label, units])
    return rows


def statement_rows(
    t: Translator,
    lines: list[CommissionLine],
    titles: dict[int, str],
    campaigns: dict[int, str],
    heads: dict[int, str],
) -> list[list[object]]:
    rows: list[list[object]] = [
        [t.gettext("Campaign"), t.gettext("Community"), t.gettext("Head"), t.gettext("Month"),
         t.gettext("Goods handed over"), t.gettext("Refunds"), t.gettext("Commission")],
    ]  # fmt: skip
    for line in lines:
        rows.append([campaigns.get(line.campaign_id, str(line.campaign_id)),
                     titles.get(line.community_id, str(line.community_id)), heads[line.head_id],
                     line.month, line.goods.amount, line.refunds.amount,
                     line.commission.amount])  # fmt: skip
    return rows
