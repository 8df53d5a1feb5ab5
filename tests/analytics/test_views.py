"""Every view's rows equal the answers computed in plain Python (tests/analytics/golden.py), on a real
DuckDB file, on the BigQuery emulator and as Athena views over the S3 lake (their DuckDB transpilation) alike."""

from __future__ import annotations

from typing import Any

import pytest

from strava.analytics import VIEW_NAMES
from tests.analytics import checks, golden
from tests.analytics.athena import DATABASE


def _duck_rows(conn: Any, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _duckdb(request: pytest.FixtureRequest) -> checks.Fetch:
    conn = request.getfixturevalue("duck_golden").conn
    return lambda sql: _duck_rows(conn, sql)


def _athena(request: pytest.FixtureRequest) -> checks.Fetch:
    """The Athena views, transpiled to DuckDB, over the lake's JSON files (tests/analytics/athena.py)."""
    conn = request.getfixturevalue("athena_duck")

    def run(sql: str) -> list[dict[str, Any]]:
        for view in VIEW_NAMES:
            sql = sql.replace(f"FROM {view}", f'FROM "{DATABASE}"."{view}"')
        return _duck_rows(conn, sql)
    return run


def _bigquery(request: pytest.FixtureRequest) -> checks.Fetch:
    warehouse = request.getfixturevalue("bq_golden")

    def run(sql: str) -> list[dict[str, Any]]:
        for view in VIEW_NAMES:
            sql = sql.replace(f"FROM {view}", f"FROM `{warehouse.project}.{warehouse.dataset}.{view}`")
        return [dict(row) for row in warehouse.client.query(sql).result()]
    return run


@pytest.fixture(params=[_duckdb, _bigquery, _athena], ids=["duckdb", "bigquery", "athena"])
def fetch(request: pytest.FixtureRequest) -> checks.Fetch:
    return request.param(request)


def test_activity_facts(fetch: checks.Fetch) -> None:
    checks.check_activity_facts(fetch)


def test_weekly_summary(fetch: checks.Fetch) -> None:
    checks.check_weekly(fetch, golden.utc_today())


def test_quarterly_summary(fetch: checks.Fetch) -> None:
    checks.check_quarterly(fetch, golden.utc_today())


def test_training_load(fetch: checks.Fetch) -> None:
    checks.check_training_load(fetch, golden.utc_today())


def test_power_curve_quarterly(fetch: checks.Fetch) -> None:
    checks.check_power_curve_quarterly(fetch)


def test_power_curve_rolling(fetch: checks.Fetch) -> None:
    checks.check_power_curve_rolling(fetch, golden.utc_today())


def test_estimated_ftp(fetch: checks.Fetch) -> None:
    checks.check_estimated_ftp(fetch, golden.utc_today())
