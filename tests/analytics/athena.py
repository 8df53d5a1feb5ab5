"""The Athena views over the golden data. moto runs no Athena SQL, so each generated statement is parsed in
the Athena dialect and its DuckDB transpilation runs over the S3 lake's own JSON files: the golden
activities written by S3Warehouse to moto, downloaded, and read as the Glue tables declare them (timestamps
as strings, Hive partitions). test_views.py checks their rows like the other engines'."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import duckdb
import pytest
import sqlglot

from strava import schema
from strava.analytics.athena_views import athena_views
from strava.warehouse.s3 import PARTITIONED, S3Warehouse
from tests.fixtures.moto import REGION

DATABASE = "strava_lake"
# What the Glue tables declare for each schema type: the JSON SerDe reads timestamps as strings.
GLUE_AS_DUCKDB = {schema.INT64: "BIGINT", schema.FLOAT64: "DOUBLE", schema.BOOL: "BOOLEAN", schema.DATE: "DATE"}


def _download(warehouse: S3Warehouse, folder: Path) -> None:
    client = warehouse.client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=warehouse.bucket, Prefix=warehouse.prefix):
        for obj in page.get("Contents", []):
            target = folder / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(client.get_object(Bucket=warehouse.bucket, Key=obj["Key"])["Body"].read())


def _glue_table(conn: duckdb.DuckDBPyConnection, table: schema.Table, lake: Path) -> None:
    """The lake table as Athena sees it through its Glue table."""
    columns = {c.name: GLUE_AS_DUCKDB.get(c.type, "VARCHAR") + ("[]" if c.repeated else "") for c in table.columns}
    partitioned = table.name in PARTITIONED or table in schema.ACTIVITY_TABLES  # by the activity's month
    pattern = "*/*/*.json" if partitioned else "*.json"
    if not list((lake / table.name).glob(pattern)):  # Athena reads an empty table; read_json needs a file
        names = ", ".join(f'"{name}" {type_}' for name, type_ in columns.items())
        conn.execute(f'CREATE TABLE "{DATABASE}"."{table.name}" ({names})')
        return
    path = str(lake / table.name / pattern).replace("'", "''")
    conn.execute(f'CREATE VIEW "{DATABASE}"."{table.name}" AS SELECT * FROM read_json(\'{path}\', columns = '
                 f"{columns!r}, format = 'newline_delimited', hive_partitioning = {partitioned})")


def athena_to_duckdb(statement: str) -> str:
    """sqlglot's transpilation, with the one difference in meaning it misses here: Trino's SEQUENCE of dates
    stepped by an interval is dates, DuckDB's generate_series timestamps (the views' sequences are all dates)."""
    def dates(node: sqlglot.exp.Expression) -> sqlglot.exp.Expression:
        if isinstance(node, sqlglot.exp.GenerateSeries) and isinstance(node.args.get("step"), sqlglot.exp.Interval):
            return sqlglot.exp.GenerateDateArray(start=node.args["start"], end=node.args["end"], step=node.args["step"])
        return node

    return sqlglot.parse_one(statement, read="athena").transform(dates).sql(dialect="duckdb")


@pytest.fixture(scope="module")
def athena_statements() -> list[tuple[str, str]]:
    return athena_views(DATABASE)


@pytest.fixture(scope="module")
def athena_duck(moto_url: str, athena_statements: list[tuple[str, str]],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    from tests.analytics.conftest import load_golden  # conftest imports this module's fixtures

    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    env = {"AWS_ENDPOINT_URL": moto_url, "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing"}
    with pytest.MonkeyPatch.context() as patch:  # module scope: the function-scoped aws_env cannot serve
        for name, value in env.items():
            patch.setenv(name, value)
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        warehouse = S3Warehouse.from_spec(f"//{bucket}/lake")
        load_golden(warehouse)
        warehouse.close()
        folder = tmp_path_factory.mktemp("lake")
        _download(warehouse, folder)
    conn = duckdb.connect()
    conn.execute(f'CREATE SCHEMA "{DATABASE}"')
    for table in (schema.ACTIVITIES, schema.ATHLETE_SETTINGS, *schema.ACTIVITY_TABLES):
        _glue_table(conn, table, folder / "lake")
    for _, statement in athena_statements:
        conn.execute(athena_to_duckdb(statement))
    yield conn
    conn.close()
