"""The DuckDB engine on a real file: upsert counts, last-one-wins, archive, schema growth, locking."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import duckdb
import pytest

from strava import schema
from strava.errors import ConfigError, WarehouseError
from strava.schema import activity_row
from strava.warehouse import duckdb as duck
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


def test_athlete_settings_of_an_older_file_gain_cda_and_bike_mass_and_keep_their_values(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:  # the table before cda_m2 and bike_kg
        conn.execute('CREATE TABLE athlete_settings (effective_from DATE NOT NULL, ftp DOUBLE, weight_kg DOUBLE, '
                     'updated_at TIMESTAMPTZ, PRIMARY KEY ("effective_from"))')
        conn.execute("INSERT INTO athlete_settings VALUES (DATE '2025-01-01', 250, 70, now())")
    w = DuckDBWarehouse(path)
    w.setup()
    w.set_athlete_settings(date(2025, 1, 1), None, None, cda_m2=0.3)
    assert w.conn.execute("SELECT ftp, weight_kg, cda_m2, bike_kg FROM athlete_settings").fetchall() == [
        (250.0, 70.0, 0.3, None)]
    w.close()


def versions(w):
    return [v for (v,) in w.conn.execute("SELECT version FROM schema_versions ORDER BY version").fetchall()]


def typed(w):
    names = ", ".join(f'"{c.name}"' for c in schema.DERIVED_COLUMNS)
    return {r[0]: r[1:] for r in w.conn.execute(f"SELECT id, {names} FROM activities").fetchall()}


def expected(items):
    return {r["id"]: tuple(r[c.name] for c in schema.DERIVED_COLUMNS) for r in rows(*items)}


def items(n):
    return [{"id": i, "name": f"ride {i}", "pr_count": i % 3, "distance": 10.5 * i,
             "start_date": f"2026-01-{i:02d}T10:00:00Z", "start_latlng": [45.0, -73.0 - i]} for i in range(1, n + 1)]


def older_code(warehouse, monkeypatch, dropped="pr_count"):
    """The file as the code before this version left it: a column missing, an older version recorded."""
    warehouse.conn.execute(f'ALTER TABLE activities DROP COLUMN "{dropped}"')
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)


def test_a_newer_schema_fills_the_new_column_of_old_rows_from_raw(warehouse, monkeypatch):
    stored = items(5)
    warehouse.upsert_activities(rows(*stored), "1")
    synced = warehouse.conn.execute("SELECT id, synced_at FROM activities ORDER BY id").fetchall()
    older_code(warehouse, monkeypatch)
    monkeypatch.setattr(duck, "REDERIVE_ROWS", 2)  # three batches
    warehouse.setup()
    assert typed(warehouse) == expected(stored)  # pr_count is back, from raw, on every old row
    assert warehouse.conn.execute("SELECT count(*) FROM activities WHERE pr_count IS NULL").fetchall() == [(0,)]
    assert warehouse.conn.execute("SELECT id, synced_at FROM activities ORDER BY id").fetchall() == synced
    assert versions(warehouse) == [schema.SCHEMA_VERSION - 1, schema.SCHEMA_VERSION]
    assert warehouse.conn.execute("SELECT backfilled FROM schema_versions WHERE version = ?",
                                  [schema.SCHEMA_VERSION]).fetchall() == [(5,)]
    warehouse.conn.execute("UPDATE activities SET name = 'edited by hand' WHERE id = 1")
    warehouse.setup()  # up to date: no second pass
    assert warehouse.conn.execute("SELECT name FROM activities WHERE id = 1").fetchall() == [("edited by hand",)]


def test_a_file_from_before_versions_were_kept_is_rederived_once(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE activities (id BIGINT PRIMARY KEY, name VARCHAR, raw JSON, synced_at TIMESTAMPTZ)")
        conn.execute("""INSERT INTO activities VALUES (5, 'stale', '{"id": 5, "name": "Lunch", "pr_count": 2}', now()),
                        (6, 'kept', '["not an activity"]', now())""")
    w = DuckDBWarehouse(path)
    w.setup()
    assert w.conn.execute("SELECT id, name, pr_count FROM activities ORDER BY id").fetchall() == [
        (5, "Lunch", 2), (6, "kept", None)]  # a raw that maps to no row is left as it was
    assert versions(w) == [schema.SCHEMA_VERSION]
    w.close()


def test_an_interrupted_pass_leaves_a_usable_file_and_runs_again(warehouse, monkeypatch):
    stored = items(6)
    warehouse.upsert_activities(rows(*stored), "1")
    older_code(warehouse, monkeypatch)
    monkeypatch.setattr(duck, "REDERIVE_ROWS", 2)
    calls = []

    def failing_second_batch(batch):
        calls.append(1)
        if len(calls) == 2:
            raise duckdb.IOException("No space left on device")
        return duck_derived_rows(batch)

    duck_derived_rows = duck.derived_rows
    monkeypatch.setattr(duck, "derived_rows", failing_second_batch)
    with pytest.raises(WarehouseError, match="setup failed.*No space left"):
        warehouse.setup()
    assert versions(warehouse) == [schema.SCHEMA_VERSION - 1]  # not recorded: the next setup runs the pass again
    filled = warehouse.conn.execute("SELECT id FROM activities WHERE pr_count IS NOT NULL ORDER BY id").fetchall()
    assert filled == [(1,), (2,)]  # the first batch was committed, the second rolled back
    assert warehouse.upsert_activities(rows(*items(7)), "2").inserted == 1  # still usable
    monkeypatch.setattr(duck, "derived_rows", duck_derived_rows)
    warehouse.setup()
    assert typed(warehouse) == expected(items(7))
    assert versions(warehouse)[-1] == schema.SCHEMA_VERSION


def test_a_file_from_newer_code_is_refused_untouched(warehouse, monkeypatch):
    warehouse.upsert_activities(rows(*items(2)), "1")
    warehouse.conn.execute("ALTER TABLE activities DROP COLUMN pr_count")  # as if newer code had dropped it
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION - 1)
    with pytest.raises(ConfigError, match=rf"schema version {schema.SCHEMA_VERSION + 1} .* Upgrade the code"):
        warehouse.setup()
    columns = {r[0] for r in warehouse.conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'activities'").fetchall()}
    assert "pr_count" not in columns  # no DDL ran


def test_athlete_settings_keep_other_values(warehouse):
    warehouse.set_athlete_settings(date(2025, 1, 1), 250, None, cda_m2=0.3)
    warehouse.set_athlete_settings(date(2025, 1, 1), None, 70.5, bike_kg=8.2)
    warehouse.set_athlete_settings(date(2025, 1, 1), None, None, cda_m2=0.28)
    assert warehouse.conn.execute("SELECT effective_from, ftp, weight_kg, cda_m2, bike_kg FROM athlete_settings"
                                  ).fetchall() == [(date(2025, 1, 1), 250.0, 70.5, 0.28, 8.2)]


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


def test_rows_reach_duckdb_without_pyarrow_or_numpy(tmp_path):
    """Installed or not, pyarrow and numpy would cost a run 0.13 s to import and ≈ 85 MB in a backfill."""
    script = (
        "import sys; from datetime import UTC, datetime\n"
        "from strava.schema import activity_row\n"
        "from strava.simulator import generate_activities\n"
        "from strava.warehouse.duckdb import DuckDBWarehouse\n"
        f"w = DuckDBWarehouse({str(tmp_path / 'w.duckdb')!r}); w.setup()\n"
        "now = datetime.now(UTC)\n"
        "print(w.upsert_activities([activity_row(a, now)[0] for a in generate_activities(18, 1)], 'k'))\n"
        "w.close(); print(sorted({'pyarrow', 'numpy', 'pandas'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split("\n")[:2] == ["UpsertResult(inserted=18, updated=0)", "[]"]


def test_setup_of_an_unchanged_file_is_one_query(tmp_path, monkeypatch):
    """Tables and views are looked at only when what setup() makes of a file changed (or was never recorded)."""
    made, create_views = [], duck.create_views_duckdb
    monkeypatch.setattr(duck, "create_views_duckdb", lambda conn: made.append(create_views(conn)))
    path = tmp_path / "w.duckdb"
    for _ in range(2):
        w = DuckDBWarehouse(path)
        w.setup()
        w.close()
    assert len(made) == 1
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)  # newer code: tables looked at
    for _ in range(2):
        w = DuckDBWarehouse(path)
        w.setup()
        w.close()
    assert len(made) == 2
