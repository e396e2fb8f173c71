"""The order log's values: one request per change a member makes, the running sums over the
log, and the members who asked. Quantities and the allocation are derived from the log
(`domain.orders`), so "first requested, first served" holds by construction.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Request:
    """One entry of the append-only order log: a member changed one line."""

    seq: int
    member_id: int
    item_id: int
    firm_delta: int
    tolerance_delta: int
    at: datetime


class LogSums:
    """Running sums over an order log, brought up to date with the entries appended since the
    last look. A tap asks for a member's quantity, the item's units, whether the member already
    takes part and the purchase's total; replaying the whole log for each made every tap of a
    rush cost more than the one before it. The log is only ever appended to; a different or
    shorter list (a reload) is summed again from the start, and a copy of the aggregate
    carries its sums over (`carried_to`) instead of summing its copy of the log again."""

    def __init__(self, log: list[Request]) -> None:
        self._log = log
        self._counted = 0
        # member → item → (firm units, tolerance units); members in the order they first asked
        self.lines: dict[int, dict[int, tuple[int, int]]] = {}
        # The members whose item map this instance made itself; the others it shares with the
        # sums it was carried from or to, and copies before changing (copy on write: carrying
        # costs one copy of the outer map, not one of every member's lines).
        self._own: set[int] = set()
        self.member_units: dict[int, int] = {}  # member → firm units over all items
        self.item_units: dict[int, int] = {}
        self.firm_units = 0

    def follows(self, log: list[Request]) -> bool:
        return log is self._log and self._counted <= len(log)

    def carried_to(self, log: list[Request]) -> LogSums:
        """The same sums for `log`, a copy of this one's log as counted so far."""
        carried = LogSums(log)
        carried._counted = self._counted
        carried.lines = dict(self.lines)
        carried.member_units = dict(self.member_units)
        carried.item_units = dict(self.item_units)
        carried.firm_units = self.firm_units
        self._own = set()  # every member's map is shared now, both ways
        return carried

    def catch_up(self) -> LogSums:
        for r in itertools.islice(self._log, self._counted, None):
            member_lines = self.lines.get(r.member_id)
            if member_lines is None or r.member_id not in self._own:
                member_lines = self.lines[r.member_id] = dict(member_lines or {})
                self._own.add(r.member_id)
            firm, tolerance = member_lines.get(r.item_id, (0, 0))
            member_lines[r.item_id] = (firm + r.firm_delta, tolerance + r.tolerance_delta)
            self.member_units[r.member_id] = self.member_units.get(r.member_id, 0) + r.firm_delta
            self.item_units[r.item_id] = self.item_units.get(r.item_id, 0) + r.firm_delta
            self.firm_units += r.firm_delta
        self._counted = len(self._log)
        return self


@dataclass
class Member:
    user_id: int
    name: str
    joined_at: datetime
