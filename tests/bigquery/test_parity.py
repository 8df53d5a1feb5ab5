"""The BigQuery and DuckDB engines store the same contents and report the same counts for the same input;
per-activity tables behave alike on the three engines (the S3 lake included)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from strava import schema
from strava.schema import ACTIVITIES, DELETED_ACTIVITIES, FLOAT64, INT64, STRING, Column, Table, activity_row
from strava.warehouse.base import STREAMS_PER_READ
from strava.warehouse.bigquery import BigQueryWarehouse
from strava.warehouse.duckdb import DuckDBWarehouse
from strava.warehouse.s3 import S3Warehouse
from tests.aws.lake import lake_rows
from tests.paths import EXAMPLE_ACTIVITIES

EXAMPLES = EXAMPLE_ACTIVITIES
T0 = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def _items() -> list[dict[str, Any]]:
    extra = [{"id": 11, "name": "no start", "sport_type": "Run", "upload_id": 2**70},
             {"id": 12, "name": "é \"quoted\" \\ back", "start_date": "2024-02-29T23:59:59Z",
              "start_date_local": "2024-03-01T00:59:59Z", "start_latlng": [45.5, -73.25], "distance": 0.1}]
    return json.loads(EXAMPLES.read_text()) + extra


def _normal(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: json.loads(v) if k == "raw" and v is not None else v for k, v in r.items()}
            for r in sorted(rows, key=lambda r: r["id"])]


def _bq_rows(wh: BigQueryWarehouse, table: str, columns: list[str]) -> list[dict[str, Any]]:
    cols = ", ".join(f"TO_JSON_STRING({c}) AS {c}" if c == "raw" else c for c in columns)
    return _normal([dict(r) for r in wh.client.query(f"SELECT {cols} FROM `{wh.project}.{wh.dataset}.{table}`")
                    .result()])


def _duck_rows(wh: DuckDBWarehouse, table: str, columns: list[str]) -> list[dict[str, Any]]:
    cur = wh.conn.execute(f"SELECT {', '.join(columns)} FROM {table}")
    return _normal([dict(zip(columns, r, strict=True)) for r in cur.fetchall()])


def test_same_input_same_tables(bq_dataset: str, tmp_path: Path) -> None:
    bq, duck = BigQueryWarehouse.from_spec(bq_dataset), DuckDBWarehouse(tmp_path / "w.duckdb")
    items = _items()
    first = [activity_row(i, T0)[0] for i in items]
    second = [activity_row({**i, "kudos_count": 99}, T0.replace(year=2026))[0] for i in items[:2]]
    second += [activity_row(items[3], T0)[0]]
    for wh in (bq, duck):
        wh.setup()
    results = [[wh.upsert_activities(b, f"parity-{n}") for n, b in enumerate((first, first, second))]
               for wh in (bq, duck)]
    assert results[0] == results[1]
    when = datetime(2025, 6, 1, tzinfo=UTC)
    assert bq.archive_activities([11, 404], "r", when) == duck.archive_activities([11, 404], "r", when) == 1
    for table in (ACTIVITIES, DELETED_ACTIVITIES):
        assert _bq_rows(bq, table.name, table.column_names) == _duck_rows(duck, table.name, table.column_names)
    assert bq.latest_start_date() == duck.latest_start_date()
    duck.close()
    bq.close()


# Strava's wire text, escapes and all (Rails writes `>` as \u003e); a row keeps the same JSON value.
RECEIVED = (r'{"id": 77, "name": "5k \u003e 10k, \u00e9t\u00e9 \ud83d\udeb4 \"q\" \\ \/", "distance": 12.0, '
            r'"upload_id": 12345678901234567, "map": {"id": "a77", "summary_polyline": "a\\b"}, '
            r'"start_latlng": [45.5, -73.25], "photos": {}, "tags": [], "device_name": null, "trainer": true}')


def test_raw_parses_to_the_json_value_received(bq_dataset: str, tmp_path: Path) -> None:
    bq, duck = BigQueryWarehouse.from_spec(bq_dataset), DuckDBWarehouse(tmp_path / "w.duckdb")
    for wh in (bq, duck):
        wh.setup()
        wh.upsert_activities([activity_row(json.loads(RECEIVED), T0)[0]], "raw-1")
    duck_text = duck.conn.execute("SELECT raw::VARCHAR FROM activities").fetchall()[0][0]
    assert json.loads(duck_text) == json.loads(RECEIVED)
    assert "5k > 10k, été 🚴" in duck_text  # the same value, not the same text (as the column says)
    assert _bq_rows(bq, "activities", ["id", "raw"]) == [{"id": 77, "raw": json.loads(RECEIVED)}]
    duck.close()
    bq.close()


# A per-activity table as streams, metrics and weather define theirs (schema.ACTIVITY_TABLES).
SAMPLES = Table("samples", (Column("activity_id", INT64, required=True), Column("k", STRING),
                            Column("watts", FLOAT64, repeated=True)))


def _samples(wh: BigQueryWarehouse | DuckDBWarehouse | S3Warehouse) -> list[tuple[int, str, list[float]]]:
    sql = "SELECT activity_id, k, watts FROM {} ORDER BY activity_id, k"
    if isinstance(wh, S3Warehouse):
        found = sorted((r["activity_id"], r["k"], r["watts"]) for r in lake_rows(wh, "samples"))
    elif isinstance(wh, BigQueryWarehouse):
        found = [tuple(r.values()) for r in wh.client.query(sql.format(f"`{wh.project}.{wh.dataset}.samples`"))
                 .result()]
    else:
        found = wh.conn.execute(sql.format("samples")).fetchall()
    return [(a, k, list(w or [])) for a, k, w in found]


@pytest.fixture(params=["duckdb", "bigquery", "s3"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BigQueryWarehouse | DuckDBWarehouse
                                                                         | S3Warehouse]:
    if request.param == "duckdb":
        wh: BigQueryWarehouse | DuckDBWarehouse | S3Warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    elif request.param == "bigquery":
        wh = BigQueryWarehouse.from_spec(request.getfixturevalue("bq_dataset"))
    else:
        wh = S3Warehouse.from_spec(request.getfixturevalue("lake").removeprefix("s3:"))
    yield wh
    wh.close()


def test_per_activity_tables_replace_find_missing_and_cascade(engine: BigQueryWarehouse | DuckDBWarehouse
                                                              | S3Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every engine against the same expectations, computed from the input."""
    monkeypatch.setattr(schema, "ACTIVITY_TABLES", (SAMPLES,))
    monkeypatch.setattr(schema, "TABLES", (*schema.TABLES, SAMPLES))
    items = [i for i in _items() if i.get("start_date")]
    ids = sorted(i["id"] for i in items)  # the example's ids; start dates differ
    newest_first = [i["id"] for i in sorted(items, key=lambda i: (i["start_date"], i["id"]), reverse=True)]
    wh = engine
    wh.setup()
    wh.upsert_activities([activity_row(i, T0)[0] for i in items], "samples")
    wh.replace_activity_rows(SAMPLES, [ids[0]], [{"activity_id": ids[0], "k": "a", "watts": [1.5, 2.0]},
                                                 {"activity_id": ids[0], "k": "b", "watts": []}])
    wh.replace_activity_rows(SAMPLES, [ids[1]], [{"activity_id": ids[1], "k": "a", "watts": [3.0]}])
    wh.replace_activity_rows(SAMPLES, [ids[0]], [{"activity_id": ids[0], "k": "c", "watts": [4.0]}])
    missing = wh.activities_without(SAMPLES, ["id", "name"], limit=100)
    picky = wh.activities_without(SAMPLES, ["id"], limit=5, where="sport_type = 'MountainBikeRide'")
    before = _samples(wh)
    wh.archive_activities([ids[1]], "r", T0)
    expected = [i for i in newest_first if i not in ids[:2]]  # newest first, those with rows left out
    names = {i["id"]: i.get("name") for i in items}
    assert missing == [{"id": i, "name": names[i]} for i in expected]
    assert before == [(ids[0], "c", [4.0]), (ids[1], "a", [3.0])]  # replaced whole per activity
    assert _samples(wh) == [(ids[0], "c", [4.0])]  # archiving an activity removes its rows
    mtb = [i for i in expected if next(x for x in items if x["id"] == i).get("sport_type") == "MountainBikeRide"]
    assert picky == [{"id": i} for i in mtb[:5]]
    assert wh.activities_without(SAMPLES, ["id"], limit=2) == [{"id": i} for i in expected[:2]]


def test_athlete_zones_history_and_deauthorization_on_every_engine(engine: BigQueryWarehouse | DuckDBWarehouse
                                                                   | S3Warehouse) -> None:
    """Strava's zones are Strava data: a confirmed deauthorization deletes them, athlete_settings stays."""
    wh = engine
    wh.setup()
    assert wh.zones_history() == []
    jan, jun = date(2025, 1, 1), date(2025, 6, 1)
    wh.set_athlete_zones(jun, None)  # refused: no profile:read_all
    wh.set_athlete_zones(jan, [118, 137, 157, 176])
    wh.set_athlete_zones(jun, (120.5, 140.0, 160.0, 175.0))  # the same day again: replaced
    wh.set_athlete_settings(jan, 250.0, None)
    assert wh.zones_history() == [(jan, (118.0, 137.0, 157.0, 176.0)), (jun, (120.5, 140.0, 160.0, 175.0))]
    wh.set_athlete_zones(jun, None)
    assert wh.zones_history() == [(jan, (118.0, 137.0, 157.0, 176.0)), (jun, None)]
    wh.upsert_activities([activity_row(i, T0)[0] for i in _items()[:2]], "zones")

    assert wh.delete_strava_data() == 2 + 2  # two activities, two zones rows
    assert wh.zones_history() == [] and wh.activity_ids() == set()
    assert wh.ftp_history() == [(jan, 250.0)]  # typed in by the user: kept


def test_read_streams_returns_the_stored_tracks_asked_for(engine: BigQueryWarehouse | DuckDBWarehouse
                                                          | S3Warehouse) -> None:
    """More activities than one read holds, over two months; ids without a streams row are left out."""
    items = [{"id": 200 + k, "name": f"ride {k}", "sport_type": "Ride",
              "start_date": f"2025-0{1 + k % 2}-{1 + k:02d}T08:00:00Z"} for k in range(STREAMS_PER_READ + 3)]
    acts = [activity_row(i, T0)[0] for i in items]
    wh = engine
    wh.setup()
    wh.upsert_activities(acts, "streams")

    def track(i: int) -> list[dict[str, float]]:
        return [{"lat": 45.0 + i / 1e4, "lng": 7.0}, {"lat": 45.0, "lng": 7.0 + i / 1e4}]

    stored = [{"activity_id": a["id"], "start_date": a["start_date"], "status": "ok", "fetched_at": T0,
               "latlng": track(a["id"]), "time": [0, a["id"]], "moving": [False, True], "watts": [1.0, 2.0]}
              for a in acts[:-2]]
    stored.append({"activity_id": acts[-2]["id"], "start_date": acts[-2]["start_date"], "status": "none",
                   "fetched_at": T0})
    wh.replace_activity_rows(schema.ACTIVITY_STREAMS, [a["id"] for a in acts], stored)
    asked = [a["id"] for a in acts] + [404]  # the last activity has no streams row, 404 is no activity
    got = sorted(wh.read_streams(asked, ["latlng", "time", "start_date"]), key=lambda r: r["activity_id"])
    # streams not recorded are NULL (BigQuery: empty arrays); the lake's timestamps come back as datetimes
    assert [{**r, "latlng": r["latlng"] or [], "time": r["time"] or []} for r in got] == [
        {"activity_id": a["id"], "latlng": track(a["id"]), "time": [0, a["id"]], "start_date": a["start_date"]}
        for a in acts[:-2]
    ] + [{"activity_id": acts[-2]["id"], "latlng": [], "time": [], "start_date": acts[-2]["start_date"]}]
    assert list(wh.read_streams([], ["latlng"])) == []
