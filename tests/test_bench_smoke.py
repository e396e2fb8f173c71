"""Each benchmark, tiny, on SQLite: the bench code keeps working, and even a small run holds the
promises the full run measures (nobody lost, nothing sent twice, no 429, every stop made).
Speed is not asserted here; `make bench` measures it."""

from __future__ import annotations

from math import isfinite

from bench import broadcast, memory, scheduler


async def test_broadcast_reaches_everyone_once_even_across_a_kill() -> None:
    clean = await broadcast.broadcast("sqlite", members=40, kill_halfway=False)
    killed = await broadcast.broadcast("sqlite", members=40, kill_halfway=True)
    assert (clean.lost, clean.duplicates, clean.rate_limited) == (0, 0, 0)
    assert (killed.lost, killed.rate_limited) == (0, 0)
    assert clean.per_second > 0
    print(f"\n{broadcast.table([clean, killed])}")


async def test_scheduler_stops_every_purchase_and_catches_up_after_a_restart() -> None:
    stops, catch_up = await scheduler.run(
        "sqlite", purchases=20, members=3, overdue=5, lead=6, spread=4
    )
    assert isfinite(stops.worst)  # every purchase stopped
    assert all(late >= 0 for late in stops.worst_by_ten_seconds)
    assert isfinite(catch_up.seconds)
    print(f"\n{scheduler.tables([stops], [catch_up])}")


async def test_memory_run_reports_startup_and_peak() -> None:
    result = await memory.run("sqlite", purchases=50, members=3)
    assert isfinite(result.startup_seconds)
    assert result.peak_rss_mb > 0
    print(f"\n{memory.table([result])}")


def test_the_route_planner_serves_every_stop_and_beats_the_sweep() -> None:
    from bench import routes

    row = routes.run(30, seconds=1)
    assert row.lines >= 1 and row.km > 0 and row.sweep_km > 0
    assert row.km <= row.sweep_km  # the solver is never worse than the hand-drawn sweep here
    print(f"\n{routes.table([row])}")


async def test_every_checkout_of_a_rush_is_answered_and_every_payment_recorded_once(
    sqlite_url: str,
) -> None:
    from bench import checkout_rush

    bot = await checkout_rush.run_bot(20, sqlite_url)
    assert (bot.answered_in_time, bot.recorded) == (20, 20)
    print(f"\n{checkout_rush.table([bot])}")
