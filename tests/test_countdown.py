"""The card's countdown: what it shows never exceeds the time left, lags it by less than a
step, and changes exactly at the moments the timeline plans its edits for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.countdown import EPSILON, MINUTE, next_change, shown, step

DEADLINE = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
lefts = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=9))


@given(lefts)
def test_shown_never_promises_more_than_is_left_and_lags_by_less_than_a_step(
    left: timedelta,
) -> None:
    value = shown(DEADLINE, DEADLINE - left)
    assert value >= MINUTE
    assert value <= left or left < MINUTE  # under a minute reads as a minute
    assert left - value < step(left)


@given(lefts)
def test_what_is_shown_holds_until_the_next_change_and_moves_right_after(
    left: timedelta,
) -> None:
    now = DEADLINE - left
    change = next_change(DEADLINE, now)
    if change is None:  # a minute is shown until the deadline
        assert shown(DEADLINE, now + EPSILON) == MINUTE
        assert shown(DEADLINE, DEADLINE - EPSILON) == MINUTE
        return
    assert now < change < DEADLINE
    assert shown(DEADLINE, now + EPSILON) == shown(DEADLINE, change)
    assert shown(DEADLINE, change + EPSILON) < shown(DEADLINE, change)


def test_the_steps_in_the_last_hour_are_a_minute_apart() -> None:
    now = DEADLINE - timedelta(minutes=16, seconds=30)
    moments = []
    while (change := next_change(DEADLINE, now)) is not None:
        moments.append(DEADLINE - change)
        now = change
    assert moments == [timedelta(minutes=m) for m in range(16, 1, -1)]


def test_edits_a_card_needs_over_three_days() -> None:
    """About 24 a day, 138 in the last day, 58 in the last hour: far below a group's limit
    of some 20 edits a minute."""
    now, edits = DEADLINE - timedelta(days=3), 0
    while (change := next_change(DEADLINE, now)) is not None:
        edits, now = edits + 1, change
    assert edits == 48 + 138 + 58
