"""Reading the S3 lake back as plain rows (what Athena would see), for the tests."""

from __future__ import annotations

import json

from strava.warehouse.s3 import S3Warehouse
from tests.bigquery.test_sync_both_engines import Athlete


def lake_objects(warehouse: S3Warehouse, table: str) -> dict[str, list[dict]]:
    """{key: its JSON-lines rows} of every object under PREFIX/table/."""
    client, prefix = warehouse.client, f"{warehouse.prefix}/{table}/"
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=warehouse.bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=warehouse.bucket, Key=obj["Key"])["Body"].read().decode()
            objects[obj["Key"]] = [json.loads(line) for line in body.splitlines()]
    return objects


def lake_rows(warehouse: S3Warehouse, table: str) -> list[dict]:
    return [row for rows in lake_objects(warehouse, table).values() for row in rows]


class LakeAthlete(Athlete):
    """The parity scenarios' athlete, reading its tables from the lake's objects."""

    def activities(self) -> dict[int, dict]:
        rows = lake_rows(self.warehouse, "activities")
        assert len({row["id"] for row in rows}) == len(rows), "an activity stored twice"
        return {row["id"]: json.loads(row["raw"]) for row in rows}

    def deleted(self) -> list[int]:
        return sorted(row["id"] for row in lake_rows(self.warehouse, "deleted_activities"))

    def runs(self) -> list[tuple]:
        columns = ("status", "mode", "api_calls", "fetched", "inserted", "updated", "deleted")
        runs = sorted(lake_rows(self.warehouse, "sync_runs"), key=lambda r: r["started_at"])
        return [tuple(run[c] for c in columns) for run in runs]
