"""What writing one purchase takes: the statements that bring its child rows in line with the
aggregate, planned before anything runs, so that an aggregate nobody changed is not written at
all (no new version, no lock taken for it, no other process's cache sent to catch up).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Executable, Table, delete, insert, update

from storage.aggregate_cache import Tracked, claim_rows, slot_key
from storage.mapping import entry_columns, item_columns
from storage.purchase_tables import (
    choices,
    claims,
    codes,
    entries,
    helpers,
    items,
    members,
    requests,
    slots,
    supplies,
    withdrawals,
)

T = TypeVar("T")

# 16 random bytes: 22 characters of a deep link's start parameter (64 at most).
PICKUP_TOKEN_BYTES = 16


@dataclass
class ChildWrites:
    """Statements to run, in order (with their rows where one statement writes many), and
    whether anything changed beyond members and order requests added (the two a tap adds,
    which another process's cached copy catches up with by reading only those)."""

    statements: list[tuple[Executable, list[dict[str, Any]] | None]] = field(default_factory=list)
    layout_changed: bool = False

    def add(self, statement: Executable, rows: list[dict[str, Any]] | None = None) -> None:
        self.statements.append((statement, rows))

    def replace(self, table: Table, purchase_id: int, rows: list[dict[str, Any]]) -> None:
        """Rewrite all of a purchase's rows of `table` (a handful per purchase: its helpers,
        withdrawal requests, payment claims, supplier's confirmation)."""
        self.layout_changed = True
        self.add(delete(table).where(table.c.purchase_id == purchase_id))
        if rows:
            self.add(insert(table), [{"purchase_id": purchase_id, **row} for row in rows])

    def __bool__(self) -> bool:
        return bool(self.statements)


def child_writes(tracked: Tracked) -> ChildWrites:
    """Plan the child rows' changes and take them as stored; the order log and the ledger
    are only appended to, so what is new is found from their ends, not by a walk over them."""
    purchase, stored = tracked.purchase, tracked.stored
    pid = purchase.id
    plan = ChildWrites()
    for item in purchase.items:
        columns = item_columns(item)
        if item.item_id not in stored.items:
            plan.layout_changed = True
            plan.add(insert(items).values(purchase_id=pid, **columns))
        elif stored.items[item.item_id] != columns:
            plan.layout_changed = True
            plan.add(
                update(items)
                .where(items.c.purchase_id == pid, items.c.item_id == item.item_id)
                .values(**columns)
            )
        stored.items[item.item_id] = columns
    if slot_key(purchase) != stored.slots:
        plan.layout_changed = True
        plan.add(delete(slots).where(slots.c.purchase_id == pid))
        if purchase.pickup_slots:
            plan.add(
                insert(slots),
                [
                    {"purchase_id": pid, "position": i, "number": s.number,
                     "place": s.place, "starts_at": s.starts_at, "ends_at": s.ends_at,
                     "capacity": s.capacity}
                    for i, s in enumerate(purchase.pickup_slots)
                ],
            )  # fmt: skip
        stored.slots = slot_key(purchase)
    if purchase.members.keys() != stored.members:  # members are only added
        new_members = [m for m in purchase.members.values() if m.user_id not in stored.members]
        plan.add(
            insert(members),
            [{"purchase_id": pid, "user_id": m.user_id, "name": m.name,
              "joined_at": m.joined_at} for m in new_members],
        )  # fmt: skip
        stored.members.update(m.user_id for m in new_members)
    new_requests = _appended(purchase.requests, stored.last_seq, lambda r: r.seq)
    if new_requests:
        plan.add(
            insert(requests),
            [{"purchase_id": pid, "seq": r.seq, "member_id": r.member_id, "item_id": r.item_id,
              "firm_delta": r.firm_delta, "tolerance_delta": r.tolerance_delta, "at": r.at}
             for r in new_requests],
        )  # fmt: skip
        stored.last_seq = new_requests[-1].seq
    if purchase.helpers != stored.helpers:
        plan.replace(
            helpers, pid,
            [{"user_id": user_id, "name": name}
             for user_id, name in sorted(purchase.helpers.items())],
        )  # fmt: skip
        stored.helpers = dict(purchase.helpers)
    if purchase.pickup_choices != stored.choices:
        plan.layout_changed = True
        # Only the members whose choice moved: a rush of choices writes one row each.
        moved = {
            m for m in purchase.pickup_choices.keys() | stored.choices.keys()
            if purchase.pickup_choices.get(m) != stored.choices.get(m)
        }  # fmt: skip
        plan.add(
            delete(choices).where(choices.c.purchase_id == pid, choices.c.member_id.in_(moved))
        )
        chosen = [m for m in sorted(moved) if m in purchase.pickup_choices]
        if chosen:
            plan.add(
                insert(choices),
                [
                    {"purchase_id": pid, "member_id": m,
                     "slot_number": purchase.pickup_choices[m]}
                    for m in chosen
                ],
            )  # fmt: skip
        stored.choices = dict(purchase.pickup_choices)
    if purchase.withdrawal_requests != stored.withdrawals:
        plan.replace(
            withdrawals, pid,
            [{"member_id": m, "number": number}
             for m, number in sorted(purchase.withdrawal_requests.items())],
        )  # fmt: skip
        stored.withdrawals = dict(purchase.withdrawal_requests)
    for member_id, code in purchase.pickup_codes.items():
        handover = purchase.handed_over.get(member_id)
        if member_id in stored.codes and stored.codes[member_id][1] == handover:
            continue
        done = {
            "handed_over_at": handover.at if handover else None,
            "handed_over_by": handover.by if handover else None,
        }
        plan.layout_changed = True
        if member_id not in stored.codes:
            plan.add(
                insert(codes).values(
                    purchase_id=pid, member_id=member_id, code=code,
                    token=secrets.token_urlsafe(PICKUP_TOKEN_BYTES), **done,
                )
            )  # fmt: skip
        else:
            plan.add(
                update(codes)
                .where(codes.c.purchase_id == pid, codes.c.member_id == member_id)
                .values(**done)
            )
        stored.codes[member_id] = (code, handover)
    wanted = claim_rows(purchase)
    if wanted != stored.claims:
        plan.replace(claims, pid, wanted)
        stored.claims = wanted
    new_entries = _appended(purchase.ledger, stored.last_entry, lambda e: e.number)
    if new_entries:
        plan.layout_changed = True
        plan.add(insert(entries), [{"purchase_id": pid, **entry_columns(e)} for e in new_entries])
        stored.last_entry = new_entries[-1].number
    if purchase.supply != stored.supply:
        plan.replace(
            supplies, pid,
            [{"item_id": item_id, "units": confirmed.units,
              "unit_price_minor": None if confirmed.unit_price is None
              else confirmed.unit_price.minor}
             for item_id, confirmed in sorted(purchase.supply.items())],
        )  # fmt: skip
        stored.supply = dict(purchase.supply)
    return plan


def _appended(log: list[T], last_stored: int, number: Callable[[T], int]) -> list[T]:
    """The entries of an append-only log numbered after `last_stored`, read from its end."""
    start = len(log)
    while start > 0 and number(log[start - 1]) > last_stored:
        start -= 1
    return log[start:]
