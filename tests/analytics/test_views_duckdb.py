"""DuckDB-only view behaviour (the golden answers on both engines are in test_views.py)."""

from __future__ import annotations

from datetime import date

import pytest

from strava.analytics import VIEW_NAMES, EffortFactors, create_views_duckdb
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.analytics import golden


def test_calendar_columns_are_dates(duck_golden: DuckDBWarehouse) -> None:
    for view, column in [("activity_facts", "week_start"), ("activity_facts", "quarter_start"),
                         ("weekly_summary", "week_start"), ("quarterly_summary", "quarter_start"),
                         ("training_load", "day")]:
        kind = duck_golden.conn.execute(f"SELECT typeof({column}) FROM {view} LIMIT 1").fetchone()[0]
        assert kind == "DATE", (view, column)


def test_empty_warehouse_has_empty_views(tmp_path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "empty.duckdb")
    warehouse.setup()
    for view in VIEW_NAMES:
        assert warehouse.conn.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == 0
    warehouse.close()


def test_no_ftp_means_no_training_load(tmp_path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "noftp.duckdb")
    warehouse.setup()
    from tests.analytics.conftest import golden_rows
    warehouse.upsert_activities(golden_rows(), "golden")
    assert warehouse.conn.execute("SELECT count(*) FROM training_load").fetchone()[0] == 0
    assert warehouse.conn.execute("SELECT count(*) FROM activity_facts WHERE tss IS NOT NULL").fetchone()[0] == 0
    warehouse.close()


def test_effort_factors_are_a_parameter(duck_golden: DuckDBWarehouse) -> None:
    conn = duck_golden.conn
    create_views_duckdb(conn, EffortFactors(foot_km_per_100m=0.79, ride_km_per_100m=2.0))
    try:
        hike, ride = (conn.execute(f"SELECT equivalent_flat_km FROM activity_facts WHERE id = {i}").fetchone()[0]
                      for i in (6, 5))
        assert hike == pytest.approx(12 + 7 * 0.79) and ride == pytest.approx(70 + 9 * 2.0)
    finally:
        create_views_duckdb(conn)
    assert conn.execute("SELECT equivalent_flat_km FROM activity_facts WHERE id = 6").fetchone()[0] == 19.0


def test_views_survive_a_second_setup(duck_golden: DuckDBWarehouse) -> None:
    duck_golden.setup()  # CREATE OR REPLACE: idempotent
    assert duck_golden.conn.execute("SELECT count(*) FROM activity_facts").fetchone()[0] == len(golden.ACTIVITIES)
    assert date(2025, 3, 10) in {r[0] for r in duck_golden.conn.execute("SELECT week_start FROM weekly_summary")
                                 .fetchall()}
