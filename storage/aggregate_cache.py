"""What a unit of work remembers of the purchases it loaded: the rows as read (so that only
the difference is written, under a version check) and a small cache of committed aggregates
across units of work, keyed by version.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from cachetools import LRUCache

from domain.purchase import Handover, Purchase, SupplyConfirmation
from storage.mapping import (
    claim_columns,
)


@dataclass
class StoredRows:
    """What the database holds for a purchase, as last loaded or written."""

    columns: dict[str, object] = field(default_factory=dict)  # the purchase row's own
    last_seq: int = 0
    members: set[int] = field(default_factory=set)
    items: dict[int, dict[str, object]] = field(default_factory=dict)
    slots: list[tuple[object, ...]] = field(default_factory=list)
    withdrawals: dict[int, int] = field(default_factory=dict)
    codes: dict[int, tuple[str, Handover | None]] = field(default_factory=dict)
    claims: list[dict[str, object]] = field(default_factory=list)
    last_entry: int = 0
    supply: dict[int, SupplyConfirmation] = field(default_factory=dict)
    helpers: dict[int, str] = field(default_factory=dict)
    choices: dict[int, int] = field(default_factory=dict)
    layout_version: int = 0

    def copy(self) -> StoredRows:
        return replace(
            self,
            members=set(self.members),
            items=dict(self.items),
            slots=list(self.slots),
            withdrawals=dict(self.withdrawals),
            codes=dict(self.codes),
            claims=list(self.claims),
            supply=dict(self.supply),
            helpers=dict(self.helpers),
            choices=dict(self.choices),
        )


@dataclass
class Tracked:
    purchase: Purchase
    stored: StoredRows


class AggregateCache:
    """The last committed state of recently used purchases, per process.

    A unit of work still reads the purchase row (and locks it on PostgreSQL); only when the
    row's version equals the cached one does it skip reading the children, the order log above
    all, which otherwise makes every tap cost more as a purchase grows. Another process's
    write changes the version, so a stale entry is never used.
    """

    def __init__(self, limit: int = 256) -> None:
        # The purchases used lately: those being tapped stay, the rest are read anew. The limit
        # bounds memory, since each copy holds its purchase's whole order log.
        self._entries: LRUCache[int, tuple[Purchase, StoredRows]] = LRUCache(limit)

    def get(self, purchase_id: int, version: int, newer: bool = False) -> Tracked | None:
        """The copy at `version`; with `newer`, also one committed since (what a reader takes:
        its snapshot may be a commit older than what a writer just left here)."""
        entry = self._entries.get(purchase_id)
        if entry is None or entry[0].version < version:
            return None
        if entry[0].version != version and not newer:
            return None
        return Tracked(entry[0].copy(), entry[1].copy())

    def behind(self, purchase_id: int, version: int, layout_version: int) -> Tracked | None:
        """The cached copy of an older version whose children differ from the row's only by
        members and order requests added since (another process's taps): caught up by
        reading those alone."""
        entry = self._entries.get(purchase_id)
        if (
            entry is None
            or entry[0].version >= version
            or entry[1].layout_version != layout_version
        ):
            return None
        return Tracked(entry[0].copy(), entry[1].copy())

    def forget(self, purchase_id: int) -> None:
        """A purchase deleted: SQLite may give its id to the next one, also at version 1."""
        self._entries.pop(purchase_id, None)

    def put(self, tracked: Tracked) -> None:
        """Keep this committed copy, unless a later one is kept already: a reader that loaded
        an older snapshot must not send the next writer back to read the whole log."""
        kept = self._entries.get(tracked.purchase.id)
        if kept is not None and kept[0].version > tracked.purchase.version:
            return
        self._entries[tracked.purchase.id] = (tracked.purchase.copy(), tracked.stored.copy())


def claim_rows(purchase: Purchase) -> list[dict[str, object]]:
    return [claim_columns(claim) for claim in purchase.claims]


def slot_key(purchase: Purchase) -> list[tuple[object, ...]]:
    return [(s.number, s.place, s.starts_at, s.ends_at, s.capacity) for s in purchase.pickup_slots]
