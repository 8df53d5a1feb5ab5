"""Comparisons shared by the DuckDB and BigQuery view tests: `fetch(sql) -> list[dict]` per engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tests.analytics import golden

Fetch = Callable[[str], list[dict[str, Any]]]


def assert_rows_equal(actual: list[dict[str, Any]], expected: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """Same rows (by key) with the expected columns equal; floats to 1e-9 relative."""
    index = {tuple(r[k] for k in keys): r for r in actual}
    assert len(index) == len(actual), "duplicate keys"
    assert sorted(index) == sorted(tuple(r[k] for k in keys) for r in expected)
    for want in expected:
        got = index[tuple(want[k] for k in keys)]
        for col, value in want.items():
            if isinstance(value, float):
                assert got[col] == pytest.approx(value, rel=1e-9, abs=1e-9), (want, col)
            else:
                assert got[col] == value, (want, col, got[col])


def check_activity_facts(fetch: Fetch) -> None:
    rows = fetch("SELECT * FROM activity_facts")
    expected = [vars(f) | {"week_start": golden.monday(f.local_date)} for f in golden.FACTS]
    assert_rows_equal(rows, expected, ("id",))
    by_id = {r["id"]: r for r in rows}
    near_midnight = by_id[4]  # Sunday night in Los Angeles, Monday in UTC
    assert near_midnight["local_date"] == date(2025, 3, 9) and near_midnight["week_start"] == date(2025, 3, 3)
    assert by_id[3]["power_source"] == "estimated" and by_id[1]["power_source"] == "device"
    assert by_id[2]["power_source"] is None
    assert by_id[11]["year"] == 2025 and by_id[11]["quarter_start"] == date(2025, 1, 1)
    assert by_id[5]["ftp"] == 260.0 and by_id[1]["ftp"] == 250.0  # FTP history, weight-only row ignored


def check_weekly(fetch: Fetch, today: date) -> None:
    rows = fetch("SELECT * FROM weekly_summary")
    assert_rows_equal(rows, golden.expected_weekly(today), ("week_start", "sport_type"))
    empty = next(r for r in rows if r["week_start"] == date(2025, 3, 10) and r["sport_type"] == "all")
    assert empty["activity_count"] == 0 and empty["distance_km"] == 0 and empty["avg_watts"] is None
    week = next(r for r in rows if r["week_start"] == date(2025, 3, 3) and r["sport_type"] == "Ride")
    # rides 1 and 4 have a power meter, ride 3's estimated 150 W stays out
    assert week["avg_watts"] == pytest.approx((180 * 5400 + 200 * 3600) / 9000)
    assert max(r["week_start"] for r in rows) == golden.monday(today)


def check_quarterly(fetch: Fetch, today: date) -> None:
    rows = fetch("SELECT * FROM quarterly_summary")
    assert_rows_equal(rows, golden.expected_quarterly(today), ("quarter_start", "sport_type"))


def check_training_load(fetch: Fetch, today: date) -> None:
    rows = fetch("SELECT * FROM training_load")
    assert_rows_equal(rows, golden.expected_training_load(today), ("day",))


def check_power_curve_quarterly(fetch: Fetch) -> None:
    rows = fetch("SELECT * FROM power_curve_quarterly")
    assert_rows_equal(rows, golden.expected_power_curve_quarterly(), ("quarter_start", "duration_s"))
    q1 = {r["duration_s"]: r["activity_id"] for r in rows if r["quarter_start"] == date(2025, 1, 1)}
    assert q1[300] == 4 and q1[60] == 5  # a tie goes to the earlier ride


def check_power_curve_rolling(fetch: Fetch, today: date) -> None:
    rows = fetch("SELECT * FROM power_curve_rolling")
    assert_rows_equal(rows, golden.expected_power_curve_rolling(today), ("day", "duration_s"))


def check_estimated_ftp(fetch: Fetch, today: date) -> None:
    rows = fetch("SELECT * FROM estimated_ftp")
    assert_rows_equal(rows, golden.expected_estimated_ftp(today), ("day",))
    day = next(r for r in rows if r["day"] == date(2025, 3, 19))
    assert day["eftp_w"] == pytest.approx(0.95 * 270) and day["cp_durations"] == 4
