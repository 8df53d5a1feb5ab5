"""The DuckDB engine on a real file: upsert counts, last-one-wins, archive, schema growth, locking."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import duckdb
import pytest

from strava.errors import WarehouseError
from strava.schema import activity_row
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.pipes import read_line

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def rows(*items):
    return [activity_row(i, NOW)[0] for i in items]


@pytest.fixture
def warehouse(tmp_path):
    w = DuckDBWarehouse(tmp_path / "w.duckdb")
    w.setup()
    yield w
    w.close()


def test_upsert_counts_only_real_changes(warehouse):
    a = {"id": 1, "name": "a", "start_date": "2026-01-01T10:00:00Z"}
    b = {"id": 2, "name": "b", "start_date": "2026-01-02T10:00:00Z"}
    assert warehouse.upsert_activities(rows(a, b), "1").inserted == 2
    result = warehouse.upsert_activities(rows(a, {**b, "name": "B"}), "2")
    assert (result.inserted, result.updated) == (0, 1)
    assert warehouse.latest_start_date() == datetime(2026, 1, 2, 10, tzinfo=UTC)


def test_duplicate_ids_in_one_batch_last_one_wins(warehouse):
    warehouse.upsert_activities(rows({"id": 1, "name": "old"}, {"id": 1, "name": "new"}), "1")
    assert warehouse.conn.execute("SELECT id, name FROM activities").fetchall() == [(1, "new")]


def test_archive_moves_rows_with_their_raw_json(warehouse):
    warehouse.upsert_activities(rows({"id": 1, "name": "keep"}, {"id": 2, "name": "gone"}), "1")
    assert warehouse.archive_activities({2, 99}, "run-1", NOW) == 1
    assert warehouse.activity_ids() == {1}
    assert warehouse.conn.execute(
        "SELECT id, run_id, raw->>'name' FROM deleted_activities").fetchall() == [(2, "run-1", "gone")]


def test_setup_adds_columns_the_schema_gained(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE activities (id BIGINT PRIMARY KEY, raw JSON, synced_at TIMESTAMPTZ)")
        conn.execute("INSERT INTO activities VALUES (5, '{\"id\": 5}', now())")
    w = DuckDBWarehouse(path)
    w.setup()
    assert w.conn.execute("SELECT id, name, sport_type FROM activities").fetchall() == [(5, None, None)]
    w.close()


def test_athlete_settings_keep_other_values(warehouse):
    warehouse.set_athlete_settings(date(2025, 1, 1), 250, None)
    warehouse.set_athlete_settings(date(2025, 1, 1), None, 70.5)
    assert warehouse.conn.execute("SELECT effective_from, ftp, weight_kg FROM athlete_settings").fetchall() == [
        (date(2025, 1, 1), 250.0, 70.5)]


def test_a_file_locked_by_another_process_gives_a_clear_error(tmp_path):
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); "
                               "print('ready', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert read_line(holder).strip() == "ready"
        with pytest.raises(WarehouseError, match="in use by another process"):
            DuckDBWarehouse(path, lock_timeout=0.5)
    finally:
        holder.kill()
        holder.wait()


def test_a_large_batch_fits_the_memory_cap(warehouse):
    """The buffer pool is capped (64 MB); one call with 20,000 rows still goes through (merged in chunks)."""
    from strava.simulator import generate_activities

    result = warehouse.upsert_activities(rows(*generate_activities(20_000, 4)), "big")
    assert (result.inserted, result.updated) == (20_000, 0)
    assert warehouse.conn.execute("SELECT count(*) FROM activities").fetchall() == [(20_000,)]
