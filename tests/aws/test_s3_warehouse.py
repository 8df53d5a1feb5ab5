"""The S3 lake's own guarantees against moto: one writer at a time, an index that cannot go stale unseen,
schema upgrades from raw, JSON lines Athena reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from strava import schema
from strava.errors import ConfigError, WarehouseError
from strava.warehouse.s3 import S3Warehouse
from tests.aws.lake import lake_objects, lake_rows

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def activity(i: int, start: str, name: str = "Ride") -> dict:
    item = {"id": i, "name": name, "sport_type": "Ride", "start_date": start, "distance": 1000.0 * i}
    return schema.activity_row(item, T0)[0]


def opened(lake: str, clock: Clock | None = None) -> S3Warehouse:
    warehouse = S3Warehouse.from_spec(lake.removeprefix("s3:"), clock=clock or Clock(), lock_seconds=600)
    warehouse.setup()
    return warehouse


def test_a_second_writer_is_refused_until_the_first_closes(lake):
    first = opened(lake)
    with pytest.raises(WarehouseError, match="locked by another sync run"):
        opened(lake)
    first.close()
    opened(lake).close()


def test_an_expired_lock_is_taken_over_and_its_old_holder_stops_writing(lake):
    clock = Clock()
    dead = opened(lake, clock)
    dead.upsert_activities([activity(1, "2025-02-01T08:00:00Z")], "b1")
    clock.now += timedelta(seconds=601)
    heir = opened(lake, clock)  # the first run "died": its lock expired
    with pytest.raises(WarehouseError, match="another run took it"):
        dead.upsert_activities([activity(2, "2025-02-02T08:00:00Z")], "b2")
    assert heir.activity_ids() == {1}
    heir.close()


def test_layout_is_json_lines_per_month_with_athena_timestamps(lake):
    warehouse = opened(lake)
    result = warehouse.upsert_activities([activity(1, "2025-02-01T08:00:00Z"), activity(2, "2024-12-31T23:30:00Z"),
                                          activity(1, "2025-02-01T08:00:00Z", "Last wins")], "b1")
    assert (result.inserted, result.updated) == (2, 0)
    objects = lake_objects(warehouse, "activities")
    assert sorted(objects) == ["strava/activities/year=2024/month=12/data.json",
                               "strava/activities/year=2025/month=02/data.json"]
    row = objects["strava/activities/year=2025/month=02/data.json"][0]
    assert list(row) == schema.ACTIVITIES.column_names
    assert (row["name"], row["start_date"], row["synced_at"]) == ("Last wins", "2025-02-01 08:00:00",
                                                                  "2025-03-01 12:00:00")
    assert json.loads(row["raw"])["name"] == "Last wins"
    assert warehouse.latest_start_date() == datetime(2025, 2, 1, 8, tzinfo=UTC)
    warehouse.close()


def test_a_run_that_died_before_its_index_write_is_repaired_by_the_next(lake):
    """A moved activity written to its new month, the old month and the index never rewritten: the next
    setup re-reads the months whose ETag the index does not know and keeps the copy synced last."""
    warehouse = opened(lake)
    warehouse.upsert_activities([activity(1, "2025-01-05T08:00:00Z")], "b1")
    index = warehouse.client.get_object(Bucket=warehouse.bucket, Key="strava/_state/index.json")["Body"].read()
    moved = activity(1, "2025-02-05T08:00:00Z", "Moved") | {"synced_at": T0 + timedelta(hours=1)}
    warehouse.upsert_activities([moved], "b2")
    warehouse.client.put_object(Bucket=warehouse.bucket, Key="strava/_state/index.json", Body=index)  # stale
    key = "strava/activities/year=2025/month=01/data.json"  # and the old copy back, as if never removed
    old = json.dumps({**activity(1, "2025-01-05T08:00:00Z"), "start_date": "2025-01-05 08:00:00",
                      "synced_at": "2025-03-01 12:00:00"}) + "\n"
    warehouse.client.put_object(Bucket=warehouse.bucket, Key=key, Body=old.encode())
    warehouse.close()

    repaired = opened(lake)
    assert repaired.activity_ids() == {1}
    assert repaired.latest_start_date() == datetime(2025, 2, 5, 8, tzinfo=UTC)
    assert [r["name"] for rows in lake_objects(repaired, "activities").values() for r in rows] == ["Moved"]
    repaired.close()


def test_an_upgrade_rederives_typed_columns_from_raw_and_a_newer_lake_is_refused(lake):
    warehouse = opened(lake)
    warehouse.upsert_activities([activity(1, "2025-01-05T08:00:00Z", "From raw")], "b1")
    key = "strava/activities/year=2025/month=01/data.json"
    row = lake_objects(warehouse, "activities")[key][0] | {"name": "stale column"}
    warehouse.client.put_object(Bucket=warehouse.bucket, Key=key, Body=json.dumps(row).encode())
    warehouse.client.delete_object(Bucket=warehouse.bucket, Key="strava/schema_versions/data.json")
    warehouse.close()

    upgraded = opened(lake)
    assert lake_objects(upgraded, "activities")[key][0]["name"] == "From raw"
    (version,) = lake_objects(upgraded, "schema_versions").values()
    assert [(v["version"], v["backfilled"]) for v in version] == [(schema.SCHEMA_VERSION, 1)]
    newer = {"version": schema.SCHEMA_VERSION + 1, "applied_at": "2030-01-01 00:00:00", "backfilled": 0}
    upgraded.client.put_object(Bucket=upgraded.bucket, Key="strava/schema_versions/data.json",
                               Body=json.dumps(newer).encode())
    upgraded.close()
    with pytest.raises(ConfigError, match="newer release"):
        opened(lake)


def test_athlete_settings_merge_by_date_and_a_row_from_before_cda_keeps_its_values(lake):
    warehouse = opened(lake)
    key = "strava/athlete_settings/data.json"
    old = {"effective_from": "2025-01-01", "ftp": 250.0, "weight_kg": 70.0, "updated_at": "2025-01-01 08:00:00"}
    warehouse.client.put_object(Bucket=warehouse.bucket, Key=key, Body=json.dumps(old).encode())  # no cda/bike
    warehouse.set_athlete_settings(date(2025, 1, 1), None, None, cda_m2=0.3)
    warehouse.set_athlete_settings(date(2025, 1, 1), None, 72.5, bike_kg=8.2)  # None keeps the value already set
    warehouse.set_athlete_settings(date(2025, 6, 1), 260.0, None)
    assert warehouse.ftp_history() == [(date(2025, 1, 1), 250.0), (date(2025, 6, 1), 260.0)]
    rows = sorted(lake_objects(warehouse, "athlete_settings")[key], key=lambda r: r["effective_from"])
    warehouse.close()
    assert [list(r) for r in rows] == [schema.ATHLETE_SETTINGS.column_names] * 2  # every column, schema order
    columns = ("effective_from", "ftp", "weight_kg", "cda_m2", "bike_kg")
    assert [tuple(r[c] for c in columns) for r in rows] == [("2025-01-01", 250.0, 72.5, 0.3, 8.2),
                                                            ("2025-06-01", 260.0, None, None, None)]


def test_a_missing_bucket_says_so(aws_env):
    with pytest.raises(ConfigError, match="does not exist"):
        opened("s3://no-such-bucket-here/strava")


@pytest.mark.parametrize("spec", ["s3:bucket/x", "s3://B/x", "s3://"])
def test_a_malformed_spec_is_a_config_error(spec):
    with pytest.raises(ConfigError, match="s3://BUCKET/PREFIX"):
        S3Warehouse.from_spec(spec.removeprefix("s3:"), client=object())


SAMPLES = schema.Table("samples", (schema.Column("activity_id", schema.INT64, required=True),
                                   schema.Column("watts", schema.FLOAT64, repeated=True)))


class CountingClient:
    """The real S3 client, recording which objects are read."""

    def __init__(self, client) -> None:
        self.client, self.reads = client, []

    def __getattr__(self, name: str):
        return getattr(self.client, name)

    def get_object(self, **kwargs):
        self.reads.append(kwargs["Key"])
        return self.client.get_object(**kwargs)


@pytest.fixture
def samples(monkeypatch):
    monkeypatch.setattr(schema, "ACTIVITY_TABLES", (SAMPLES,))
    return SAMPLES


def test_per_activity_rows_live_in_their_activitys_month_and_complete_months_are_not_read(lake, s3, samples):
    client = CountingClient(s3)
    warehouse = S3Warehouse.from_spec(lake.removeprefix("s3:"), client=client, clock=Clock())
    warehouse.setup()
    warehouse.upsert_activities([activity(1, "2025-01-05T08:00:00Z"), activity(2, "2025-02-05T08:00:00Z"),
                                 activity(3, "2025-02-06T08:00:00Z")], "b1")
    warehouse.replace_activity_rows(samples, [1, 2], [{"activity_id": 1, "watts": [1.0, 2.5]},
                                                      {"activity_id": 2, "watts": None}])
    objects = lake_objects(warehouse, "samples")
    assert {k: [(r["activity_id"], r["watts"]) for r in rows] for k, rows in objects.items()} == {
        "strava/samples/year=2025/month=01/data.json": [(1, [1.0, 2.5])],
        "strava/samples/year=2025/month=02/data.json": [(2, [])]}
    client.reads.clear()
    assert warehouse.activities_without(samples, ["id", "start_date"], limit=10) == [
        {"id": 3, "start_date": datetime(2025, 2, 6, 8, tzinfo=UTC)}]
    assert client.reads == ["strava/activities/year=2025/month=02/data.json"]  # January has all its rows
    with pytest.raises(WarehouseError, match=r"rows of activities \[9\] are not among those replaced"):
        warehouse.replace_activity_rows(samples, [3], [{"activity_id": 9, "watts": [1.0]}])
    warehouse.replace_activity_rows(samples, [1], [])
    assert sorted(lake_objects(warehouse, "samples")) == ["strava/samples/year=2025/month=02/data.json"]
    assert [r["id"] for r in warehouse.activities_without(samples, ["id"], limit=10)] == [3, 1]
    warehouse.close()


def test_rows_left_by_a_run_that_died_are_repaired_by_the_next_setup(lake, samples):
    """Rows of an archived activity (the run died before removing them) and an activity's rows in two months
    (it died while moving them, index unwritten): the next setup keeps only the rows in the activity's month."""
    warehouse = opened(lake)
    warehouse.upsert_activities([activity(1, "2025-01-05T08:00:00Z"), activity(2, "2025-02-05T08:00:00Z")], "b1")
    warehouse.replace_activity_rows(samples, [1, 2], [{"activity_id": 1, "watts": [1.0]},
                                                      {"activity_id": 2, "watts": [2.0]}])
    stale = {"activity_id": 2, "watts": [9.0]}
    warehouse.client.put_object(Bucket=warehouse.bucket, Key="strava/samples/year=2025/month=01/data.json",
                                Body=(json.dumps({"activity_id": 1, "watts": [1.0]}) + "\n" + json.dumps(stale))
                                .encode())
    warehouse._where.pop(1)  # as if the run died after removing activity 1 but before its rows
    warehouse._remove({1: "2025-01"})
    warehouse._save_index()
    warehouse.close()

    repaired = opened(lake)
    assert [(r["activity_id"], r["watts"]) for r in lake_rows(repaired, "samples")] == [(2, [2.0])]
    assert repaired.activities_without(samples, ["id"], limit=10) == []
    repaired.close()


COPIES = schema.Table("copies", (schema.Column("activity_id", schema.INT64, required=True),
                                 schema.Column("start_date", schema.TIMESTAMP)))


def test_rows_copied_from_an_activity_that_changed_count_as_missing_and_filters_apply(lake, monkeypatch):
    monkeypatch.setattr(schema, "ACTIVITY_TABLES", (COPIES,))
    warehouse = opened(lake)
    trainer = schema.activity_row({"id": 3, "name": "Zwift", "sport_type": "VirtualRide", "trainer": True,
                                   "start_date": "2025-01-07T08:00:00Z"}, T0)[0]
    warehouse.upsert_activities([activity(1, "2025-01-05T08:00:00Z"), activity(2, "2025-02-05T08:00:00Z"), trainer],
                                "b1")
    copies = [{"activity_id": i, "start_date": datetime(2025, i, 5, 8, tzinfo=UTC)} for i in (1, 2)]
    warehouse.replace_activity_rows(COPIES, [1, 2], copies)
    outdoor = "NOT COALESCE(trainer, FALSE) AND COALESCE(sport_type, '') NOT LIKE 'Virtual%'"
    assert warehouse.activities_without(COPIES, ["id"], 10, matching=["start_date"]) == [{"id": 3}]
    assert warehouse.activities_without(COPIES, ["id"], 10, outdoor, matching=["start_date"]) == []
    warehouse.upsert_activities([activity(1, "2025-01-06T09:00:00Z", "moved a day")], "b2")
    assert warehouse.activities_without(COPIES, ["id"], 10, outdoor) == []
    assert warehouse.activities_without(COPIES, ["id", "start_date"], 10, outdoor, matching=["start_date"]) == [
        {"id": 1, "start_date": datetime(2025, 1, 6, 9, tzinfo=UTC)}]
    with pytest.raises(WarehouseError, match="cannot evaluate the filter"):
        warehouse.activities_without(COPIES, ["id"], 10, "trainer = = 1")
    warehouse.close()


def test_a_confirmed_deauthorization_empties_the_athletes_data_and_keeps_the_audit(lake):
    warehouse = opened(lake)
    warehouse.upsert_activities([activity(1, "2025-02-01T08:00:00Z"), activity(2, "2024-12-31T23:30:00Z"),
                                 activity(3, "2025-02-03T08:00:00Z")], "b1")
    warehouse.archive_activities([3], "r1", T0)
    weather = schema.ACTIVITY_WEATHER
    warehouse.replace_activity_rows(weather, [1], [{"activity_id": 1, "status": "ok", "fetched_at": T0}])
    warehouse.record_run({"run_id": "r1", "started_at": T0, "mode": "full", "status": "ok"})
    assert warehouse.delete_strava_data() == 2 + 1 + 1  # two activities, one archived, one weather row
    assert warehouse.activity_ids() == set() and warehouse.latest_start_date() is None
    for table in ("activities", "deleted_activities", weather.name):
        assert lake_rows(warehouse, table) == [], table
    assert [r["run_id"] for r in lake_rows(warehouse, "sync_runs")] == ["r1"]  # the audit stays
    warehouse.close()
    reopened = opened(lake)  # the index agrees with the (empty) objects
    assert reopened.activity_ids() == set()
    assert reopened.activities_without(weather, ["id"], limit=10) == []
    reopened.close()
