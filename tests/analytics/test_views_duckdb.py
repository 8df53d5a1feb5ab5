"""DuckDB-only view behaviour (the golden answers on both engines are in test_views.py)."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from strava.analytics import VIEW_NAMES, EffortFactors, create_views_duckdb
from strava.schema import activity_row
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.analytics import golden
from tests.analytics.conftest import SYNCED_AT, load_golden


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



def test_a_setup_with_nothing_changed_never_loads_sqlglot(duck_golden: DuckDBWarehouse,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlglot", None)  # `import sqlglot` now raises ImportError
    duck_golden.setup()
    assert duck_golden.conn.execute("SELECT count(*) FROM activity_facts").fetchone()[0] == len(golden.ACTIVITIES)


def test_a_view_whose_source_changed_is_rewritten(duck_golden: DuckDBWarehouse) -> None:
    conn = duck_golden.conn
    conn.execute("CREATE OR REPLACE VIEW weekly_summary AS SELECT 1 AS stale")  # as if made from older SQL
    duck_golden.setup()
    assert "stale" not in {r[0] for r in conn.execute("DESCRIBE weekly_summary").fetchall()}
    comments = dict(conn.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert all(comments[view].startswith("sha256:") for view in VIEW_NAMES)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14, UTC-11
def test_views_answer_in_utc_whatever_the_session_time_zone(tmp_path, zone: str) -> None:
    """BigQuery's dates are UTC; DuckDB's follow the session's zone unless the translation says UTC.
    Between the two zones, every moment of the day has a local date that is not the UTC date."""
    warehouse = DuckDBWarehouse(tmp_path / "zone.duckdb")
    load_golden(warehouse)
    late = {**golden.ACTIVITIES[2], "id": 99, "start_date": "2025-03-09T23:30:00Z"}
    del late["start_date_local"]  # the UTC date stands in for the missing wall clock
    warehouse.upsert_activities([activity_row(late, SYNCED_AT)[0]], "late")
    conn = warehouse.conn
    conn.execute(f"SET TimeZone = '{zone}'")
    today = golden.utc_today()
    assert conn.execute("SELECT local_date FROM activity_facts WHERE id = 99").fetchone()[0] == date(2025, 3, 9)
    assert conn.execute("SELECT max(week_start) FROM weekly_summary").fetchone()[0] == golden.monday(today)
    assert conn.execute("SELECT max(quarter_start) FROM quarterly_summary").fetchone()[0] == golden.quarter_start(today)
    assert conn.execute("SELECT max(day) FROM training_load").fetchone()[0] == today
    warehouse.close()
