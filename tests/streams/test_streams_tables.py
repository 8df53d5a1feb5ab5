"""activity_streams and its metric tables on both engines: DuckDB and BigQuery (bqemulator) store the same."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strava import schema
from strava.details import detail_row, lap_rows
from strava.schema import activity_row
from strava.streams import streams_row
from strava.warehouse.bigquery import BigQueryWarehouse
from strava.warehouse.duckdb import DuckDBWarehouse

T0 = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
SENT = {"time": {"data": [0, 1, 3]}, "moving": {"data": [True, True, False]},
        "latlng": {"data": [[45.1, 5.7], [45.2, 5.8], [45.3, 5.9]]}, "watts": {"data": [210, 250, 0]},
        "heartrate": {"data": [120, 121, 119]}}


LAPS = [{"name": "Lap 1", "distance": 5000.0, "moving_time": 600, "average_watts": "n/a"},
        {"name": "Lap 2", "distance": 4000}]
DETAIL = {"id": 1, "name": "Ride é", "description": "Windy", "calories": 812.5, "device_name": "Garmin Edge 1030",
          "gear": {"id": "b1", "name": "Canyon"}, "laps": LAPS}


def _details(wh: BigQueryWarehouse | DuckDBWarehouse) -> list[tuple[Any, ...]]:
    raw = "JSON_VALUE(raw, '$.name')" if isinstance(wh, BigQueryWarehouse) else "raw->>'name'"
    return (_read(wh, f"SELECT activity_id, status, description, calories, gear_name, {raw} FROM activity_details "
                      "ORDER BY activity_id")
            + _read(wh, "SELECT lap_index, name, distance, moving_time, average_watts FROM activity_laps "
                        "ORDER BY lap_index"))


def _read(wh: BigQueryWarehouse | DuckDBWarehouse, sql: str) -> list[tuple[Any, ...]]:
    if isinstance(wh, BigQueryWarehouse):
        sql = sql.replace("FROM ", f"FROM `{wh.project}.{wh.dataset}`.")
        return [tuple(r.values()) for r in wh.client.query(sql).result()]
    return [tuple(r) for r in wh.conn.execute(sql).fetchall()]


def test_streams_curve_and_metrics_round_trip_on_both_engines(bq_dataset: str, tmp_path: Path) -> None:
    bq, duck = BigQueryWarehouse.from_spec(bq_dataset), DuckDBWarehouse(tmp_path / "w.duckdb")
    activities = [{"id": i, "start_date": f"2025-0{i}-10T08:00:00Z", "start_date_local": f"2025-0{i}-10T09:00:00Z",
                   "sport_type": "Ride", "manual": i == 2} for i in (1, 2, 3)]
    found = []
    for wh in (bq, duck):
        wh.setup()
        wh.upsert_activities([activity_row(a, T0)[0] for a in activities], "streams")
        wh.set_athlete_settings(datetime(2025, 1, 1).date(), 250.0, None)
        wh.replace_activity_rows(schema.ACTIVITY_STREAMS, [1, 2], [streams_row(1, T0, SENT, T0),
                                                                   streams_row(2, T0, None, T0)])
        wh.replace_activity_rows(schema.ACTIVITY_DETAILS, [1, 3], [detail_row(1, DETAIL, T0), detail_row(3, None, T0)])
        wh.replace_activity_rows(schema.ACTIVITY_LAPS, [1], lap_rows(1, DETAIL))
        curve = [{"activity_id": 1, "duration_s": 1, "watts": 250.0}]
        wh.replace_activity_rows(schema.ACTIVITY_POWER_CURVE, [1], curve)
        wh.replace_activity_rows(schema.ACTIVITY_STREAM_METRICS, [1], [{"activity_id": 1, "seconds": 4,
                                                                        "power_z3_s": 2, "stress": 1.5}])
        found.append((
            _read(wh, "SELECT activity_id, status, time, moving, watts, heartrate FROM activity_streams "
                      "ORDER BY activity_id"),
            [[(p["lat"], p["lng"]) for p in r[0] or []] for r in _read(wh, "SELECT latlng FROM activity_streams "
                                                                             "ORDER BY activity_id")],
            _read(wh, "SELECT activity_id, duration_s, watts FROM activity_power_curve"),
            _read(wh, "SELECT activity_id, seconds, power_z3_s, stress FROM activity_stream_metrics"),
            [r["id"] for r in wh.activities_without(schema.ACTIVITY_STREAMS, ["id"], 10)],
            wh.ftp_history(),
            _details(wh),
        ))
    duck_found = found[1]
    assert duck_found[0] == [(1, "ok", [0, 1, 3], [True, True, False], [210.0, 250.0, 0.0], [120.0, 121.0, 119.0]),
                             (2, "none", None, None, None, None)]
    # BigQuery has no NULL arrays: a stream that was not recorded reads back empty.
    assert found[0][0] == [r[:2] + tuple(v if v is not None else [] for v in r[2:]) for r in duck_found[0]]
    assert duck_found[1] == [[(45.1, 5.7), (45.2, 5.8), (45.3, 5.9)], []]
    assert found[0][1:] == duck_found[1:]
    assert duck_found[2:6] == ([(1, 1, 250.0)], [(1, 4, 2, 1.5)], [3], [(datetime(2025, 1, 1).date(), 250.0)])
    assert duck_found[6] == [(1, "ok", "Windy", 812.5, "Canyon", "Ride é"), (3, "none", None, None, None, None),
                             (1, "Lap 1", 5000.0, 600, None), (2, "Lap 2", 4000.0, None, None)]  # "n/a": no watts
    bq.close()
    duck.close()
