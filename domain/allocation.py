"""Packs and tolerance (Foodsoft's rule): which requested units the supplier order fills.

Packs to order are the full packs made of firm quantities, plus one more when the remainder and
the tolerances together fill it; a pack is never made of tolerance alone. Units are then handed
out firm first, tolerance second, each in the order they were requested.

Worked example (packs of 6): A asks 4 (+2 tolerance), B 3, C 2 (+3 tolerance), then A +1.
Firm 10 = one full pack and 4 over; 4 + tolerance 5 ≥ 6, so 2 packs = 12 units. The 10 firm
units all fit; the 2 left go to the earliest tolerance, A's. A gets 7, B 3, C 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime


@dataclass(frozen=True)
class QueueEntry:
    """A run of units one member asked for, in its place in the queue."""

    member_id: int
    units: int
    # When the units were asked for: what orders queues of several communities into one.
    at: datetime | None = None


def build_queue(changes: Iterable[tuple[int, int]]) -> list[QueueEntry]:
    """Replay (member, delta) changes into a first-requested-first-served queue of units.

    An increase joins the back of the queue. A decrease takes back the member's most recent
    units first, so lowering a quantity never costs a member the place of the units they keep.
    """
    return timed_queue((member_id, delta, None) for member_id, delta in changes)


def timed_queue(changes: Iterable[tuple[int, int, datetime | None]]) -> list[QueueEntry]:
    """`build_queue` of (member, delta, when) changes: each run of units keeps its time."""
    queue: list[QueueEntry] = []
    for member_id, delta, at in changes:
        if delta > 0:
            queue.append(QueueEntry(member_id, delta, at))
            continue
        to_remove = -delta
        for index in range(len(queue) - 1, -1, -1):
            if to_remove == 0:
                break
            entry = queue[index]
            if entry.member_id != member_id:
                continue
            taken = min(entry.units, to_remove)
            to_remove -= taken
            if taken == entry.units:
                del queue[index]
            else:
                queue[index] = replace(entry, units=entry.units - taken)
    return queue


@dataclass(frozen=True)
class ItemAllocation:
    """The outcome for one item: packs to order and what each member gets or is short of."""

    pack_size: int
    firm_total: int
    tolerance_total: int
    packs: int
    firm: dict[int, int] = field(default_factory=dict)
    tolerance: dict[int, int] = field(default_factory=dict)
    short: dict[int, int] = field(default_factory=dict)
    # A community's part of a campaign: the units it gets of packs filled across communities
    # (not a whole number of packs of its own).
    allotted: int | None = None

    @property
    def units(self) -> int:
        return self.packs * self.pack_size if self.allotted is None else self.allotted

    def allocated(self, member_id: int) -> int:
        return self.firm.get(member_id, 0) + self.tolerance.get(member_id, 0)

    @property
    def units_to_next_pack(self) -> int:
        """How many more units (firm or tolerance) would make one more pack worth ordering."""
        remainder = self.firm_total - (self.firm_total // self.pack_size) * self.pack_size
        if remainder == 0:
            return self.pack_size
        return max(0, self.pack_size - remainder - self.tolerance_total)


def serve(queue: list[QueueEntry], capacity: int) -> tuple[dict[int, int], dict[int, int], int]:
    """Serve the queue in order up to `capacity`: (served per member, unserved per member, left)."""
    served: dict[int, int] = {}
    unserved: dict[int, int] = {}
    for entry in queue:
        taken = min(entry.units, capacity)
        capacity -= taken
        if taken:
            served[entry.member_id] = served.get(entry.member_id, 0) + taken
        if entry.units - taken:
            unserved[entry.member_id] = unserved.get(entry.member_id, 0) + entry.units - taken
    return served, unserved, capacity


def allocate(
    firm_queue: list[QueueEntry],
    tolerance_queue: list[QueueEntry],
    pack_size: int = 1,
    stock: int | None = None,
    supplied_packs: int | None = None,
) -> ItemAllocation:
    """Allocate one item's units to members by Foodsoft's rule (see the module docstring).

    `supplied_packs`: the supplier confirmed only this many packs; the same queue order then
    decides who goes short (the latest requests first, tolerance before firm units).
    """
    if pack_size < 1:
        raise ValueError("pack size is at least 1")
    firm_total = sum(entry.units for entry in firm_queue)
    tolerance_total = sum(entry.units for entry in tolerance_queue)
    packs, remainder = divmod(firm_total, pack_size)
    extra_pack_fits_stock = stock is None or (packs + 1) * pack_size <= stock
    if remainder and remainder + tolerance_total >= pack_size and extra_pack_fits_stock:
        packs += 1
    if supplied_packs is not None:
        packs = min(packs, supplied_packs)
    firm, short, left = serve(firm_queue, packs * pack_size)
    tolerance, _unused, _ = serve(tolerance_queue, left)
    return ItemAllocation(pack_size, firm_total, tolerance_total, packs, firm, tolerance, short)


def allot(
    firm_queue: list[QueueEntry],
    tolerance_queue: list[QueueEntry],
    pack_size: int,
    units: int,
) -> ItemAllocation:
    """A community's part of a campaign (`allocate_across`): its `units` handed out as packs
    are, firm units first, then tolerance, each in the order they were requested."""
    firm, short, left = serve(firm_queue, units)
    tolerance, _unused, _ = serve(tolerance_queue, left)
    firm_total = sum(entry.units for entry in firm_queue)
    tolerance_total = sum(entry.units for entry in tolerance_queue)
    packs = units // pack_size
    return ItemAllocation(
        pack_size, firm_total, tolerance_total, packs, firm, tolerance, short, units
    )


@dataclass(frozen=True)
class CampaignAllocation:
    """One campaign item across its communities: packs to order and each community's units."""

    pack_size: int
    firm_total: int
    tolerance_total: int
    packs: int
    allotted: dict[int, int]  # community's part (a purchase id) → its units

    @property
    def units(self) -> int:
        return self.packs * self.pack_size

    @property
    def units_to_next_pack(self) -> int:
        return ItemAllocation(
            self.pack_size, self.firm_total, self.tolerance_total, self.packs
        ).units_to_next_pack


def merged(queues: Mapping[int, list[QueueEntry]]) -> list[tuple[int, QueueEntry]]:
    """Several communities' queues as one, by when each run of units was asked for; a tie
    goes to the community named first, and each community keeps its own order."""
    runs = [
        (entry.at, rank, position, part, entry)
        for rank, (part, queue) in enumerate(queues.items())
        for position, entry in enumerate(queue)
    ]
    earliest = datetime.min.replace(tzinfo=UTC)
    runs.sort(key=lambda run: (run[0] is None, run[0] or earliest, run[1], run[2]))
    return [(part, entry) for _at, _rank, _position, part, entry in runs]


def allocate_across(
    parts: Mapping[int, tuple[list[QueueEntry], list[QueueEntry]]],
    pack_size: int = 1,
    supplied_packs: int | None = None,
) -> CampaignAllocation:
    """Foodsoft's rule over a campaign's communities at once: packs are the full packs of all
    their firm units, plus one more when the remainder and everyone's tolerance fill it (never
    a pack of tolerance alone); units go firm first, then tolerance, each first requested,
    first served across communities. Each community's part is then handed out to its members
    by `allot`, which serves them in the same order.

    Worked example (packs of 6): five communities each with 2 firm units make 10 units: one
    full pack, and a second one when tolerance somewhere adds 2 more."""
    if pack_size < 1:
        raise ValueError("pack size is at least 1")
    firm_queues = {part: queues[0] for part, queues in parts.items()}
    tolerance_queues = {part: queues[1] for part, queues in parts.items()}
    firm_total = sum(entry.units for queue in firm_queues.values() for entry in queue)
    tolerance_total = sum(entry.units for queue in tolerance_queues.values() for entry in queue)
    packs, remainder = divmod(firm_total, pack_size)
    if remainder and remainder + tolerance_total >= pack_size:
        packs += 1
    if supplied_packs is not None:
        packs = min(packs, supplied_packs)
    capacity = packs * pack_size
    allotted = dict.fromkeys(parts, 0)
    for queue in (firm_queues, tolerance_queues):
        for part, entry in merged(queue):
            taken = min(entry.units, capacity)
            capacity -= taken
            allotted[part] += taken
    return CampaignAllocation(pack_size, firm_total, tolerance_total, packs, allotted)
