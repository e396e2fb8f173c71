"""Campaigns across communities, in the domain: packs filled across communities by one rule
(property-tested like the single purchase's), adoption and its refusals, the cut-off, the
supplier's cut, and the heads' commission to the cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import ledger
from domain.allocation import QueueEntry, allocate_across, allot, timed_queue
from domain.campaign import (
    Campaign,
    CampaignItem,
    CampaignStatus,
    CommissionKind,
    CommissionRule,
    confirm_supply,
    supply_for_parts,
)
from domain.campaign_form import parse_campaign
from domain.commission import commission_lines
from domain.community import Community
from domain.errors import DomainError, IllegalTransition, InvalidPurchase, NotAllowed
from domain.permissions import Actor
from domain.purchase import PickupSlot, Purchase, PurchaseStatus, SupplyConfirmation
from tests.support.builders import HEAD, NOW, eur, item, purchase

OPERATOR = 500
CUT_OFF = NOW + timedelta(days=3)  # the builders' purchases' deadline


def campaign(kind: CommissionKind = CommissionKind.PERCENT) -> Campaign:
    made = Campaign(
        operator_id=OPERATOR,
        title="Autumn honey",
        supplier="Altai Bee Farm",
        currency="EUR",
        timezone="Europe/Berlin",
        items=[
            CampaignItem(
                item(1, "8.00", name="Honey", pack_size=6), eur("5.00"), eur("7.00"), eur("9.00")
            ),
            CampaignItem(item(2, "3.00", name="Wax"), eur("2.00"), eur("2.50"), eur("3.50")),
        ],
        cut_off=CUT_OFF,
        delivery=date(2026, 11, 27),
        regions=("North", "River"),
        commission=CommissionRule(kind, Decimal(10) if kind is CommissionKind.PERCENT else 0),
        created_at=NOW,
        id=3,
    )
    made.validate(NOW)
    return made


def community(chat_id: int, region: str = "north") -> Community:
    return Community(chat_id, f"Block {-chat_id}", "Europe/Berlin", "EUR", "en", region=region)


def part(the_campaign: Campaign, number: int, honey_price: str = "8.00") -> Purchase:
    p = purchase([item(1, honey_price, name="Honey", pack_size=6), item(2, "3.00", name="Wax")])
    p.id, p.community_id, p.head_id = number, -number, HEAD + number
    the_campaign.adopt(p, community(-number), NOW, adopted=False)
    p.status = PurchaseStatus.OPEN
    return p


# --- packs across communities ----------------------------------------------------------------


def test_five_communities_each_two_short_of_a_box_fill_boxes_none_fills_alone() -> None:
    parts = {n: ([QueueEntry(10 * n, 2, NOW + timedelta(minutes=n))], []) for n in range(1, 6)}
    # 10 firm units: one box, and 4 over that only tolerance could fill.
    result = allocate_across(parts, 6)
    assert result.packs == 1
    assert result.allotted == {1: 2, 2: 2, 3: 2, 4: 0, 5: 0}
    assert result.units_to_next_pack == 2
    # Tolerance of 2 in the last community makes the second box: everyone's 2 are served.
    parts[5] = (parts[5][0], [QueueEntry(51, 2, NOW + timedelta(hours=1))])
    result = allocate_across(parts, 6)
    assert result.packs == 2
    assert result.allotted == {1: 2, 2: 2, 3: 2, 4: 2, 5: 4}


def test_a_box_of_tolerance_alone_is_never_ordered() -> None:
    parts = {1: ([], [QueueEntry(1, 6, NOW)]), 2: ([], [QueueEntry(2, 6, NOW)])}
    assert allocate_across(parts, 6).packs == 0


def test_the_supplier_s_fewer_boxes_go_to_the_earliest_requests_across_communities() -> None:
    early, late = NOW, NOW + timedelta(minutes=5)
    parts = {1: ([QueueEntry(1, 6, late)], []), 2: ([QueueEntry(2, 6, early)], [])}
    assert allocate_across(parts, 6, supplied_packs=1).allotted == {1: 0, 2: 6}


runs = st.lists(
    st.tuples(st.integers(0, 4), st.integers(1, 5), st.integers(-3, 8), st.integers(0, 600)),
    max_size=30,
)


@given(runs, runs, st.integers(1, 6), st.one_of(st.none(), st.integers(0, 4)))
def test_across_communities_the_rule_holds(
    firm_changes: list[tuple[int, int, int, int]],
    tolerance_changes: list[tuple[int, int, int, int]],
    pack_size: int,
    supplied: int | None,
) -> None:
    """Five communities, members 1–5 in each, changes at minutes 0–600 in any order."""

    def queues(changes: list[tuple[int, int, int, int]], community_id: int) -> list[QueueEntry]:
        mine = sorted((c for c in changes if c[0] == community_id), key=lambda c: c[3])
        return timed_queue((m, d, NOW + timedelta(minutes=at)) for _c, m, d, at in mine)

    parts = {c: (queues(firm_changes, c), queues(tolerance_changes, c)) for c in range(5)}
    result = allocate_across(parts, pack_size, supplied)
    firm_total = sum(e.units for f, _t in parts.values() for e in f)
    tolerance_total = sum(e.units for _f, t in parts.values() for e in t)
    # Never a pack of tolerance alone, and never more units than were asked for.
    assert result.packs == 0 or (result.packs - 1) * pack_size < firm_total
    assert result.units <= firm_total + tolerance_total
    # Every unit of the packs goes to some community; the parts add up to the order.
    assert sum(result.allotted.values()) == result.units
    # First requested, first served across communities: no firm unit is served that was asked
    # for after one that went short, in any community; tolerance only once all firm is served.
    served_times, short_times = [], []
    for community_id, (firm, tolerance) in parts.items():
        # Each community hands its part out to its own members in their request order, and
        # its members take up all of it.
        share = allot(firm, tolerance, pack_size, result.allotted[community_id])
        assert sum(share.firm.values()) + sum(share.tolerance.values()) == share.units
        left = sum(share.firm.values())
        for entry in firm:
            taken = min(entry.units, left)
            left -= taken
            if taken:
                served_times.append(entry.at)
            if taken < entry.units:
                short_times.append(entry.at)
        if share.tolerance:
            assert result.units >= firm_total
    if short_times and served_times:
        assert max(t for t in served_times if t) <= min(t for t in short_times if t)


# --- adoption -------------------------------------------------------------------------------


def test_a_head_adopts_within_the_campaign_s_rules() -> None:
    c = campaign()
    p = part(c, 1)
    assert (p.campaign_id, p.campaign_title) == (3, "Autumn honey")


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda p, com: setattr(com, "region", "South"), NotAllowed, "does not serve South"),
        (lambda p, com: setattr(com, "region", ""), NotAllowed, "no region yet"),
        (lambda p, com: setattr(com, "currency", "RUB"), NotAllowed, "in EUR"),
        (lambda p, com: setattr(p, "deadline", CUT_OFF + timedelta(hours=1)), InvalidPurchase,
         "cut-off"),
        (lambda p, com: p.items.pop(), InvalidPurchase, "still to add: Wax [|] 3.00"),
        (lambda p, com: p.items.append(item(3, "1.00", name="Jar")), InvalidPurchase,
         "only the campaign's items, as they are: Honey; Wax"),
        (lambda p, com: p.items.__setitem__(0, replace(p.items[0], pack_size=1)),
         InvalidPurchase, "packs of 6: add [|] pack 6"),
        (lambda p, com: p.items.__setitem__(1, replace(p.items[1], pack_size=4)),
         InvalidPurchase, "Wax: the campaign sells it one by one"),
        (lambda p, com: p.items.__setitem__(1, replace(p.items[1], estimate_grams=500)),
         InvalidPurchase, "Wax: the campaign sells it by the piece, not by weight"),
        (lambda p, com: p.items.__setitem__(1, replace(p.items[1], variant="S")),
         InvalidPurchase, "Wax: the campaign sells it as one item, without sizes"),
        (lambda p, com: p.items.__setitem__(1, replace(p.items[1], name="Jar")),
         InvalidPurchase, "item 2 of the campaign is Wax, not Jar"),
    ],
)  # fmt: skip
def test_adoption_outside_the_rules_is_refused_and_changes_nothing(
    change: object, error: type[Exception], message: str
) -> None:
    c = campaign()
    p = purchase([item(1, "8.00", name="Honey", pack_size=6), item(2, "3.00", name="Wax")])
    where = community(-1)
    change(p, where)  # type: ignore[operator]
    with pytest.raises(error, match=message):
        c.adopt(p, where, NOW, adopted=False)
    assert p.campaign_id is None


def test_a_price_outside_the_bounds_a_second_adoption_and_a_late_one_are_refused() -> None:
    c = campaign()
    with pytest.raises(InvalidPurchase, match="lets you sell it for") as refused:
        part(c, 1, honey_price="9.50")
    assert (refused.value.values["low"], refused.value.values["high"]) == (eur("7.00"), eur("9.00"))
    p = purchase([item(1, "8.00", name="Honey", pack_size=6), item(2, "3.00", name="Wax")])
    with pytest.raises(NotAllowed, match="already sells"):
        c.adopt(p, community(-1), NOW, adopted=True)
    with pytest.raises(IllegalTransition, match="past its cut-off"):
        c.adopt(p, community(-1), CUT_OFF, adopted=False)


# --- the cut-off, the supplier's cut ---------------------------------------------------------


def three_parts() -> tuple[Campaign, list[Purchase]]:
    """Honey in boxes of 6: community 1 asks 4 (+2 tolerance), 2 asks 3, 3 asks 2; nobody in
    a fourth. 9 firm units: one box, and the second one filled with 1's and... no more."""
    c = campaign()
    parts = [part(c, n) for n in (1, 2, 3, 4)]
    at = NOW
    for p, member, units, tolerance in ((parts[0], 11, 4, 2), (parts[1], 21, 3, 0),
                                        (parts[2], 31, 2, 0), (parts[1], 22, 1, 0)):  # fmt: skip
        at += timedelta(minutes=1)
        p.set_quantity(member, f"M{member}", 1, units, at)
        if tolerance:
            p.set_tolerance(member, 1, tolerance, at)
    parts[2].set_quantity(32, "M32", 2, 1, at)
    return c, parts


def test_at_the_cut_off_all_parts_stop_together_with_their_share_of_the_boxes() -> None:
    c, parts = three_parts()
    c.close(parts, CUT_OFF - timedelta(seconds=1))
    assert c.status is CampaignStatus.OPEN  # not yet
    c.close(parts, CUT_OFF)
    assert c.status is CampaignStatus.CLOSED
    # 10 firm units + 2 tolerance: two boxes, 12 units. Each community's members get theirs.
    assert c.ordered == {1: 2, 2: 1}
    assert [p.status for p in parts] == [PurchaseStatus.STOPPED] * 3 + [PurchaseStatus.FAILED]
    assert parts[0].final_lines() == {11: {1: 6}}
    assert parts[1].final_lines() == {21: {1: 3}, 22: {1: 1}}
    assert parts[2].final_lines() == {31: {1: 2}, 32: {2: 1}}
    assert [p.ordered_units(1) for p in parts[:3]] == [6, 4, 2]
    c.close(parts, CUT_OFF)  # once only
    assert c.ordered == {1: 2, 2: 1}


def test_the_supplier_s_cut_flows_back_to_each_community_latest_requests_first() -> None:
    c, parts = three_parts()
    c.close(parts, CUT_OFF)
    with pytest.raises(InvalidPurchase, match="3 is more than the 2 packs ordered"):
        confirm_supply(c, Actor(OPERATOR), {1: 3})
    with pytest.raises(NotAllowed):
        confirm_supply(c, Actor(HEAD + 1), {1: 1})
    assert c.supplied == {}
    confirm_supply(c, Actor(OPERATOR), {1: 1})
    cut = supply_for_parts(c, parts)
    # One box: the earliest 6 firm units across communities, 11's 4 then 21's 2.
    assert cut == {1: {1: 4}, 2: {1: 2}, 3: {1: 0}}
    for p in parts[:3]:
        p.supply.update({i: SupplyConfirmation(n) for i, n in cut[p.id].items()})
    assert parts[0].final_lines() == {11: {1: 4}}
    assert parts[1].final_lines() == {21: {1: 2}}
    assert parts[2].final_lines() == {32: {2: 1}}


def test_a_head_cannot_stop_extend_or_confirm_a_campaign_s_part_alone() -> None:
    from domain.supply import SupplyLine
    from domain.supply import confirm_supply as head_confirms

    c, parts = three_parts()
    with pytest.raises(NotAllowed, match="stops with the campaign"):
        parts[0].stop_now(Actor(HEAD + 1))
    with pytest.raises(NotAllowed, match="stops with the campaign"):
        parts[0].extend(Actor(HEAD + 1), CUT_OFF + timedelta(days=1), NOW)
    parts[0].reach_deadline(CUT_OFF)
    assert parts[0].status is PurchaseStatus.OPEN  # the campaign stops it
    c.close(parts, CUT_OFF)
    with pytest.raises(NotAllowed, match="confirms to its operator"):
        head_confirms(parts[0], Actor(HEAD + 1), [SupplyLine(1, 0)])


# --- commission -------------------------------------------------------------------------------


def handed(p: Purchase, *members: int, months: int = 0) -> None:
    if p.status is not PurchaseStatus.ARRIVED:
        codes = iter(["ACDE", "FGHJ", "KMNP", "QRTU", "VWXY"])
        p.mark_ordered(Actor(p.head_id))
        start = CUT_OFF + timedelta(days=2)
        slot = PickupSlot("Hall", start, start + timedelta(hours=2))
        p.mark_arrived(Actor(p.head_id), [slot], lambda: next(codes))
    for member in members:
        p.hand_over(Actor(p.head_id), member, CUT_OFF + timedelta(days=2 + 31 * months))


def test_a_percent_commission_accrues_on_handover_and_is_reduced_by_refunds_of_goods() -> None:
    c, parts = three_parts()
    c.close(parts, CUT_OFF)
    p = parts[1]  # 21: 3 × 8.00, 22: 1 × 8.00
    assert commission_lines(c, p, "Europe/Berlin") == []  # nothing handed over yet
    handed(p, 21)
    (line,) = commission_lines(c, p, "Europe/Berlin")
    assert (line.goods, line.refunds, line.commission) == (eur("24.00"), eur("0.00"), eur("2.40"))
    ledger.record_payment(p, Actor(p.head_id), 22, eur("8.00"), CUT_OFF)
    handed(p, 22, months=1)
    ledger.record_refund(p, Actor(p.head_id), 22, eur("3.35"), CUT_OFF + timedelta(days=40))
    lines = commission_lines(c, p, "Europe/Berlin")
    assert [(x.month, x.goods, x.refunds) for x in lines] == [
        ("2026-11", eur("24.00"), eur("0.00")),
        ("2026-12", eur("8.00"), eur("3.35")),
    ]
    # 10% of 28.65 is 2.865: rounded once, half up, and the months add up to it.
    assert sum((x.commission for x in lines), eur("0")) == eur("2.87")


def test_a_margin_commission_is_the_head_s_price_less_the_supply_price() -> None:
    c = campaign(CommissionKind.MARGIN)
    p = part(c, 1, honey_price="8.50")
    p.set_quantity(11, "M11", 1, 6, NOW + timedelta(minutes=1))
    c.close([p], CUT_OFF)
    ledger.record_payment(p, Actor(p.head_id), 11, eur("51.00"), CUT_OFF)
    handed(p, 11)
    (line,) = commission_lines(c, p, "Europe/Berlin")
    # 6 × (8.50 − 5.00); a refund of what was overpaid is no refund of goods.
    assert (line.goods, line.commission) == (eur("51.00"), eur("21.00"))


# --- the operator's form ----------------------------------------------------------------------

FORM = """Title: Autumn honey
Supplier: Altai Bee Farm
Cut-off: 2026-11-25 18:00
Delivery: 2026-11-27
Regions: North, River
Commission: 10%
Item: Honey | 8.00 | pack 6 | supply 5.00 | range 7.00-9.00
Item: Wax | 3.00 | supply 2.00"""


def test_the_operator_s_form_reads_as_a_campaign() -> None:
    read = parse_campaign(FORM, "EUR", "Europe/Berlin", NOW)
    assert (read.title, read.regions, read.commission.percent) == (
        "Autumn honey", ("North", "River"), Decimal(10),
    )  # fmt: skip
    honey, wax = read.items
    assert (honey.item.pack_size, honey.supply_price, honey.min_price, honey.max_price) == (
        6, eur("5.00"), eur("7.00"), eur("9.00"),
    )  # fmt: skip
    assert (wax.min_price, wax.max_price) == (eur("3.00"), eur("3.00"))
    assert read.cut_off == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    margin = parse_campaign(FORM.replace("10%", "margin"), "EUR", "Europe/Berlin", NOW)
    assert margin.commission.kind is CommissionKind.MARGIN


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Commission: 10%", "Commission: lots", "line 7 .*10% or margin"),
        ("Commission: 10%", "Commission: 80%", "at most 50%"),
        ("Regions: North, River\n", "", "needs a line Regions"),
        ("Supplier:", "Sponsor:", 'line 3: "Sponsor" is not a known key'),
        ("| supply 2.00", "", "line 9 .*supply price"),
        ("range 7.00-9.00", "range 7.00", "line 8 .*range 7.00-9.00"),
        ("range 7.00-9.00", "range 8.50-9.00", "suggested price must be within"),
        ("2026-11-25 18:00", "2026-11-20 18:00", "line 4 .*in the past"),
        ("Delivery: 2026-11-27", "Delivery: 2026-11-24", "delivery date comes after"),
        ("Item: Wax | 3.00", "Item: Wax | 3,00 | variants A, B", "line 9 .*without variants"),
    ],
)
def test_a_wrong_line_of_the_form_is_named(old: str, new: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        parse_campaign(FORM.replace(old, new), "EUR", "Europe/Berlin", NOW, first_line=2)
