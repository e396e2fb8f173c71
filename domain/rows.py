"""Size rows (the joint purchase's «ряды»): the supplier sells some goods only in full rows, one
of each variant — a row of T-shirts is one S, one M, one L and one XL. It is the pack rule of
`domain.allocation` for a pack made of distinct variants.

Each variant's units are queued first requested, first served (`build_queue`), and the n-th
unit of a variant sits in row n. A row is ordered only when every variant in it is taken, so
the rows ordered are as many as the variant with the fewest units has; each variant's first
that many units are served and the rest are short. Tolerance does not apply (a row is not
filled by "I would take one more"), and no row is ever ordered incomplete.

Worked example (row S, M, L): A asks S and M, B asks S, C asks L, then D asks M. S has 2
units (A, B), M 2 (A, D), L 1 (C): one full row. Row 1 is A's S, A's M and C's L; B's S and
D's M are in row 2, which lacks an L: they are short unless someone takes an L.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.allocation import ItemAllocation, QueueEntry, serve


@dataclass(frozen=True)
class RowsState:
    """How a group's rows are being filled: `full` rows, and the first one not full yet."""

    full: int
    # The first incomplete row: each variant's item id → whether that row has it.
    next_row: dict[int, bool]

    @property
    def next_row_number(self) -> int:
        return self.full + 1

    @property
    def missing(self) -> list[int]:
        """The variants that would complete the next row (in the group's order)."""
        return [item_id for item_id, taken in self.next_row.items() if not taken]

    @property
    def started(self) -> bool:
        """Whether anyone stands in the next row yet."""
        return any(self.next_row.values())


def rows_state(units: Mapping[int, int], variants: Sequence[int]) -> RowsState:
    """The rows of a group whose variants (item ids, in order) have `units` firm units each."""
    full = min((units.get(item_id, 0) for item_id in variants), default=0)
    return RowsState(full, {item_id: units.get(item_id, 0) > full for item_id in variants})


def completing_moves(
    units: Mapping[int, int], variants: Sequence[int], short: Mapping[int, int]
) -> list[tuple[int, int]]:
    """Where a member short of a full row may move one unit so that one more row is full:
    (from, to) pairs, `short` their units outside full rows per variant.

    The next row is completed by one move only when it lacks a single size, and the unit moves
    from a size with at least two units beyond the full rows (else its own row would go short
    instead). Worked example (row S, M, L): S 3, M 2, L 1 make one full row; row 2 lacks L
    alone, and S's third unit may move to L: S 2, M 2, L 2 make two."""
    state = rows_state(units, variants)
    if len(state.missing) != 1:
        return []
    (target,) = state.missing
    return [
        (source, target)
        for source in variants
        if source != target and short.get(source, 0) and units.get(source, 0) >= state.full + 2
    ]


def allocate_rows(
    queues: Mapping[int, list[QueueEntry]],
    variants: Sequence[int],
    supplied_rows: int | None = None,
) -> dict[int, ItemAllocation]:
    """Allocate a group's variants (`queues`: item id → its firm queue) in full rows.

    `supplied_rows`: the supplier confirmed only this many rows; the latest requests of each
    variant then go short first, as with packs."""
    totals = {
        item_id: sum(entry.units for entry in queues.get(item_id, [])) for item_id in variants
    }
    rows = rows_state(totals, variants).full
    if supplied_rows is not None:
        rows = min(rows, supplied_rows)
    result = {}
    for item_id in variants:
        served, short, _left = serve(queues.get(item_id, []), rows)
        result[item_id] = ItemAllocation(1, totals[item_id], 0, rows, served, {}, short)
    return result
