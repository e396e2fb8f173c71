"""Each benchmark, tiny, on SQLite: the bench code keeps working, and even a small run holds the
promises the full run measures (nobody lost, nothing sent twice, no 429, every stop made).
Speed is not asserted here; `make bench` measures it."""

from __future__ import annotations

from math import isfinite

import pytest

from bench import broadcast, memory, scheduler


async def test_broadcast_reaches_everyone_once_even_across_a_kill() -> None:
    clean = await broadcast.broadcast("sqlite", members=40, kill_halfway=False)
    killed = await broadcast.broadcast("sqlite", members=40, kill_halfway=True)
    assert (clean.lost, clean.duplicates, clean.rate_limited) == (0, 0, 0)
    assert clean.messages == clean.members  # one photo each, the notice its caption
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


async def test_a_flood_is_turned_away_while_others_taps_are_answered(sqlite_url: str) -> None:
    from bench import flood_isolation

    quiet, during, turned_away = await flood_isolation.one_round(40, 3, sqlite_url)
    assert quiet > 0 and during > 0  # every tap answered (taps_answered checks each answer)
    assert turned_away >= 1  # presses beyond the 20 waiting were told so


async def test_tap_rush_counts_every_first_tap_once(sqlite_url: str) -> None:
    from bench import tap_rush

    result = await tap_rush.run_bot(30, sqlite_url)
    assert result.exact and result.taps == 30 and result.rate_limited == 0


async def test_crafted_files_are_refused_and_the_loop_never_held() -> None:
    from bench import file_limits

    data = file_limits.rewritten(file_limits.sheet(), file_limits.declared(b"A1:XFD1048576"))
    seconds, stall, outcome = await file_limits.now_reading("xlsx", data)
    assert outcome.startswith("refused: the sheet has more than") and seconds > 0
    assert stall < seconds  # the loop kept turning while another process read the file


async def test_long_log_taps_both_purchases_and_counts_every_tap_once(sqlite_url: str) -> None:
    from bench import long_log

    long, fresh = await long_log.run(
        sqlite_url, lines=200, members=10, rounds=2, size=3, settle=False
    )
    assert (long.lines_before, fresh.lines_before) == (200, 0)
    assert (long.taps, fresh.taps) == (6, 6) and long.exact and fresh.exact
    print(f"\n{long_log.table([long, fresh])}\n{long_log.ratios(long, fresh)}")


async def test_a_hot_card_on_three_workers_fails_no_tap_in_front_of_a_person() -> None:
    from bench import hot_card
    from sandbox.fleet import find_haproxy
    from sandbox.postgres import find_postgres_bin

    if find_haproxy() is None or find_postgres_bin() is None:
        pytest.skip("HAProxy or PostgreSQL is not installed")
    results = await hot_card.measure(members=15, taps_each=2, cards=2, rounds=1)
    assert [r.taps for r in results] == [30, 30]
    assert all(r.exact and r.errors == r.unanswered == 0 for r in results)
    print(f"\n{hot_card.table(results)}")


async def test_a_campaign_cut_off_closes_every_part_while_other_taps_are_answered(
    sqlite_url: str,
) -> None:
    from bench import campaign_cutoff

    [cut_off] = await campaign_cutoff.run(
        sqlite_url, communities=20, orders=2, rounds=1, rate=20, quiet=1, cards=1
    )
    assert cut_off.closed and cut_off.errors == 0 and cut_off.quiet
    assert 0 < cut_off.held <= cut_off.seconds
    print(f"\n{campaign_cutoff.table([cut_off])}")


def test_the_startup_benchmark_compares_the_worker_with_its_base_libraries() -> None:
    from bench import startup

    rows = startup.measure(
        {
            "base libraries": (startup.BASE_LIBRARIES, startup.HERE),
            "worker": (startup.WORKER_MODULES, startup.HERE),
        },
        repeat=1,
    )
    assert [row.heavy for row in rows] == [[], []]
    assert rows[1].modules > rows[0].modules and rows[1].peak_mb > 0
    print(f"\n{startup.table(rows)}")
