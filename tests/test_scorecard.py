"""The heads' scorecards checked against a scripted month: two heads, four purchases in
November and one in October, with members, packs, a late stop, handovers on time and late,
goods not collected, a refund and ratings; every figure worked out by hand below."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import InvalidPurchase
from domain.money import Money
from domain.payments import EntryKind, LedgerEntry, Means
from domain.purchase import Handover, PickupSlot, Purchase, PurchaseStatus
from domain.scorecard import (
    DEFAULT_THRESHOLDS,
    Measure,
    Milestones,
    Rating,
    check_threshold,
    rating_for,
    scorecards,
)
from tests.support.builders import NOW, eur, item, purchase

ANNA, OLEG = 100, 200  # heads
TZ = "Europe/Berlin"
NOV = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)  # "now": every slot of the month is over


def bought(
    purchase_id: int, head: int, deadline: datetime, lines: dict[int, int], pack: int = 1,
    status: PurchaseStatus = PurchaseStatus.COMPLETED,
) -> Purchase:  # fmt: skip
    made = replace(purchase([item(1, "10.00", pack_size=pack)]), id=purchase_id, head_id=head)
    for member, units in lines.items():
        made.add_units(member, f"M{member}", 1, units, NOW)
    slot = PickupSlot("Hall", deadline + timedelta(days=2), deadline + timedelta(days=2, hours=2))
    return replace(made, status=status, deadline=deadline, pickup_slots=[slot])


def handed(p: Purchase, member: int, late: bool = False) -> None:
    ends = p.pickup_slots[0].ends_at
    p.handed_over[member] = Handover(ends + (timedelta(hours=1) if late else -timedelta(hours=1)),
                                     p.head_id)  # fmt: skip


def month() -> tuple[list[Purchase], list[Rating], dict[int, Milestones]]:
    # October: Anna's first purchase, members 1 and 2 (so they are repeat members in November).
    october = bought(1, ANNA, datetime(2026, 10, 20, 18, 0, tzinfo=UTC), {1: 2, 2: 1})
    # November, Anna: (a) members 1, 3 want 4 + 3 of packs of 6: 6 go out, fill 6/7.
    a = bought(2, ANNA, NOV, {1: 4, 3: 3}, pack=6)
    # (b) members 2 and 4, two units each; stopped 3 hours late; 4 never collects; a refund.
    b = bought(3, ANNA, NOV + timedelta(days=5), {2: 2, 4: 2})
    # (c) failed: counts as run, nothing else.
    c = bought(4, ANNA, NOV + timedelta(days=8), {5: 1}, status=PurchaseStatus.FAILED)
    # Oleg: one purchase, member 1 (new for Oleg), handed over late.
    d = bought(5, OLEG, NOV + timedelta(days=2), {1: 3})
    for p in (october, a, b, d):
        p.pickup_codes.update({m: f"C{m:03d}" for m in p.final_lines()})
    handed(october, 1)
    handed(october, 2)
    handed(a, 1)
    handed(a, 3, late=True)
    handed(b, 2)
    handed(d, 1, late=True)
    b.ledger.append(LedgerEntry(1, 4, EntryKind.PAYMENT, eur("20.00"), NOV, ANNA, Means.CASH))
    b.ledger.append(LedgerEntry(2, 4, EntryKind.REFUND, eur("20.00"), NOV, ANNA, Means.CASH))
    milestones = {
        1: Milestones(october.deadline),
        2: Milestones(a.deadline),
        3: Milestones(b.deadline + timedelta(hours=3)),
        5: Milestones(d.deadline + timedelta(minutes=1)),
    }
    ratings = [
        Rating(2, 1, ANNA, 5, "", AFTER), Rating(2, 3, ANNA, 4, "", AFTER),
        Rating(3, 2, ANNA, 2, "late", AFTER), Rating(5, 1, OLEG, 1, "rude", AFTER),
        Rating(1, 1, ANNA, 5, "", AFTER),
    ]  # fmt: skip
    return [october, a, b, c, d], ratings, milestones


def test_the_scripted_month_adds_up() -> None:
    purchases, ratings, milestones = month()
    cards = scorecards(purchases, ratings, milestones, TZ, AFTER)
    assert set(cards) == {(ANNA, "2026-10"), (ANNA, "2026-11"), (OLEG, "2026-11")}

    anna = cards[(ANNA, "2026-11")]
    assert anna.purchases == 3  # the failed one was run too
    assert anna.members == 4  # 1, 3, 2, 4 had goods; 5's purchase failed
    assert anna.repeat_members == 2  # 1 and 2 had goods in October
    # (a) 6 units of 10.00, (b) 4 units: 100.00 of goods
    assert anna.goods == {"EUR": Money(10000, "EUR")}
    # wanted 7 + 4 = 11; (a) fills one pack of 6 of its 7, (b) all 4: 10 of 11 got goods
    assert anna.fill_rate == Decimal(91)  # 90.9, rounded
    assert anna.on_time_stop == Decimal(50)  # (a) on time, (b) three hours late
    assert anna.on_time_handover == Decimal(67)  # 1 and 2 on time, 3 late: 2 of 3
    assert anna.not_collected == Decimal(25)  # member 4 of the 4 with codes
    assert (anna.refunds, anna.refunded) == (1, {"EUR": eur("20.00")})
    assert (anna.ratings, anna.rating, anna.complaints) == (3, Decimal("3.7"), 1)
    assert anna.comments == ["late"]
    assert anna.flags(DEFAULT_THRESHOLDS) == [
        Measure.ON_TIME_STOP, Measure.ON_TIME_HANDOVER, Measure.NOT_COLLECTED, Measure.RATING,
    ]  # fmt: skip

    oleg = cards[(OLEG, "2026-11")]
    assert (oleg.purchases, oleg.members, oleg.repeat_members) == (1, 1, 0)
    assert (oleg.fill_rate, oleg.on_time_stop, oleg.on_time_handover) == (100, 100, 0)
    assert (oleg.not_collected, oleg.rating, oleg.complaints) == (0, Decimal(1), 1)
    lenient = DEFAULT_THRESHOLDS | {
        Measure.RATING: Decimal(1),
        Measure.ON_TIME_HANDOVER: Decimal(0),
    }
    assert oleg.flags(lenient) == []

    october = cards[(ANNA, "2026-10")]
    assert (october.members, october.repeat_members, october.rating) == (2, 0, Decimal(5))


def test_a_month_is_read_in_the_timezone_asked() -> None:
    late_evening = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 00:30 on Dec 1 in Berlin
    p = bought(9, ANNA, late_evening, {1: 1})
    assert set(scorecards([p], [], {}, TZ, AFTER)) == {(ANNA, "2026-12")}
    assert set(scorecards([p], [], {}, "UTC", AFTER)) == {(ANNA, "2026-11")}


def test_only_a_member_with_goods_rates_a_completed_purchase_from_1_to_5() -> None:
    p = bought(9, ANNA, NOV, {1: 1})
    assert rating_for(p, 1, 4, AFTER).stars == 4
    for member, stars in ((2, 4), (1, 0), (1, 6)):
        with pytest.raises(InvalidPurchase):
            rating_for(p, member, stars, AFTER)
    with pytest.raises(InvalidPurchase):
        rating_for(replace(p, status=PurchaseStatus.ARRIVED), 1, 4, AFTER)
    with pytest.raises(InvalidPurchase):
        Rating(9, 1, ANNA, 3, "x" * 501, AFTER)


@pytest.mark.parametrize(
    ("line", "measure", "value"),
    [("fill_rate", "80", Measure.FILL_RATE), ("Rating", "4,5", Measure.RATING),
     ("on-time stop", "95%", Measure.ON_TIME_STOP)],
)  # fmt: skip
def test_thresholds_are_read_per_measure(line: str, measure: str, value: Measure) -> None:
    assert check_threshold(line, measure)[0] is value


@pytest.mark.parametrize(
    ("line", "value"), [("speed", "5"), ("rating", "0"), ("rating", "6"), ("fill_rate", "x"),
                        ("complaints", "-1"), ("fill_rate", "NaN")],
)  # fmt: skip
def test_thresholds_out_of_range_or_unknown_are_refused(line: str, value: str) -> None:
    with pytest.raises(InvalidPurchase):
        check_threshold(line, value)
