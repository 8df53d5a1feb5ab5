"""BigQueryWarehouse against the real BigQuery emulator (bqemulator), through the real client library."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from strava import schema
from strava.errors import ConfigError, WarehouseError
from strava.gcp import emulator_endpoint
from strava.schema import activity_row
from strava.warehouse import UpsertResult, open_warehouse
from strava.warehouse.bigquery import BigQueryWarehouse
from tests.paths import EXAMPLE_ACTIVITIES

EXAMPLES = EXAMPLE_ACTIVITIES
SYNCED = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def activity(id_: int, start: str | None = "2024-05-01T10:00:00Z", **extra: Any) -> dict[str, Any]:
    item = {"id": id_, "name": f"ride {id_}", "sport_type": "Ride", "distance": 1000.5 + id_,
            "start_date": start, "start_date_local": start and start.replace("10:", "12:"), "athlete": {"id": 7}}
    return {**item, **extra}


def rows(*items: dict[str, Any], synced_at: datetime = SYNCED) -> list[dict[str, Any]]:
    return [activity_row(item, synced_at)[0] for item in items]


def select(wh: BigQueryWarehouse, sql: str) -> list[dict[str, Any]]:
    sql = sql.replace("{ds}", f"`{wh.project}.{wh.dataset}`")
    return [dict(r) for r in wh.client.query(sql).result()]


def stored(wh: BigQueryWarehouse) -> dict[int, dict[str, Any]]:
    out = select(wh, "SELECT * EXCEPT (raw), TO_JSON_STRING(raw) AS raw FROM {ds}.activities")
    return {r["id"]: r for r in out}


@pytest.fixture
def wh(bq_dataset: str) -> Iterator[BigQueryWarehouse]:
    warehouse = open_warehouse(f"bigquery:{bq_dataset}")
    warehouse.setup()
    yield warehouse
    warehouse.close()


def test_setup_creates_partitioned_clustered_tables_and_views(wh: BigQueryWarehouse) -> None:
    wh.setup()  # idempotent
    activities = wh.client.get_table(f"{wh.project}.{wh.dataset}.activities")
    assert (activities.time_partitioning.type_, activities.time_partitioning.field) == ("DAY", "start_date")
    assert activities.clustering_fields == ["sport_type", "id"]
    types = {f.name: f.field_type for f in activities.schema}
    assert (types["raw"], types["upload_id"], types["start_date_local"], types["start_date"]) == (
        "JSON", "STRING", "DATETIME", "TIMESTAMP")
    assert [f.name for f in activities.schema] == schema.ACTIVITIES.column_names
    deleted = wh.client.get_table(f"{wh.project}.{wh.dataset}.deleted_activities")
    assert deleted.time_partitioning.field == "deleted_at"
    tables = {t.table_id: t.table_type for t in wh.client.list_tables(f"{wh.project}.{wh.dataset}")}
    assert {t.name for t in schema.TABLES} <= {name for name, kind in tables.items() if kind == "TABLE"}
    from strava.analytics import VIEW_NAMES, sql_path

    views = {v for v in VIEW_NAMES if sql_path(v).exists()}
    assert views <= {name for name, kind in tables.items() if kind == "VIEW"}


def test_upsert_counts_only_new_and_changed_rows(wh: BigQueryWarehouse) -> None:
    assert wh.upsert_activities(rows(activity(1), activity(2), activity(3)), "run-a-1") == UpsertResult(3, 0)
    assert wh.upsert_activities(rows(activity(1), activity(2), activity(3)), "run-a-2") == UpsertResult(0, 0)
    later = datetime(2025, 2, 1, tzinfo=UTC)
    result = wh.upsert_activities(rows(activity(1), activity(2, name="renamed"), activity(4), synced_at=later),
                                  "run-a-3")
    assert result == UpsertResult(1, 1)
    data = stored(wh)
    assert sorted(data) == [1, 2, 3, 4]
    assert data[2]["name"] == "renamed" and data[2]["synced_at"] == later
    assert data[1]["synced_at"] == SYNCED  # unchanged rows are not rewritten


def test_duplicate_ids_in_a_batch_last_one_wins(wh: BigQueryWarehouse) -> None:
    batch = rows(activity(5, name="first"), activity(6), activity(5, name="second"))
    assert wh.upsert_activities(batch, "dup-1") == UpsertResult(2, 0)
    assert stored(wh)[5]["name"] == "second"


def test_null_and_edited_start_dates_merge_without_duplicates(wh: BigQueryWarehouse) -> None:
    assert wh.upsert_activities(rows(activity(1, start=None), activity(2, start="2020-01-01T10:00:00Z")),
                                "nulls-1") == UpsertResult(2, 0)
    # 1 keeps a NULL start; 2 was edited on Strava to a date far from anything else in this batch
    batch = rows(activity(1, start=None, name="x"), activity(2, start="2024-06-01T10:00:00Z"),
                 activity(3, start="2024-06-01T11:00:00Z"))
    assert wh.upsert_activities(batch, "nulls-2") == UpsertResult(1, 2)
    assert wh.upsert_activities(rows(activity(1, start="2024-06-02T10:00:00Z")), "nulls-3") == UpsertResult(0, 1)
    ids = [r["id"] for r in select(wh, "SELECT id FROM {ds}.activities")]
    assert sorted(ids) == [1, 2, 3]
    data = stored(wh)
    assert data[2]["start_date"] == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert data[1]["start_date"] == datetime(2024, 6, 2, 10, tzinfo=UTC)


def test_example_activities_round_trip_every_column(wh: BigQueryWarehouse) -> None:
    items = json.loads(EXAMPLES.read_text())
    big = activity(9, upload_id=2**64 + 5, start_date_local="2024-05-01T07:08:09Z")  # upload_id beyond INT64
    expected = {r["id"]: r for r in rows(*items, big)}
    assert wh.upsert_activities(list(expected.values()), "examples-1") == UpsertResult(len(expected), 0)
    data = stored(wh)
    assert data[9]["upload_id"] == str(2**64 + 5)
    assert data[9]["start_date_local"] == datetime(2024, 5, 1, 7, 8, 9)  # wall clock, no zone
    for id_, row in expected.items():
        got = data[id_]
        assert json.loads(got.pop("raw")) == json.loads(row["raw"])
        assert got == {k: v for k, v in row.items() if k != "raw"}


def test_archive_moves_rows_in_one_step(wh: BigQueryWarehouse) -> None:
    wh.upsert_activities(rows(activity(1), activity(2), activity(3, start=None)), "arch-1")
    when = datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert wh.archive_activities([1, 3, 999], "run-x", when) == 2
    assert wh.archive_activities([], "run-x", when) == 0
    assert wh.activity_ids() == {2}
    archived = select(wh, "SELECT id, deleted_at, run_id, start_date, JSON_VALUE(raw, '$.name') AS name "
                          "FROM {ds}.deleted_activities ORDER BY id")
    assert archived == [
        {"id": 1, "deleted_at": when, "run_id": "run-x", "start_date": datetime(2024, 5, 1, 10, tzinfo=UTC),
         "name": "ride 1"},
        {"id": 3, "deleted_at": when, "run_id": "run-x", "start_date": None, "name": "ride 3"}]
    tables = [t.table_id for t in wh.client.list_tables(f"{wh.project}.{wh.dataset}")]
    assert not [t for t in tables if t.startswith("_tmp_")]  # staging tables are dropped


def test_record_run_replaces_by_run_id(wh: BigQueryWarehouse) -> None:
    started = datetime(2025, 1, 1, 6, tzinfo=UTC)
    wh.record_run({"run_id": "r1", "started_at": started, "mode": "full", "status": "ok", "api_calls": 3,
                   "token_rotated": False, "not_a_column": "ignored"})
    wh.record_run({"run_id": "r1", "started_at": started, "mode": "full", "status": "failed", "api_calls": 4,
                   "error_kind": "warehouse", "error_message": "it's \"quoted\"", "finished_at": started})
    wh.record_run({"run_id": "r2", "started_at": started, "mode": "incremental", "status": "ok"})
    runs = {r["run_id"]: r for r in select(wh, "SELECT * FROM {ds}.sync_runs")}
    assert sorted(runs) == ["r1", "r2"]
    assert runs["r1"]["status"] == "failed" and runs["r1"]["api_calls"] == 4
    assert runs["r1"]["error_message"] == "it's \"quoted\"" and runs["r1"]["token_rotated"] is None


def test_setup_adds_columns_the_schema_gained_and_fills_old_rows_from_raw(
        bq_dataset: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dataset from before schema versions were kept, lacking two columns: setup adds them and re-derives
    every stored row's typed columns from raw, page by page, once."""
    from google.cloud import bigquery

    from strava.warehouse import bigquery as bq_engine

    monkeypatch.setattr(bq_engine, "REDERIVE_ROWS", 2)  # three pages, two rows each at most
    wh = open_warehouse(f"bigquery:{bq_dataset}")
    old = [c for c in schema.ACTIVITIES.columns if c.name not in ("pr_count", "resource_state")]
    wh.client.create_dataset(bq_dataset)
    wh.client.create_table(bigquery.Table(f"{bq_dataset}.activities", schema=[
        bigquery.SchemaField(c.name, c.type) for c in old]))
    for i in range(1, 6):
        wh.client.query(f"INSERT INTO `{bq_dataset}.activities` (id, name, raw, synced_at) VALUES ({i}, 'stale', "
                        f"JSON '{{\"id\": {i}, \"name\": \"old {i}\", \"pr_count\": {i * 2}, "
                        f"\"start_date\": \"2024-0{i}-01T10:00:00Z\"}}', TIMESTAMP '2024-01-01')").result()
    wh.setup()
    got = {r["id"]: r for r in select(wh, "SELECT id, name, pr_count, resource_state, start_date, synced_at "
                                          "FROM {ds}.activities")}
    assert got == {i: {"id": i, "name": f"old {i}", "pr_count": i * 2, "resource_state": None,
                       "start_date": datetime(2024, i, 1, 10, tzinfo=UTC),
                       "synced_at": datetime(2024, 1, 1, tzinfo=UTC)} for i in range(1, 6)}
    assert select(wh, "SELECT version, backfilled FROM {ds}.schema_versions") == [
        {"version": schema.SCHEMA_VERSION, "backfilled": 5}]
    select(wh, "UPDATE {ds}.activities SET name = 'edited by hand' WHERE id = 1")
    wh.setup()  # again: nothing left to add, no second pass
    assert select(wh, "SELECT name FROM {ds}.activities WHERE id = 1") == [{"name": "edited by hand"}]
    assert wh.upsert_activities(rows(activity(6, pr_count=3)), "grow-1") == UpsertResult(1, 0)
    assert select(wh, "SELECT pr_count FROM {ds}.activities WHERE id = 6") == [{"pr_count": 3}]
    assert not [t for t in wh.client.list_tables(bq_dataset) if t.table_id.startswith("_tmp_")]


def test_a_failed_upgrade_is_a_warehouse_error_and_runs_again(wh: BigQueryWarehouse,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from strava.warehouse import bigquery as bq_engine

    wh.upsert_activities(rows(*(activity(i, pr_count=i) for i in range(1, 4))), "upgrade-1")
    select(wh, "UPDATE {ds}.activities SET pr_count = NULL WHERE TRUE")  # as the older code left them
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setattr(bq_engine, "REDERIVE_ROWS", 2)
    derive = bq_engine.derived_rows
    pages: list[int] = []

    def second_page_unloadable(stored: Any) -> list[dict[str, Any]]:
        pages.append(1)
        return derive(stored) if len(pages) == 1 else [{"id": 1, "start_date": "never"}]  # the load fails

    monkeypatch.setattr(bq_engine, "derived_rows", second_page_unloadable)
    with pytest.raises(WarehouseError, match=rf"BigQuery schema upgrade on {wh.project}\.{wh.dataset}\.activities"):
        wh.setup()
    assert select(wh, "SELECT MAX(version) AS v FROM {ds}.schema_versions") == [{"v": schema.SCHEMA_VERSION - 1}]
    assert not [t for t in wh.client.list_tables(wh.dataset) if t.table_id.startswith("_tmp_")]
    monkeypatch.setattr(bq_engine, "derived_rows", derive)
    wh.setup()  # the version was not recorded: the pass runs again, whole
    assert select(wh, "SELECT id, pr_count FROM {ds}.activities ORDER BY id") == [
        {"id": i, "pr_count": i} for i in range(1, 4)]
    assert select(wh, "SELECT MAX(version) AS v FROM {ds}.schema_versions") == [{"v": schema.SCHEMA_VERSION}]


def test_a_dataset_from_newer_code_is_refused(wh: BigQueryWarehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION - 1)
    with pytest.raises(ConfigError, match=rf"{wh.dataset} has schema version {schema.SCHEMA_VERSION + 1} .* "
                                          "Upgrade the code"):
        wh.setup()


def test_same_batch_key_is_applied_once(wh: BigQueryWarehouse) -> None:
    assert wh.upsert_activities(rows(activity(1), activity(2)), "retry-1") == UpsertResult(2, 0)
    # a retry of that batch (same key) finds its jobs done: reports their counts, applies nothing again
    assert wh.upsert_activities(rows(activity(1, name="changed"), activity(2)), "retry-1") == UpsertResult(2, 0)
    assert stored(wh)[1]["name"] == "ride 1"
    assert wh.upsert_activities(rows(activity(1, name="changed")), "retry-2") == UpsertResult(0, 1)


def test_latest_start_date_and_ids(wh: BigQueryWarehouse) -> None:
    assert wh.latest_start_date() is None and wh.activity_ids() == set()
    wh.upsert_activities(rows(activity(1, start="2024-01-01T00:00:00Z"), activity(2, start="2024-03-05T06:07:08Z"),
                              activity(3, start=None)), "latest-1")
    assert wh.latest_start_date() == datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)
    assert wh.activity_ids() == {1, 2, 3}


def test_athlete_settings_merge_by_date(wh: BigQueryWarehouse) -> None:
    wh.set_athlete_settings(date(2024, 1, 1), 250.0, 70.0, cda_m2=0.3)
    wh.set_athlete_settings(date(2024, 1, 1), None, 72.5, bike_kg=8.2)  # None keeps the value already set
    wh.set_athlete_settings(date(2024, 6, 1), 260.0, None)
    got = select(wh, "SELECT effective_from, ftp, weight_kg, cda_m2, bike_kg FROM {ds}.athlete_settings "
                     "ORDER BY effective_from")
    assert got == [{"effective_from": date(2024, 1, 1), "ftp": 250.0, "weight_kg": 72.5, "cda_m2": 0.3, "bike_kg": 8.2},
                   {"effective_from": date(2024, 6, 1), "ftp": 260.0, "weight_kg": None, "cda_m2": None,
                    "bike_kg": None}]


def test_missing_dataset_is_terraforms_job(bq_dataset: str) -> None:
    wh = BigQueryWarehouse.from_spec(bq_dataset, create_dataset=False)
    with pytest.raises(WarehouseError, match="does not exist: create it with `terraform apply`"):
        wh.setup()


def test_failures_name_the_table(bq_dataset: str) -> None:
    wh = BigQueryWarehouse.from_spec(bq_dataset)  # setup() never ran: no dataset, no tables
    # the emulator answers 403 for a missing table, BigQuery 404: either way the message names it
    with pytest.raises(WarehouseError, match=rf"BigQuery read on {bq_dataset}\.activities"):
        wh.latest_start_date()


def test_specs_and_emulator_hosts() -> None:
    with pytest.raises(ConfigError, match="not PROJECT.DATASET"):
        BigQueryWarehouse.from_spec("no-dataset")
    assert emulator_endpoint("X", {"X": "localhost:9050"}) == "http://localhost:9050"
    assert emulator_endpoint("X", {"X": "http://127.0.0.1:1/"}) == "http://127.0.0.1:1"
    assert emulator_endpoint("X", {}) is None


def test_import_is_lazy() -> None:
    # `google` and `google.cloud` themselves are empty namespace packages a .pth file preloads
    code = ("import sys, strava.warehouse.bigquery; "
            "sys.exit(any(m.startswith(('google.cloud.', 'google.api_core')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
