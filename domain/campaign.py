"""The platform level (seed 002's 帮卖, "help-sell"): an operator's campaign that heads in many
communities sell as their own purchases. The campaign holds the catalog with supply prices and
the bounds of the heads' prices, a cut-off, a delivery date, the regions it serves and the
heads' commission rule. At the cut-off every adopted purchase stops together and packs are
filled across all of them (`domain.allocation.allocate_across`); each community's purchase
then hands its part out to its own members (`Purchase.close_with_campaign`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from domain.allocation import CampaignAllocation, allocate_across
from domain.community import Community
from domain.errors import N_, IllegalTransition, InvalidPurchase, NotAllowed, NotFound
from domain.item_identity import ensure_listed_once, identity, normal_name
from domain.money import Money
from domain.permissions import Actor
from domain.purchase import Item, Moq, Purchase, PurchaseStatus, ShortPolicy
from domain.template_lines import item_template
from domain.terms import MAX_ITEMS, MAX_TITLE_LENGTH

MAX_REGIONS = 20
MAX_COMMISSION_PERCENT = Decimal(50)
# A campaign's purchases after the cut-off whose packs the supplier may still cut.
CONFIRMABLE = (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED)
# A part that still counts in the campaign's order: not failed or cancelled.
COUNTED = (
    PurchaseStatus.OPEN,
    PurchaseStatus.STOPPED,
    PurchaseStatus.ORDERED,
    PurchaseStatus.ARRIVED,
    PurchaseStatus.COMPLETED,
)


class CommissionKind(StrEnum):
    PERCENT = "percent"  # a percentage of the goods the head handed over
    MARGIN = "margin"  # the head's price less the supply price, on the goods handed over


@dataclass(frozen=True)
class CommissionRule:
    kind: CommissionKind
    percent: Decimal = Decimal(0)


class CampaignStatus(StrEnum):
    OPEN = "open"  # heads adopt it; members order in each community
    CLOSED = "closed"  # the cut-off passed: one consolidated order


@dataclass(frozen=True)
class CampaignItem:
    """One line of the campaign's catalog: the item as heads sell it (its price the suggested
    one), what the supplier charges, and the range a head's price must stay in."""

    item: Item
    supply_price: Money
    min_price: Money
    max_price: Money


def normal_region(region: str) -> str:
    return " ".join(region.split()).casefold()


@dataclass
class Campaign:
    operator_id: int
    title: str
    supplier: str
    currency: str
    timezone: str
    items: list[CampaignItem]
    cut_off: datetime
    delivery: date
    regions: tuple[str, ...]
    commission: CommissionRule
    created_at: datetime
    # The default of the purchases heads adopt from it (domain/membership.py).
    open_to_link: bool = False
    status: CampaignStatus = CampaignStatus.OPEN
    id: int = 0
    version: int = 0
    # item → packs in the consolidated order at the cut-off, and what the supplier confirmed.
    ordered: dict[int, int] = field(default_factory=dict)
    supplied: dict[int, int] = field(default_factory=dict)

    def validate(self, now: datetime) -> None:
        if not self.title.strip() or len(self.title) > MAX_TITLE_LENGTH:
            raise InvalidPurchase(
                N_("the campaign needs a title of at most {limit} characters"),
                limit=MAX_TITLE_LENGTH,
            )
        if not self.items or len(self.items) > MAX_ITEMS:
            raise InvalidPurchase(N_("a campaign has 1 to {limit} items"), limit=MAX_ITEMS)
        if self.cut_off <= now:
            raise InvalidPurchase(N_("the cut-off is in the past; give a later date and time"))
        if self.delivery < self.cut_off.date():
            raise InvalidPurchase(N_("the delivery date comes after the cut-off"))
        if not self.regions or len(self.regions) > MAX_REGIONS:
            raise InvalidPurchase(N_("name the regions the campaign serves, e.g. North, River"))
        percent = self.commission.percent
        if self.commission.kind is CommissionKind.PERCENT and not (
            0 < percent <= MAX_COMMISSION_PERCENT
        ):
            raise InvalidPurchase(
                N_("the commission is more than 0% and at most {limit}%"),
                limit=MAX_COMMISSION_PERCENT,
            )
        ensure_listed_once([line.item for line in self.items])
        for line in self.items:
            item = line.item
            item.validate()
            if item.in_rows or item.moq_units is not None:
                raise InvalidPurchase(
                    N_("{item}: a campaign's packs fill across communities, so its items "
                       "have no rows and no minimum of their own"),
                    item=item.label,
                )  # fmt: skip
            if not line.supply_price.minor > 0:
                raise InvalidPurchase(
                    N_("{item}: the supply price must be more than zero"), item=item.label
                )
            if not line.min_price <= item.unit_price <= line.max_price:
                raise InvalidPurchase(
                    N_("{item}: the suggested price must be within the heads' range"),
                    item=item.label,
                )
            if self.commission.kind is CommissionKind.MARGIN and line.min_price < line.supply_price:
                raise InvalidPurchase(
                    N_("{item}: with a margin commission a head's price is at least the "
                       "supply price"),
                    item=item.label,
                )  # fmt: skip

    def item(self, item_id: int) -> CampaignItem:
        for line in self.items:
            if line.item.item_id == item_id:
                return line
        raise NotFound(N_("there is no item number {item}"), item=item_id)

    def serves(self, region: str) -> bool:
        return normal_region(region) in {normal_region(r) for r in self.regions}

    def accepts_adoptions(self, now: datetime) -> bool:
        return self.status is CampaignStatus.OPEN and now < self.cut_off

    def check_adoption(self, community: Community, now: datetime, adopted: bool) -> None:
        """May this campaign be sold in `community` now (`adopted`: it already is there)?"""
        if not self.accepts_adoptions(now):
            raise IllegalTransition(
                N_("the campaign {campaign} is past its cut-off"), campaign=self.title
            )
        if not community.region:
            raise NotAllowed(
                N_("this community has no region yet: its admins set it with /region <name>")
            )
        if not self.serves(community.region):
            raise NotAllowed(
                N_("the campaign {campaign} does not serve {region}"),
                campaign=self.title, region=community.region,
            )  # fmt: skip
        if adopted:
            raise NotAllowed(
                N_("{community} already sells the campaign {campaign}"),
                community=community.title, campaign=self.title,
            )  # fmt: skip
        if community.currency != self.currency:
            raise NotAllowed(
                N_("the campaign is in {currency}; this community pays in {community_currency}"),
                currency=self.currency, community_currency=community.currency,
            )  # fmt: skip

    def adopt(self, purchase: Purchase, community: Community, now: datetime, adopted: bool) -> None:
        """Make a head's purchase this campaign's part in their community: the campaign's items
        in its order, each at a price within its range, stopping at the cut-off."""
        self.check_adoption(community, now, adopted)
        self.check_part(
            purchase.items, purchase.deadline, purchase.moq, purchase.short_policy, whole=True
        )
        purchase.campaign_id = self.id
        purchase.campaign_title = self.title

    def check_part(
        self,
        items: Sequence[Item],
        deadline: datetime | None,
        moq: Moq | None,
        short_policy: ShortPolicy,
        whole: bool,
    ) -> None:
        """The campaign's rules for the purchase that sells it, on what a head has entered so
        far (`whole`: all of it, as published): the wizard asks them at each answer, so a
        price out of range is refused where it is typed, not at Publish."""
        if len(items) > len(self.items):
            raise InvalidPurchase(
                N_("a campaign's purchase sells only the campaign's items, as they are: {items}"),
                items="; ".join(line.item.label for line in self.items),
            )
        if whole:
            self.check_all_items(items)
        for offered, line in zip(items, self.items, strict=False):
            as_sold(offered, line.item)
            if offered.in_rows or offered.moq_units is not None:
                raise InvalidPurchase(
                    N_("{item}: packs fill across the campaign; no rows or minimum of its own"),
                    item=offered.label,
                )
            for price in (offered.unit_price, *(tier.unit_price for tier in offered.tiers)):
                if not line.min_price <= price <= line.max_price:
                    raise InvalidPurchase(
                        N_("{item}: the campaign lets you sell it for {low} to {high}"),
                        item=offered.label, low=line.min_price, high=line.max_price,
                    )  # fmt: skip
        if deadline is not None and deadline != self.cut_off:
            raise InvalidPurchase(N_("a campaign's purchase stops at the campaign's cut-off"))
        if moq is not None or short_policy is not ShortPolicy.FAIL:
            raise InvalidPurchase(
                N_("a campaign's purchase has no minimum order of its own: the campaign's "
                   "packs decide")
            )  # fmt: skip

    def check_all_items(self, items: Sequence[Item]) -> None:
        """Every item of the campaign is there (the head is done entering them), or the ones
        still to add are named, as the campaign sells them."""
        missing = [line.item for line in self.items[len(items) :]]
        if missing:
            raise InvalidPurchase(
                N_("a campaign's purchase sells every item of the campaign; still to add: "
                   "{missing}"),
                missing="; ".join(item_template(item) for item in missing),
            )  # fmt: skip

    def allocation(
        self, parts: Iterable[Purchase], supplied: dict[int, int] | None = None
    ) -> dict[int, CampaignAllocation]:
        """Per item: packs across the counted parts (purchase ids) and each part's units."""
        counted = [p for p in parts if p.status in COUNTED]
        result: dict[int, CampaignAllocation] = {}
        for line in self.items:
            item_id = line.item.item_id
            result[item_id] = allocate_across(
                {p.id: p.queues(item_id) for p in counted},
                line.item.pack_size,
                None if supplied is None else supplied.get(item_id),
            )
        return result

    def close(self, parts: Sequence[Purchase], now: datetime) -> None:
        """The cut-off: one consolidated order, and every part stops with its share of it (or
        fails, with nothing ordered). Safe to repeat."""
        if self.status is not CampaignStatus.OPEN or now < self.cut_off:
            return
        # Only the parts that stop: one where nobody ordered firm units fails, so its tolerance
        # alone must not fill a pack for the others.
        stopping = [p for p in parts if p.status is PurchaseStatus.OPEN and p.firm_units() > 0]
        allocation = self.allocation(stopping)
        for part in parts:
            part.close_with_campaign(
                {item_id: found.allotted.get(part.id, 0) for item_id, found in allocation.items()}
            )
        self.ordered = {item_id: found.packs for item_id, found in allocation.items()}
        self.status = CampaignStatus.CLOSED


def as_sold(offered: Item, wanted: Item) -> None:
    """`offered` is the campaign's item `wanted` on the terms its packs fill by (name and size,
    pack, weight, unit); else the refusal says which of them differs and what the campaign's is."""
    if identity(offered) != identity(wanted):
        if normal_name(offered.name) == normal_name(wanted.name) and not wanted.variant:
            raise InvalidPurchase(
                N_("{item}: the campaign sells it as one item, without sizes or colours"),
                item=wanted.label,
            )
        raise InvalidPurchase(
            N_("item {number} of the campaign is {item}, not {offered}: enter the campaign's "
               "items in its order"),
            number=wanted.item_id, item=wanted.label, offered=offered.label,
        )  # fmt: skip
    if offered.pack_size != wanted.pack_size:
        if wanted.pack_size == 1:
            raise InvalidPurchase(
                N_("{item}: the campaign sells it one by one, not in packs: leave out the pack"),
                item=wanted.label,
            )
        raise InvalidPurchase(
            N_("{item}: the campaign sells it in packs of {pack}: add | pack {pack}"),
            item=wanted.label, pack=wanted.pack_size,
        )  # fmt: skip
    if offered.estimate_grams != wanted.estimate_grams:
        if wanted.estimate_grams is None:
            raise InvalidPurchase(
                N_("{item}: the campaign sells it by the piece, not by weight"), item=wanted.label
            )
        raise InvalidPurchase(
            N_("{item}: the campaign sells it by weight, a piece about {weight} kg: write it as "
               "{line}"),
            item=wanted.label, weight=Decimal(wanted.estimate_grams).scaleb(-3).normalize(),
            line=item_template(wanted),
        )  # fmt: skip
    if offered.unit != wanted.unit:
        raise InvalidPurchase(
            N_("{item}: the campaign sells it per {unit}"), item=wanted.label, unit=wanted.unit
        )


def ensure_can_run(campaign: Campaign, actor: Actor) -> None:
    if not (actor.is_admin or actor.user_id == campaign.operator_id):
        raise NotAllowed(N_("only the campaign's operator (or a platform admin) can do this"))


def confirm_supply(campaign: Campaign, actor: Actor, packs: dict[int, int]) -> None:
    """What the supplier confirmed, in packs per item: never more than the consolidated
    order held; all lines or none. The parts follow with `supply_for_parts`."""
    ensure_can_run(campaign, actor)
    if campaign.status is not CampaignStatus.CLOSED:
        raise IllegalTransition(N_("the supplier's confirmation comes after the cut-off"))
    for item_id, count in packs.items():
        line = campaign.item(item_id)
        ordered = campaign.ordered.get(item_id, 0)
        if count > ordered:
            raise InvalidPurchase(
                N_("{item}: {packs} is more than the {ordered} packs ordered"),
                item=line.item.label, packs=count, ordered=ordered,
            )  # fmt: skip
        if count < 0:
            raise InvalidPurchase(N_("{item}: packs are 0 or more"), item=line.item.label)
    campaign.supplied.update(packs)


def supply_for_parts(campaign: Campaign, parts: Sequence[Purchase]) -> dict[int, dict[int, int]]:
    """Each confirmable part's units per item of what the supplier confirmed: the packs filled
    again across them by the same rule, the latest requests going short first."""
    confirmable = [p for p in parts if p.status in CONFIRMABLE]
    allocation = campaign.allocation(confirmable, campaign.supplied)
    return {
        part.id: {
            item_id: found.allotted.get(part.id, 0)
            for item_id, found in allocation.items()
            if item_id in campaign.supplied
        }
        for part in confirmable
    }
