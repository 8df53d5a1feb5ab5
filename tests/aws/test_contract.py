"""The issue's contract, through the real CLI (`python -m strava sync` in a subprocess) against the
simulator, with STRAVA_SECRETS=awssecrets:NAME, STRAVA_WAREHOUSE=s3://BUCKET/PREFIX and moto."""

from __future__ import annotations

import json

from tests.aws.lake import lake_objects
from tests.cli.test_commands import cli

REQUIRED = {"id", "name", "sport_type", "start_date", "distance"}


def test_sync_then_full_sync_keep_the_contract(make_simulator, aws_env, lake, secretsmanager, secret_name):
    from strava.warehouse.s3 import S3Warehouse

    sim = make_simulator(activities=250, seed=7, rotate=True)
    secretsmanager.create_secret(Name=secret_name, SecretString=json.dumps(sim.secrets()))
    first_token = sim.secrets()["refresh_token"]
    env = {**aws_env, "STRAVA_SECRETS": f"awssecrets:{secret_name}", "STRAVA_WAREHOUSE": lake,
           "STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url}
    first = cli("sync", env=env)
    assert first.returncode == 0, first.stderr
    gone = sorted(sim.activities, key=lambda a: a["start_date"])[10]["id"]
    sim.delete_activity(gone)
    full = cli("sync", "--full", env=env)
    assert full.returncode == 0, full.stderr
    assert json.loads(full.stdout.strip().splitlines()[-1])["deleted"] == 1

    lake_reader = S3Warehouse.from_spec(lake.removeprefix("s3:"))
    activities = lake_objects(lake_reader, "activities")
    assert activities and all("/year=" in key and "/month=" in key for key in activities)
    rows = [row for object_rows in activities.values() for row in object_rows]
    assert all(REQUIRED <= set(row) for row in rows)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) and set(ids) == {a["id"] for a in sim.activities}
    assert gone not in ids
    deleted = [row["id"] for rows in lake_objects(lake_reader, "deleted_activities").values() for row in rows]
    assert deleted == [gone]
    current = json.loads(secretsmanager.get_secret_value(SecretId=secret_name, VersionStage="AWSCURRENT")
                         ["SecretString"])
    assert current["refresh_token"] == sim.secrets()["refresh_token"] != first_token
    runs = [row for rows in lake_objects(lake_reader, "sync_runs").values() for row in rows]
    assert sorted(r["mode"] for r in runs) == ["full", "incremental"] and {r["status"] for r in runs} == {"ok"}
