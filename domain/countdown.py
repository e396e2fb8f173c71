"""The card's countdown: how precisely it shows the time left, and when what it shows changes.

A card is one message edited in place, and a group takes about 20 edits a minute, so the
countdown cannot tick every second. It is shown in steps that grow with the time left (a
minute in the last hour, ten minutes in the last day, an hour before that), always rounded
down, and the timeline edits the card at each step: the number a member reads is never more
than the time really left, and never behind by more than one step.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EPSILON = timedelta(microseconds=1)


def step(left: timedelta) -> timedelta:
    """How precisely `left` is shown."""
    if left >= DAY:
        return HOUR
    if left >= HOUR:
        return 10 * MINUTE
    return MINUTE


def shown(deadline: datetime, now: datetime) -> timedelta:
    """The time left as the card shows it (zero once the deadline has passed; under a minute
    reads as a minute, so that it never says zero while orders are still taken)."""
    left = deadline - now
    if left <= timedelta(0):
        return timedelta(0)
    unit = step(left)
    return max(left // unit * unit, MINUTE)


def next_change(deadline: datetime, now: datetime) -> datetime | None:
    """The first moment after `now` at which `shown` changes, or None when it shows a minute
    until the deadline (which changes the whole card anyway)."""
    # Rounded down, the shown value drops the moment the time left falls below it; what is
    # shown just after `now` is what the next drop starts from.
    current = shown(deadline, now + EPSILON)
    return deadline - current if current > MINUTE else None
