"""The simulated-days benchmark (bench/schedule.py) on small histories: the schedule it plays keeps to the
rate limits, continues at window resets and archives a deletion within 48 hours."""

from __future__ import annotations

from pathlib import Path

from bench import schedule


def test_a_backfill_over_several_windows_uses_the_floor_of_windows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(schedule, "READ_LIMITS", (20, 1000))  # 17 reads a window: 31 pages need 2 windows
    monkeypatch.setattr(schedule, "WINDOW_BUDGET", 17)
    result = schedule.backfill(6_000, tmp_path)
    assert (result["status"], result["stored"], result["refused_429"]) == ("ok", 6_000, 0)
    assert result["windows"] == result["floor_windows"] == 2 and result["runs"] == 2
    assert result["schedule_minutes"] <= 15.5  # the continuation ran 30 s after the first window reset


def test_a_deletion_is_archived_by_the_next_days_pass(tmp_path: Path) -> None:
    result = schedule.deletion_latency(1_500, tmp_path, seed=3)
    assert result["refused_429"] == 0
    assert result["latency_h"] is not None and result["latency_h"] <= 48
    # pass: 8 pages and the empty one; 4 incremental runs of at most 2 reads; 1 confirming GET on the day
    assert result["reads_per_day"] <= 9 + 4 * 2 + 1


def test_the_largest_history_a_daily_pass_covers_follows_from_the_limits() -> None:
    assert schedule.largest_history_for_48h() == (1000 - 3 - 4 * 2 - 10 - 1) * 200 == 195_600
