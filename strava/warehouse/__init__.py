"""Warehouses behind one interface; `open_warehouse` picks one from `STRAVA_WAREHOUSE`."""

from __future__ import annotations

from strava.settings import split_spec
from strava.warehouse.base import UpsertResult, Warehouse

__all__ = ["UpsertResult", "Warehouse", "open_warehouse"]


def open_warehouse(spec: str) -> Warehouse:
    scheme, rest = split_spec(spec, "STRAVA_WAREHOUSE", ("duckdb", "bigquery"))
    if scheme == "duckdb":
        from strava.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(rest)
    from strava.warehouse.bigquery import BigQueryWarehouse  # Google libraries: lazily

    return BigQueryWarehouse.from_spec(rest)
