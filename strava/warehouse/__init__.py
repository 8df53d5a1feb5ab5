"""Warehouses behind one interface; `open_warehouse` picks one from `STRAVA_WAREHOUSE`."""

from __future__ import annotations

from strava.settings import split_spec
from strava.warehouse.base import UpsertResult, Warehouse

__all__ = ["UpsertResult", "Warehouse", "open_warehouse"]


def open_warehouse(spec: str) -> Warehouse:
    scheme, rest = split_spec(spec, "STRAVA_WAREHOUSE", ("duckdb", "bigquery", "s3"))
    if scheme == "duckdb":
        from strava.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(rest)
    if scheme == "s3":
        from strava.warehouse.s3 import S3Warehouse  # boto3: lazily

        return S3Warehouse.from_spec(rest)
    from strava.warehouse.bigquery import BigQueryWarehouse  # Google libraries: lazily

    return BigQueryWarehouse.from_spec(rest)
